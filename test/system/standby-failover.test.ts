/**
 * One writer, across a partition: the three-site fleet on loopback (controller, an agent, a
 * prober and a real sshd per host, the edge proxy), a critical notes app (each answered write is
 * fsynced to its data directory) as a standby app with two replicas, copying every 5 s.
 *
 * - The standby waits stopped, its copy of the writer's notes fresh.
 * - The writer's site is cut off (nftables drops its address's packets to and from the other
 *   sites; its agent loses the controller) while it takes writes from its own site. The other
 *   sites declare it lost, the standby is promoted within the RTO, and takes writes through the
 *   proxy.
 * - The site heals and its agent returns: it stops the old writer before anything else, keeps
 *   what it wrote during the partition aside (reported, alerted), and copies from the new writer.
 *   Exactly one writer; every write accepted after the promotion is there; what was written
 *   before the last copy is there; the partition's writes are aside, not merged.
 * - `hafen failover APP --to SITE` switches back with no write lost.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { after, before, test } from 'node:test';
import type { Agent } from '../../src/agent/agent.js';
import { ProcessDriver } from '../../src/agent/drivers/process.js';
import { startAgent } from '../../src/agent/main.js';
import { startProber } from '../../src/agent/prober/main.js';
import { HafenClient } from '../../src/client/client.js';
import { startController } from '../../src/controller/main.js';
import { startProxy } from '../../src/proxy/main.js';
import { getWithHost } from '../helpers/http.js';
import { loopbackNet } from '../helpers/loopback.js';
import { EXAMPLES, FIXTURES, hafenAsync } from '../helpers/paths.js';
import { sshMovesMissing, startLoopbackSshd } from '../helpers/sshd.js';
import { need, run, works } from '../helpers/system.js';
import { FAST_MONITORING } from '../helpers/three-sites.js';
import { sleep, until } from '../helpers/wait.js';

const NET = loopbackNet();
const SSH_PORT = 2222;
const APP = 'huber-notes';
const DOMAIN = 'notes.huber.example';
const TABLE = `hafen_test_standby_${process.pid}`;
const missing = sshMovesMissing() ?? (works('nft', ['--version']) ? undefined : 'needs nft');
const HOSTS = ['nue-app-01', 'vie-app-01', 'hel-app-01'];
const SITE: Record<string, string> = { 'nue-app-01': 'nue', 'vie-app-01': 'vie', 'hel-app-01': 'hel' };
const address: Record<string, string> = Object.fromEntries(HOSTS.map((h, i) => [h, `${NET}.${i + 1}`]));
const dir = mkdtempSync(join(tmpdir(), 'hafen-standby-'));
const data = (host: string) => join(dir, host);
let controller: Awaited<ReturnType<typeof startController>>;
let admin: HafenClient;
const agents: Record<string, Agent> = {};
const stops: (() => Promise<void> | void)[] = [];
let proxy: Awaited<ReturnType<typeof startProxy>>;
const logs: string[] = [];
const logTail = () => `\nagents said:\n${logs.slice(-20).join('\n')}`;

const fleet = () =>
  readFileSync(join(EXAMPLES, 'three-sites.yaml'), 'utf8')
    .replace(/^defaults:\n(?:[ #].*\n)+/m, '')
    .concat(`
  - id: ${APP}
    customer: huber
    criticality: critical
    workload:
      process:
        command: [node, ${join(FIXTURES, 'apps', 'notes.mjs')}]
        env: { PORT: "8091" }
    domains: [${DOMAIN}]
    port: 8091
    health: { path: /healthz }
    volumes: [{ name: data, size: 10MB }]
    redundancy: { replicas: 2, spreadOver: site, mode: standby, replicateEvery: 5s, rpo: 15s }
    placement: { hosts: [hel-app-01, vie-app-01] }
    resources: { cpu: 0.5, memory: 256MiB }
`)
    .concat(FAST_MONITORING)
    .concat(`\npolicies:\n  maxCustomerShare: 0.7\n  migrations: { cutover: { user: root, port: ${SSH_PORT} } }\n`);

async function agentOn(host: string): Promise<Agent> {
  const { agent } = await startAgent({ controller: controller.url, data: data(host), driver: 'process', address: address[host]!, moveAuthorizedKeys: join(data(host), 'move_keys'), log: (line) => logs.push(`${host}: ${line}`) });
  return agent;
}

before(async () => {
  if (missing) return;
  controller = await startController({ data: join(dir, 'controller'), listen: '127.0.0.1:0' });
  admin = new HafenClient(controller.url, readFileSync(controller.adminTokenFile!, 'utf8').trim());
  for (const host of HOSTS) {
    const sshd = await startLoopbackSshd(address[host]!, SSH_PORT, join(dir, `sshd-${host}`), join(data(host), 'move_keys'));
    stops.push(() => sshd.stop());
  }
  await admin.apply([{ name: 'three-sites.yaml', text: fleet() }], null, 'the fleet with a standby app');
  for (const host of HOSTS) {
    const { agent } = await startAgent({ controller: controller.url, data: data(host), joinToken: (await admin.joinToken(host)).token, driver: 'process', address: address[host]!, moveAuthorizedKeys: join(data(host), 'move_keys'), log: (line) => logs.push(`${host}: ${line}`) });
    agents[host] = agent;
    const { follower } = await startProber({ controller: controller.url, data: data(host), source: address[host]! });
    stops.push(() => follower.stop());
  }
  proxy = await startProxy({ controller: controller.url, data: data('nue-app-01'), listen: `${NET}.10:0`, logStream: new Writable({ write: (_c, _e, cb) => cb() }) });
});

after(async () => {
  run('nft', ['delete', 'table', 'inet', TABLE]);
  await proxy?.stop();
  for (const host of HOSTS) {
    await agents[host]?.stop();
    await ProcessDriver.open({ stateDir: join(data(host), 'state') }).stopAll();
  }
  for (const s of stops.reverse()) await s();
  await controller?.close();
  rmSync(dir, { recursive: true, force: true });
});

const view = async () => (await admin.standbys()).standbys.find((v) => v.app === APP)!;
const viaProxy = (note: string) => getWithHost(proxy.url, DOMAIN, '/notes', {}, { method: 'POST', body: note });
const notesViaProxy = async () => (await getWithHost(proxy.url, DOMAIN, '/notes')).body.split('\n').filter(Boolean);

/** A write straight to a replica from its own host's address (a client at the writer's site). */
function writeAt(host: string, note: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: address[host], port: 8091, path: '/notes', method: 'POST', localAddress: address[host], agent: false, timeout: 3000 }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', reject);
    req.end(note);
  });
}

