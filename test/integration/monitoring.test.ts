/**
 * Monitoring across three sites: every site probes every check derived from the fleet (each
 * replica directly, each domain through the edge proxy). A replica that hangs (SIGSTOP: it
 * accepts connections and never answers) is reported down by all three sites within the
 * thresholds, recorded as an event, and up again after it resumes.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { hafenAsync } from '../helpers/paths.js';
import { startThreeSites, unitPid, type ThreeSites } from '../helpers/three-sites.js';
import { until } from '../helpers/wait.js';

let fleet: ThreeSites;

before(async () => {
  fleet = await startThreeSites({ proxy: true });
});

after(async () => {
  await fleet?.stop();
});

test('every check is derived from the fleet and probed from all three sites', async () => {
  const checks = await until(
    'every replica and domain check up from every site',
    async () => {
      const { checks } = await fleet.admin.checks();
      const probed = checks.filter((c) => c.kind !== 'tls');
      // Up as every site sees it (a site whose view is not decided yet shows no verdict).
      return probed.length > 0 && probed.every((c) => c.state === 'up' && c.upFrom.length === 3) ? checks : undefined;
    },
    30_000,
    200,
  );
  assert.deepEqual(
    checks.map((c) => c.id),
    [
      'domain:blog.verlag.example',
      'domain:portal.stadtwerke.example',
      'domain:shop.huber.example',
      'extra:stadtwerke-portal-r1:port',
      'extra:stadtwerke-portal-r2:port',
      'extra:stadtwerke-portal-r3:port',
      'replica:huber-shop-r1',
      'replica:huber-shop-r2',
      'replica:stadtwerke-portal-r1',
      'replica:stadtwerke-portal-r2',
      'replica:stadtwerke-portal-r3',
      'replica:verlag-blog-r1',
      'tls:blog.verlag.example',
      'tls:portal.stadtwerke.example',
      'tls:shop.huber.example',
    ],
  );
  const tls = checks.find((c) => c.id === 'tls:shop.huber.example')!;
  assert.equal(tls.state, 'unknown', 'no proxy terminates TLS here, so no site can check the certificate, and the state says so');
  const cli = (args: string[]) => hafenAsync([...args, '--controller', fleet.url], { env: { ...process.env, HAFEN_TOKEN: fleet.adminToken } });
  const text = await cli(['checks', '--app', 'huber-shop']);
  assert.equal(text.status, 0, text.stderr);
  assert.match(text.stdout, /site hel +up; probers reporting/);
  assert.match(text.stdout, /^up +replica:huber-shop-r1 +up from hel, nue, vie/m);
  const parsed = JSON.parse((await cli(['checks', '--format', 'json', '--state', 'up'])).stdout) as { checks: { state: string }[] };
  assert.ok(parsed.checks.length >= 9 && parsed.checks.every((c) => c.state === 'up'));
  const bad = await cli(['checks', '--state', 'sideways']);
  assert.equal(bad.status, 2);
  assert.match(bad.stderr, /--state must be one of up, degraded, down, unknown, not "sideways"/);
  const metrics = await (await fetch(`${fleet.url}/metrics`, { headers: { authorization: `Bearer ${fleet.adminToken}` } })).text();
  assert.match(metrics, /hafen_check_state\{check="replica:huber-shop-r1",kind="http",app="huber-shop",customer="huber",state="up"\} 1/);
  assert.match(metrics, /hafen_probe_duration_seconds\{check="replica:huber-shop-r1",site="hel"\} \d/);
  assert.match(metrics, /hafen_site_lost\{site="nue"\} 0/);
  assert.equal((await fetch(`${fleet.url}/metrics`)).status, 401, 'metrics need a token');
  const { sites } = await fleet.admin.checks();
  assert.deepEqual(
    sites.map((s) => [s.site, s.state, s.probers]),
    [
      ['hel', 'up', 'reporting'],
      ['nue', 'up', 'reporting'],
      ['vie', 'up', 'reporting'],
    ],
  );
});

test('a hung replica is down by quorum within the thresholds, an event says so, and it comes back', async () => {
  const { checks } = await fleet.admin.checks({ app: 'verlag-blog' });
  const replica = checks.find((c) => c.id === 'replica:verlag-blog-r1')!;
  const pid = unitPid(fleet.data[replica.host!]!, 'verlag-blog-r1');
  const stoppedAt = Date.now();
  process.kill(pid, 'SIGSTOP');
  try {
    const down = await until('the replica down', async () => (await fleet.admin.checks({ app: 'verlag-blog' })).checks.find((c) => c.id === 'replica:verlag-blog-r1' && c.state === 'down'), 15_000, 100);
    const took = Date.now() - stoppedAt;
    // Two failed probes a second apart, each failing after its 500 ms timeout, plus delivery: about 3 s.
    assert.ok(took < 6_000, `down after ${took} ms`);
    assert.ok(down.downFrom.length >= 2, `down by quorum: ${down.reason}`);
    assert.match(Object.values(down.views).find((v) => v.up === false)!.error ?? '', /no answer within 500 ms/);
    const cliDown = await hafenAsync(['checks', '--controller', fleet.url, '--state', 'down'], { env: { ...process.env, HAFEN_TOKEN: fleet.adminToken } });
    assert.equal(cliDown.status, 1, 'a check down: exit status 1');
    // Two sites agreeing make it down; the third may still be one probe short of its threshold.
    assert.match(cliDown.stdout, /^DOWN +replica:verlag-blog-r1 +down from (hel, nue, vie|hel, nue|hel, vie|nue, vie)\b/m);
    const events = (await fleet.admin.events({ subject: 'replica:verlag-blog-r1' })).events;
    assert.equal(events[0]!.state, 'down');
    assert.match(events[0]!.message, /replica verlag-blog-r1 on hel-app-01: down/);
    // The blog has one replica: its domain is down through the proxy too.
    await until('the domain down', async () => (await fleet.admin.checks({ app: 'verlag-blog' })).checks.find((c) => c.id === 'domain:blog.verlag.example' && c.state === 'down'), 15_000, 100);
  } finally {
    process.kill(pid, 'SIGCONT');
  }
  await until('the replica up again', async () => (await fleet.admin.checks({ app: 'verlag-blog' })).checks.find((c) => c.id === 'replica:verlag-blog-r1' && c.state === 'up'), 15_000, 100);
  assert.equal((await fleet.admin.events({ subject: 'replica:verlag-blog-r1', limit: 1 })).events[0]!.state, 'up');
  // The outage is in the blog's uptime (its domain was down for visitors); the portal's is whole.
  const up = await fleet.admin.uptime({ days: 1 });
  const blog = up.apps.find((a) => a.app === 'verlag-blog')!;
  assert.ok(blog.downSeconds > 0 && blog.availability! < 100, `the blog was down ${blog.downSeconds} s: ${blog.availability} %`);
  assert.equal(up.apps.find((a) => a.app === 'stadtwerke-portal')!.downSeconds, 0);
  assert.equal(up.customers.find((c) => c.customer === 'verlag')!.availability, blog.availability);
  const report = await hafenAsync(['uptime', '--controller', fleet.url, '--days', '1', '--customer', 'verlag'], { env: { ...process.env, HAFEN_TOKEN: fleet.adminToken } });
  assert.equal(report.status, 0, report.stderr);
  assert.match(report.stdout, /^customer verlag +\d+\.\d{3} % {2}down \d+ s/m);
});

test('probers only read probes and send results with a host credential; people only read states', async () => {
  const res = await fetch(`${fleet.url}/v1/probe/results`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ results: [] }) });
  assert.equal(res.status, 401);
  const bad = await fetch(`${fleet.url}/v1/events?limit=0`, { headers: { authorization: `Bearer ${fleet.adminToken}` } });
  assert.equal(bad.status, 400);
  assert.match(((await bad.json()) as { error: { message: string } }).error.message, /limit must be a whole number/);
});

test("a host's results count only when dated near the controller's clock, and only for checks its site probes", async () => {
  const credential = (JSON.parse(readFileSync(join(fleet.data['hel-app-01']!, 'credential.json'), 'utf8')) as { credential: string }).credential;
  const post = (results: unknown[]) => fetch(`${fleet.url}/v1/probe/results`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${credential}` }, body: JSON.stringify({ results }) });
  // A down result dated 2099 for a replica at another site, and one two minutes old: left out, and counted.
  const future = await post([
    { check: 'replica:stadtwerke-portal-r1', ok: false, at: '2099-01-01T00:00:00.000Z', ms: 1, error: 'forged' },
    { check: 'replica:stadtwerke-portal-r1', ok: false, at: new Date(Date.now() - 120_000).toISOString(), ms: 1, error: 'held' },
  ]);
  assert.equal(future.status, 200);
  assert.deepEqual(await future.json(), { recorded: 0, outOfTime: 2, notAssigned: 0 });
  // A check the site does not probe (no such check) is left out and counted; a current result is recorded.
  const mixed = await post([
    { check: 'replica:no-such-app-r1', ok: false, at: new Date().toISOString(), ms: 1 },
    { check: 'replica:stadtwerke-portal-r1', ok: true, at: new Date().toISOString(), ms: 1 },
  ]);
  assert.equal(mixed.status, 200);
  assert.deepEqual(await mixed.json(), { recorded: 1, outOfTime: 0, notAssigned: 1 });
  // The real probers' views go on: the portal's replica stays up from hel.
  const c = (await fleet.admin.checks({ app: 'stadtwerke-portal' })).checks.find((x) => x.id === 'replica:stadtwerke-portal-r1')!;
  assert.ok(c.upFrom.includes('hel'), JSON.stringify(c));
});

