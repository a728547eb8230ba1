/**
 * Quorum against real network faults: the three-site fleet on loopback addresses 127.0.62.x
 * (one per site), with nftables rules in a table of this test's own that drop packets between
 * those addresses only (removed afterwards).
 * - A path fault seen from one site (hel cannot reach nue's host) makes nue's checks
 *   degraded, never down, and says it is likely the network path.
 * - Cutting hel off from the other sites makes hel lost (one site event, seen by nue and vie),
 *   its checks down, and the others' checks only degraded; healing brings it back.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { need, run, works } from '../helpers/system.js';
import { startThreeSites, type ThreeSites } from '../helpers/three-sites.js';
import { sleep, until } from '../helpers/wait.js';

const TABLE = `hafen_test_monitor_${process.pid}`;
const usable = process.getuid?.() === 0 && works('nft', ['--version']);
let fleet: ThreeSites | undefined;

function nft(script: string): void {
  const r = run('nft', ['-f', '-'], { input: script });
  assert.equal(r.status, 0, `nft: ${r.stderr}`);
}

function cut(rules: string[]): void {
  nft(`table inet ${TABLE} {\n chain out {\n  type filter hook output priority 0; policy accept;\n${rules.map((r) => `  ${r}\n`).join('')} }\n}\n`);
}

function heal(): void {
  run('nft', ['delete', 'table', 'inet', TABLE]);
}

before(async () => {
  if (usable) fleet = await startThreeSites(62);
});

after(async () => {
  heal();
  await fleet?.stop();
});

const replicaChecks = async () => (await fleet!.admin.checks()).checks.filter((c) => c.id.startsWith('replica:'));

test('a path fault seen from one site only is degraded, not down, and said to be the network path', async (t) => {
  if (!need(t, usable, 'needs root and nft')) return;
  const f = fleet!;
  await until('every replica up from every site', async () => ((await replicaChecks()).every((c) => c.state === 'up' && Object.keys(c.views).length === 3) ? true : undefined), 30_000, 200);
  const since = new Date().toISOString();
  cut([`ip saddr ${f.address['hel-app-01']} ip daddr ${f.address['nue-app-01']} drop`]);
  try {
    const degraded = await until('nue\'s replicas degraded', async () => {
      const at = (await replicaChecks()).filter((c) => c.site === 'nue');
      return at.length > 0 && at.every((c) => c.state === 'degraded') ? at : undefined;
    }, 15_000, 100);
    for (const c of degraded) {
      assert.deepEqual(c.downFrom, ['hel']);
      assert.match(c.reason, /likely the network path from hel/);
    }
    // It stays degraded: two more rounds of probes do not make it down.
    await sleep(3000);
    assert.ok((await replicaChecks()).filter((c) => c.site === 'nue').every((c) => c.state === 'degraded'));
    const events = (await f.admin.events({ since, kind: 'check' })).events;
    assert.ok(!events.some((e) => e.state === 'down'), `no check went down: ${events.map((e) => e.message).join('; ')}`);
  } finally {
    heal();
  }
  await until('nue\'s replicas up again', async () => ((await replicaChecks()).every((c) => c.state === 'up') ? true : undefined), 15_000, 100);
});

test('a site cut off from the others is lost by their quorum: one site event; its checks down, the others\' degraded', async (t) => {
  if (!need(t, usable, 'needs root and nft')) return;
  const f = fleet!;
  const hel = f.address['hel-app-01'];
  const since = new Date().toISOString();
  cut([`ip saddr ${hel} ip daddr != ${hel} drop`, `ip daddr ${hel} ip saddr != ${hel} drop`]);
  try {
    const lost = await until('hel lost', async () => (await f.admin.checks()).sites.find((s) => s.site === 'hel' && s.state === 'lost'), 20_000, 100);
    assert.deepEqual(lost.seenBy, ['nue', 'vie']);
    const checks = await replicaChecks();
    for (const c of checks.filter((c) => c.site === 'hel')) assert.equal(c.state, 'down', `${c.id}: ${c.reason}`);
    await until('the others degraded', async () => ((await replicaChecks()).filter((c) => c.site !== 'hel').every((c) => c.state === 'degraded') ? true : undefined), 15_000, 100);
    const siteEvents = (await f.admin.events({ since, kind: 'site' })).events;
    assert.deepEqual(siteEvents.map((e) => [e.subject, e.state]), [['hel', 'lost']], 'one site event');
    assert.match(siteEvents[0]!.message, /site hel is lost: every check of it is down as seen from nue and vie/);
    assert.ok((await f.admin.checks()).sites.filter((s) => s.site !== 'hel').every((s) => s.state === 'up'), 'no other site is declared lost (hel alone sees them down)');
  } finally {
    heal();
  }
  await until('hel back', async () => (await f.admin.checks()).sites.find((s) => s.site === 'hel' && s.state === 'up'), 20_000, 100);
  assert.equal((await f.admin.events({ since, kind: 'site', limit: 1 })).events[0]!.state, 'up');
});