const notesFile = (host: string, unit: string) => {
  try {
    return readFileSync(join(data(host), 'state', 'data', unit, 'notes.log'), 'utf8').split('\n').filter(Boolean);
  } catch {
    return [];
  }
};

test('a standby waits stopped with a fresh copy; the writer cut off mid-write is replaced within the RTO, fenced when it returns, its partition writes kept aside; a switchover back loses nothing', { timeout: 300_000 }, async (t) => {
  if (!need(t, !missing, missing ?? '')) return;
  // The standby waits, its copy current.
  const ready = await until('the standby copied the writer', async () => {
    const v = await view();
    return v.active && v.standbys[0]?.copiedAt ? v : undefined;
  }, 60_000, 200).catch((err: Error) => assert.fail(`${err.message}${logTail()}`));
  const writerHost = ready.active!.host;
  const standbyHost = ready.standbys[0]!.host;
  const writerUnit = ready.active!.unit;
  const standbyUnit = ready.standbys[0]!.unit;
  assert.equal(ready.term, 1);
  const st = await admin.status();
  const units = st.apps.find((a) => a.app === APP)!.units;
  assert.deepEqual(units.map((u) => [u.unit, u.state, u.role]).sort(), [
    [standbyUnit, 'standby', 'standby'],
    [writerUnit, 'running', 'active'],
  ].sort());

  // Writes through the proxy go to the writer; a copy after them brings them to the standby.
  const before: string[] = [];
  for (let i = 1; i <= 10; i++) {
    const r = await viaProxy(`before-${i}`);
    assert.equal(r.status, 201, r.body);
    assert.equal(r.headers['x-written-by'], address[writerHost]);
    before.push(`before-${i}`);
  }
  const wrote = Date.now();
  await until('a copy made after those writes', async () => {
    const c = (await view()).standbys[0]!.copiedAt;
    return c && Date.parse(c) > wrote ? true : undefined;
  }, 20_000, 200);
  assert.deepEqual(notesFile(standbyHost, standbyUnit), before, 'the standby holds them');

  // The partition: the writer's host loses the controller and the other sites, and takes writes from its own site.
  await agents[writerHost]!.stop();
  const cutAt = Date.now();
  const a = address[writerHost];
  const nft = run('nft', ['-f', '-'], { input: `table inet ${TABLE} {\n chain out {\n  type filter hook output priority 0; policy accept;\n  ip saddr ${a} ip daddr != ${a} drop\n  ip daddr ${a} ip saddr != ${a} drop\n }\n}\n` });
  assert.equal(nft.status, 0, nft.stderr);
  const partitionWrites: string[] = [];
  let writing = true;
  const local = (async () => {
    for (let i = 1; writing; i++) {
      if ((await writeAt(writerHost, `partition-${i}`).catch(() => 0)) === 201) partitionWrites.push(`partition-${i}`);
      await sleep(100);
    }
  })();
  const lost = await until('the writer\'s site declared lost', async () => (await admin.checks()).sites.find((s) => s.site === SITE[writerHost] && s.state === 'lost'), 30_000, 100);
  const lostAt = Date.now();
  // RTO: from the declaration to a write accepted through the proxy at the new writer.
  const accepted = await until('a write accepted at the new writer', async () => {
    const r = await viaProxy('after-1').catch(() => undefined);
    return r?.status === 201 && r.headers['x-written-by'] === address[standbyHost] ? r : undefined;
  }, 30_000, 100);
  const rto = (Date.now() - lostAt) / 1000;
  assert.ok(accepted);
  assert.ok(rto <= 15, `RTO ${rto} s after the site-loss declaration (seen by ${lost.seenBy.join(', ')})`);
  t.diagnostic(`site cut → declared lost ${((lostAt - cutAt) / 1000).toFixed(1)} s; declared lost → a write accepted at the new writer ${rto.toFixed(1)} s`);
  const promoted = await view();
  assert.equal(promoted.term, 2);
  assert.equal(promoted.active?.unit, standbyUnit);
  const events = (await admin.events({ kind: 'standby' })).events;
  assert.match(events.find((e) => e.state === 'failover')?.message ?? '', new RegExp(`${APP} failed over: ${standbyUnit} at ${SITE[standbyHost]} writes in term 2`));
  const after: string[] = ['after-1'];
  for (let i = 2; i <= 10; i++) {
    const r = await viaProxy(`after-${i}`);
    assert.equal(r.status, 201);
    after.push(`after-${i}`);
  }
  await sleep(500);
  writing = false;
  await local;
  assert.ok(partitionWrites.length > 0, 'the cut-off writer took writes from its own site');

  // The site heals; its agent returns with an older term.
  run('nft', ['delete', 'table', 'inet', TABLE]);
  agents[writerHost] = await agentOn(writerHost);
  await until('the old writer stopped: a standby of term 2', async () => {
    const u = (await admin.status()).apps.find((x) => x.app === APP)!.units.find((x) => x.unit === writerUnit);
    return u?.state === 'standby' ? true : undefined;
  }, 30_000, 200).catch((err: Error) => assert.fail(`${err.message}${logTail()}`));
  assert.equal(await writeAt(writerHost, 'late').catch(() => 0), 0, 'the old writer takes no more writes');
  const fenced = await until('the partition\'s writes kept aside and alerted', async () => {
    const alert = (await admin.alerts()).alerts.find((x) => x.key.startsWith(`standby-fenced:${writerHost}:${writerUnit}:t1`));
    return alert;
  }, 30_000, 200);
  const path = /kept aside at [^:]+:(\S+), not merged/.exec(fenced.summary)![1]!;
  const aside = readFileSync(join(path, 'data', 'notes.log'), 'utf8').split('\n').filter(Boolean);
  assert.deepEqual(aside, [...before, ...partitionWrites], 'what the old writer had, partition writes included, kept aside as it was');
  // Exactly one writer, holding every write accepted after the promotion and every write copied before the cut.
  const asProxy = new HafenClient(controller.url, (JSON.parse(readFileSync(join(data('nue-app-01'), 'credential.json'), 'utf8')) as { credential: string }).credential);
  const table = (await asProxy.proxyRoutes(undefined, 0)).table.routes.find((r) => r.host === DOMAIN)!;
  assert.equal(table.term, 2);
  assert.deepEqual(table.replicas.filter((r) => r.weight > 0).map((r) => r.id), [standbyUnit]);
  const running = (await admin.status()).apps.find((x) => x.app === APP)!.units.filter((u) => u.state === 'running');
  assert.deepEqual(running.map((u) => u.unit), [standbyUnit]);
  const now = await notesViaProxy();
  assert.deepEqual(now, [...before, ...after], 'every write before the last copy and after the promotion; none of the partition\'s merged in');
  await until('the old writer copies from the new one', async () => (notesFile(writerHost, writerUnit).join() === now.join() ? true : undefined), 30_000, 200);

  // A planned switchover back: the writer stops, a final copy, the old site writes; no write lost.
  const last = await viaProxy('before-switch');
  assert.equal(last.status, 201);
  const cli = await hafenAsync(['failover', APP, '--to', SITE[writerHost]!, '--controller', controller.url, '--token-file', controller.adminTokenFile!, '--timeout', '120']);
  assert.equal(cli.status, 0, `${cli.stdout}${cli.stderr}${logTail()}`);
  assert.match(cli.stdout, new RegExp(`${writerUnit} at ${SITE[writerHost]} writes in term 3`));
  const back = await view();
  assert.equal(back.active?.unit, writerUnit);
  const final = await until('the proxy routes to the old site again', async () => {
    const r = await getWithHost(proxy.url, DOMAIN, '/notes').catch(() => undefined);
    return r?.status === 200 && r.headers['x-written-by'] === address[writerHost] ? r.body.split('\n').filter(Boolean) : undefined;
  }, 20_000, 100);
  assert.deepEqual(final, [...before, ...after, 'before-switch'], 'a switchover loses nothing');
  assert.ok(!(await admin.alerts()).alerts.some((x) => x.key.startsWith(`standby-fenced:${standbyHost}`)), 'a planned handover keeps nothing aside');
});
