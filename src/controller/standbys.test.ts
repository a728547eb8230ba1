import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Fleet } from '../core/fleet/model.js';
import type { Placement } from '../core/placement/types.js';
import type { HostStatus } from './store/store.js';
import type { Snapshot } from './snapshot.js';
import { SWITCH_STOP_MS, Standbys } from './standbys.js';
import { SqliteStore } from './store/sqlite.js';

const app = { id: 'db', customer: 'huber', criticality: 'critical', workload: {}, volumes: [{ name: 'data' }], redundancy: { mode: 'standby', replicateEveryMs: 10_000, rpoMs: 30_000 } };
const fleet = { apps: [app], hosts: [], sites: [], policies: { migrations: {} } } as unknown as Fleet;
const placements = [
  { app: 'db', replica: 1, host: 'nue-1', site: 'nue' },
  { app: 'db', replica: 2, host: 'vie-1', site: 'vie' },
  { app: 'db', replica: 3, host: 'hel-1', site: 'hel' },
] as Placement[];

/** The controller's part on a real store, with the monitor's answers and the hosts' reports set by the test. */
function setup() {
  const clock = { t: Date.now() };
  const now = () => new Date(clock.t);
  const store = new SqliteStore(':memory:');
  const world = { lost: [] as string[], checks: new Map<string, string>(), hosts: new Map<string, string>(), copied: new Map<string, number>(), units: new Map<string, string>() };
  const report = (host: string, unit: string): HostStatus => ({
    host,
    reportedAt: now().toISOString(),
    status: { units: world.units.has(unit) ? [{ name: unit, app: 'db', state: world.units.get(unit)!, hash: 'h', restarts: 0 }] : [], agent: { moves: { keys: [], copies: world.copied.has(unit) ? [{ id: 'sb-db-t1', unit, state: 'done', copiedAt: new Date(world.copied.get(unit)!).toISOString() }] : [] } } },
  });
  const logs: string[] = [];
  const standbys = new Standbys({
    store,
    reports: { all: async () => placements.map((p) => report(p.host, `db-r${p.replica}`)), get: async (h) => report(h, `db-r${placements.find((p) => p.host === h)!.replica}`) },
    current: async () => ({ fleet, placements, addresses: new Map([['nue-1', '10.0.0.1'], ['vie-1', '10.0.1.1'], ['hel-1', '10.0.2.1']]) }) as unknown as Snapshot,
    lostSites: () => world.lost,
    checkState: (id) => world.checks.get(id),
    hostState: (h) => world.hosts.get(h),
    changed: () => {},
    now,
    log: (l) => logs.push(l),
  });
  return { clock, store, world, standbys, logs };
}

test('a writer whose site is lost, or whose host is silent while the sites see its replica down, is replaced by the freshest standby outside; a standby without a copy never', async () => {
  const { clock, store, world, standbys } = setup();
  await standbys.tick();
  assert.equal((await standbys.views())[0]!.active?.unit, 'db-r1', 'nothing lost: the first replica writes');
  // Its host silent, but the sites still reach its replica: nothing happens (a dead agent is not a dead writer).
  world.hosts.set('nue-1', 'down');
  world.checks.set('replica:db-r1', 'degraded');
  await standbys.tick();
  assert.equal((await standbys.views())[0]!.term, 1);
  // Silent and down by quorum: gone. No standby has a copy: it cannot fail over, and says so.
  world.checks.set('replica:db-r1', 'down');
  await standbys.tick();
  assert.equal((await standbys.views())[0]!.term, 1);
  const blocked = (await standbys.alerts()).find((a) => a.key === 'standby-failover:db');
  assert.match(blocked?.summary ?? '', /db-r1 is on nue-1, which is silent and whose replica the sites see down, and no standby .* has a copy/);
  world.copied.set('db-r2', clock.t - 20_000);
  world.copied.set('db-r3', clock.t - 5_000);
  await standbys.tick();
  const [v] = await standbys.views();
  assert.deepEqual([v!.term, v!.active?.unit], [2, 'db-r3'], 'the freshest copy');
  assert.equal((await standbys.alerts()).some((a) => a.key === 'standby-failover:db'), false);
  assert.deepEqual((await store.standbyRoles()).map((r) => [r.term, r.active, r.previous]), [[2, 3, { replica: 1, planned: false }]]);
  // Its site lost next: the remaining standby takes over, in term 3.
  world.lost = ['hel'];
  world.copied.clear();
  await standbys.tick();
  assert.equal((await standbys.views())[0]!.term, 2, "db-r2's copy is of term 1's writer: not a copy of this term");
});

test('a switchover stops the writer, waits for the final copy, then promotes; a writer that does not stop in time writes again', async () => {
  const { world, standbys } = setup();
  world.units.set('db-r1', 'running');
  await assert.rejects(standbys.switchover('db', 'nue'), /db-r1 at nue writes already/);
  await assert.rejects(standbys.switchover('db', 'fra'), /no standby at site fra/);
  const started = await standbys.switchover('db', 'vie');
  assert.deepEqual([started.term, started.active, started.switching?.phase], [2, null, 'stopping']);
  await assert.rejects(standbys.switchover('db', 'hel'), /switching over already/);
  world.units.set('db-r1', 'standby');
  await standbys.tick();
  assert.equal((await standbys.roles()).get('db')?.switching?.phase, 'copying');
  const orders = await standbys.ordersFor('vie-1');
  assert.deepEqual(orders.copies.map((c) => [c.source.host, c.copy]), [['nue-1', { id: 'sb-db-t2-final', final: true }]]);
  // Given up when the old writer does not stop: it writes again in a newer term.
  const again = setup();
  again.world.units.set('db-r1', 'running');
  await again.standbys.switchover('db', 'hel');
  again.clock.t += SWITCH_STOP_MS + 1000;
  await again.standbys.tick();
  const back = (await again.standbys.roles()).get('db')!;
  assert.deepEqual([back.term, back.active, back.switching], [3, 1, undefined]);
  assert.match(again.logs.join('\n'), /switchover to db-r3 was given up \(db-r1 on nue-1 did not stop within 60 s\)/);
});
