import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { App } from '../fleet/model.js';
import type { Placement } from '../placement/types.js';
import type { MoveAgentReport } from '../render/move-orders.js';
import type { AppRole } from './roles.js';
import { candidates, standbyAlerts, standbyViews } from './view.js';

const db = { id: 'db', customer: 'huber', criticality: 'critical', workload: {}, redundancy: { mode: 'standby', replicateEveryMs: 10_000, rpoMs: 30_000 } } as unknown as App;
const placements: Placement[] = [
  { app: 'db', replica: 1, host: 'nue-1', site: 'nue' },
  { app: 'db', replica: 2, host: 'vie-1', site: 'vie' },
  { app: 'db', replica: 3, host: 'hel-1', site: 'hel' },
] as Placement[];
const now = Date.now();
const ago = (s: number) => new Date(now - s * 1000).toISOString();
const roles = new Map<string, AppRole>([['db', { app: 'db', term: 2, active: 1 }]]);

test("a standby's lag is the age of its newest complete copy of this term's writer; past the RPO it is behind and alerts", () => {
  const reports: Record<string, MoveAgentReport> = {
    'vie-1': { keys: [], copies: [{ id: 'sb-db-t2', unit: 'db-r2', state: 'running', copiedAt: ago(12) }] },
    'hel-1': { keys: [], copies: [{ id: 'sb-db-t1', unit: 'db-r3', state: 'done', copiedAt: ago(5) }, { id: 'sb-db-t2', unit: 'db-r3', state: 'done', copiedAt: ago(45) }] },
  };
  const [v] = standbyViews({ apps: [db] }, placements, roles, (h) => reports[h], now);
  assert.deepEqual(v!.active, { unit: 'db-r1', host: 'nue-1', site: 'nue' });
  assert.equal(v!.replication, 'files');
  const pg = (criticality: string) => standbyViews({ apps: [{ ...db, criticality, workload: { postgres: {} } } as unknown as App] }, placements, roles, (h) => reports[h], now)[0]!.replication;
  assert.deepEqual([pg('critical'), pg('standard')], ['synchronous', 'streaming'], 'a PostgreSQL app streams; a critical one synchronously');
  assert.deepEqual(
    v!.standbys.map((s) => [s.unit, s.lagSeconds, s.state]),
    [
      ['db-r2', 12, 'current'],
      ['db-r3', 45, 'behind'],
    ],
    "an older term's copy does not count",
  );
  assert.deepEqual(candidates(v!).map((c) => [c.replica, c.site, c.copiedAt]), [
    [2, 'vie', now - 12_000],
    [3, 'hel', now - 45_000],
  ]);
  const alerts = standbyAlerts([v!], new Map(), [], () => 'huber', ago(0));
  assert.deepEqual(alerts.map((a) => [a.key, a.severity, a.group]), [['standby-lag:db-r3', 'critical', 'customer:huber']]);
  assert.match(alerts[0]!.summary, /45 s behind the writer of db \(RPO 30 s\)/);
});

test('copies that fail, a failover that cannot happen and a fenced writer alert, each naming what to do', () => {
  const reports: Record<string, MoveAgentReport> = { 'vie-1': { keys: [], copies: [{ id: 'sb-db-t2', unit: 'db-r2', state: 'failed', error: 'rsync exited 255' }] } };
  const views = standbyViews({ apps: [db] }, placements, roles, (h) => reports[h], now);
  assert.deepEqual(views[0]!.standbys.map((s) => s.state), ['failed', 'none']);
  const fenced = [{ host: 'nue-1', fenced: { unit: 'db-r1', app: 'db', term: 1, path: '/var/lib/hafen/fenced/db-r1-t1-x', at: ago(60) } }];
  const alerts = standbyAlerts(views, new Map([['db', { reason: 'no standby has a copy', since: ago(3) }]]), fenced, () => 'huber', ago(0));
  assert.deepEqual(alerts.map((a) => a.key), ['standby-lag:db-r2', 'standby-failover:db', 'standby-fenced:nue-1:db-r1:t1']);
  assert.match(alerts[0]!.summary, /cannot copy db's data: rsync exited 255/);
  assert.match(alerts[2]!.summary, /kept aside at nue-1:\/var\/lib\/hafen\/fenced\/db-r1-t1-x, not merged/);
});
