/**
 * Quorum against real network faults: the three-site fleet on loopback addresses 127.0.62.x
 * (one per site), with nftables rules in a table of this test's own that drop packets between
 * those addresses only (removed afterwards).
 * - A path fault seen from one site (hel cannot reach nue's host) makes nue's checks
 *   degraded, never down, and says it is likely the network path.
 * - Cutting hel off from the other sites makes hel lost (one site event, seen by nue and vie),
 *   its checks down, and the others' checks only degraded; one grouped site-down notification
 *   (not one per app) arrives at a local SMTP server and a webhook receiver; healing brings it
 *   back and resolves it. While it is lost, every proxy's route table names it as a site to use last.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { HafenClient } from '../../src/client/client.js';
import { after, before, test } from 'node:test';
import { startSmtp, startWebhookReceiver, type SmtpReceiver, type WebhookReceiver } from '../helpers/receivers.js';
import { need, run, works } from '../helpers/system.js';
import { startThreeSites, type ThreeSites } from '../helpers/three-sites.js';
import { sleep, until } from '../helpers/wait.js';

const TABLE = `hafen_test_monitor_${process.pid}`;
const usable = process.getuid?.() === 0 && works('nft', ['--version']);
let fleet: ThreeSites | undefined;
let hook: WebhookReceiver | undefined;
let smtp: SmtpReceiver | undefined;

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
  if (!usable) return;
  hook = await startWebhookReceiver();
  smtp = await startSmtp();
  // groupWait 3 s: the replica checks of a lost site go down a probe or two before the site is
  // declared lost; the wait lets the site alert arrive and mute them, as the default 10 s does.
  fleet = await startThreeSites({
    extraFleet: `
alerting:
  groupWait: 3s
  receivers:
    - { id: ops-hook, webhook: { url: "${hook.url}/hafen" } }
    - id: ops-mail
      email: { to: [oncall@ops.example], from: alerts@ops.example, smtp: { host: 127.0.0.1, port: ${smtp.port} } }
`,
  });
});

after(async () => {
  heal();
  await fleet?.stop();
  await hook?.close();
  await smtp?.close();
});

const proxyViewOf = (f: ThreeSites) => new HafenClient(f.url, (JSON.parse(readFileSync(join(f.data['nue-app-01']!, 'credential.json'), 'utf8')) as { credential: string }).credential);

const replicaChecks = async () => (await fleet!.admin.checks()).checks.filter((c) => c.id.startsWith('replica:'));

test('a path fault seen from one site only is degraded, not down, and said to be the network path', async (t) => {
  if (!need(t, usable, 'needs root and nft')) return;
  const f = fleet!;
  await until('every replica up from every site', async () => {
    const checks = await replicaChecks();
    return checks.length === 6 && checks.every((c) => c.state === 'up' && Object.keys(c.views).length === 3) ? true : undefined;
  }, 30_000, 200);
  const since = new Date().toISOString();
  // New connections from hel to nue are dropped; nue still reaches hel (its replies pass).
  cut([`ip saddr ${f.address['hel-app-01']} ip daddr ${f.address['nue-app-01']} ct state new drop`]);
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
    assert.ok((await replicaChecks()).filter((c) => c.site !== 'nue').every((c) => c.state === 'up'), 'nue still reaches the others: their checks stay up');
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
    const sent = await until('the site-down notification at the webhook and the SMTP server', async () => {
      const firing = hook!.received.filter((r) => (r.body as { kind: string }).kind === 'firing');
      return firing.length > 0 && smtp!.mails.length > 0 ? firing : undefined;
    }, 20_000, 100);
    await sleep(4000);
    const groups = hook!.received.map((r) => (r.body as { group: string }).group);
    assert.deepEqual([...new Set(groups)], ['site:hel'], `one group notified, not one per app: ${groups.join(', ')}`);
    assert.equal(hook!.received.length, 1, 'one notification');
    assert.equal(smtp!.mails.length, 1, 'one mail');
    assert.equal((sent[0]!.body as { severity: string }).severity, 'critical');
    assert.match(smtp!.mails[0]!.subject, /\[CRITICAL\] site hel: site hel is lost/);
    // Every proxy now uses hel's replicas last (the route table names it).
    assert.deepEqual((await proxyViewOf(f).proxyRoutes(undefined, 0)).table.avoidSites, ['hel']);
    const muted = (await f.admin.alerts()).alerts.filter((a) => a.inhibitedBy === 'site:hel');
    assert.ok(muted.length >= 3, `the app alerts the site loss explains are muted (${muted.length})`);
  } finally {
    heal();
  }
  await until('hel back', async () => (await f.admin.checks()).sites.find((s) => s.site === 'hel' && s.state === 'up'), 20_000, 100);
  assert.equal((await f.admin.events({ since, kind: 'site', limit: 1 })).events[0]!.state, 'up');
  await until('hel preferred again', async () => ((await proxyViewOf(f).proxyRoutes(undefined, 0)).table.avoidSites === undefined ? true : undefined), 10_000, 100);
  await until('the resolved notification', async () => (hook!.received.some((r) => (r.body as { kind: string }).kind === 'resolved') ? true : undefined), 20_000, 100);
});
