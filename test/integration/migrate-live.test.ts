/**
 * A live move under load: the three-site fleet on loopback (controller, an agent per host with
 * the process driver, the edge proxy at nue), verlag's blog (it can run twice; verlag chose to
 * be told of live moves) moves from Helsinki to Nuremberg while a load generator sends it 200
 * requests a second through the proxy. The controller restarts in the middle and the move
 * carries on; not one request fails; afterwards a new revision places the blog at nue and
 * hel's replica is gone. Then a move back whose target's agent is away never gets healthy:
 * it rolls back, and the blog serves on from nue throughout.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { after, before, test } from 'node:test';
import type { Agent } from '../../src/agent/agent.js';
import { ProcessDriver } from '../../src/agent/drivers/process.js';
import { startAgent } from '../../src/agent/main.js';
import { HafenClient, type MoveRecord } from '../../src/client/client.js';
import { startController } from '../../src/controller/main.js';
import { startProxy } from '../../src/proxy/main.js';
import { getWithHost } from '../helpers/http.js';
import { steadyGets } from '../helpers/load.js';
import { EXAMPLES, hafenAsync } from '../helpers/paths.js';
import { FAST_MONITORING } from '../helpers/three-sites.js';
import { sleep, until } from '../helpers/wait.js';

const BASE = 77;
const HOSTS = ['nue-app-01', 'vie-app-01', 'hel-app-01'];
const address: Record<string, string> = Object.fromEntries(HOSTS.map((h, i) => [h, `127.0.${BASE}.${i + 1}`]));
const dir = mkdtempSync(join(tmpdir(), 'hafen-migrate-live-'));
const data = (host: string) => join(dir, host);
let controller: Awaited<ReturnType<typeof startController>>;
let url: URL;
let admin: HafenClient;
let env: NodeJS.ProcessEnv;
const agents: Record<string, Agent> = {};
let proxy: Awaited<ReturnType<typeof startProxy>>;

before(async () => {
  controller = await startController({ data: join(dir, 'controller'), listen: '127.0.0.1:0' });
  url = new URL(controller.url);
  const token = readFileSync(controller.adminTokenFile!, 'utf8').trim();
  admin = new HafenClient(controller.url, token);
  env = { ...process.env, HAFEN_CONTROLLER: controller.url, HAFEN_TOKEN: token };
  const text = readFileSync(join(EXAMPLES, 'three-sites.yaml'), 'utf8')
    .replace(/^defaults:\n(?:[ #].*\n)+/m, '')
    .replace('    contacts: [{ name: Jens Nord, email: jens@verlag.example }]\n', '    contacts: [{ name: Jens Nord, email: jens@verlag.example }]\n    liveMoves: announce\n')
    .replace('  - id: verlag-blog\n    customer: verlag\n', '  - id: verlag-blog\n    customer: verlag\n    migration: live\n')
    .concat(FAST_MONITORING)
    .concat('\npolicies:\n  maxCustomerShare: 0.7\n  migrations: { live: { weights: [10, 50, 100], step: 3s, startTimeout: 8s, drain: 2s } }\n');
  await admin.apply([{ name: 'three-sites.yaml', text }], null, 'the fleet');
  for (const host of HOSTS) {
    const { agent } = await startAgent({ controller: controller.url, data: data(host), joinToken: (await admin.joinToken(host)).token, driver: 'process', address: address[host]! });
    agents[host] = agent;
  }
  proxy = await startProxy({ controller: controller.url, data: data('nue-app-01'), listen: `127.0.${BASE}.10:0`, logStream: new Writable({ write: (_c, _e, cb) => cb() }) });
});

after(async () => {
  await proxy?.stop();
  for (const host of HOSTS) {
    await agents[host]?.stop();
    await ProcessDriver.open({ stateDir: join(data(host), 'state') }).stopAll();
  }
  await controller?.close();
  rmSync(dir, { recursive: true, force: true });
});

/** 200 GET/s to the blog through the proxy until stopped; every answer's status and which host served it. */
const load = (proxyUrl: string) => steadyGets(proxyUrl, 'blog.verlag.example', 200);

const servedBy = (body: string) => /^Moin from verlag-blog-r1 at (127\.0\.\d+\.\d+):/.exec(body)?.[1];
const migration = async (id: string): Promise<MoveRecord> => (await admin.move(id)).migration;

test('a live move under 200 req/s with a controller restart in the middle: not one request fails, and the blog ends at the target', async (t) => {
  let last = '';
  await until('the blog served through the proxy from hel', async () => {
    const r = await getWithHost(proxy.url, 'blog.verlag.example').catch((err: Error) => ({ status: 0, body: err.message }));
    last = `${r.status} ${r.body}`;
    return r.status === 200 && servedBy(r.body) === address['hel-app-01'] ? true : undefined;
  }, 30_000, 200).catch((err: Error) => assert.fail(`${err.message}; last answer: ${last}`));
  const before = (await admin.health()).revision!;
  const traffic = load(proxy.url);
  await sleep(1000);
  const proposed = await hafenAsync(['migrate', 'propose', 'verlag-blog', '--to', 'nue', '--format', 'json'], { env });
  assert.equal(proposed.status, 0, proposed.stderr + proposed.stdout);
  const [mig] = (JSON.parse(proposed.stdout) as { migrations: MoveRecord[] }).migrations;
  assert.equal(mig!.state, 'accepted', 'verlag chose to be told, not asked');

  // The controller goes away while traffic shifts, and comes back on the same address.
  await until('the move shifting traffic', async () => ((await migration(mig!.id)).run?.phase === 'shifting' ? true : undefined), 30_000, 100);
  const shifting = await hafenAsync(['migrate', 'status', mig!.id], { env });
  assert.match(shifting.stdout, new RegExp(`^${mig!.id} {2}verlag-blog \\(verlag\\) {2}hel → nue {2}live, no downtime {2}running: shifting \\(step \\d\\) since`, 'm'));
  await controller.close();
  await sleep(1500);
  controller = await startController({ data: join(dir, 'controller'), listen: `${url.hostname}:${url.port}` });
  let seen: MoveRecord | undefined;
  const done = await until('the move done', async () => {
    seen = await migration(mig!.id);
    assert.notEqual(seen.state, 'rolled-back', JSON.stringify(seen.run));
    return seen.state === 'done' ? seen : undefined;
  }, 60_000, 200).catch((err: Error) => assert.fail(`${err.message}: ${seen?.state} ${JSON.stringify(seen?.run)}`));
  await until("hel's replica gone", async () => {
    const units = (await admin.status()).apps.find((a) => a.app === 'verlag-blog')?.units ?? [];
    return units.length === 1 && units[0]!.host === 'nue-app-01' && units[0]!.state === 'running' ? true : undefined;
  }, 30_000, 200);
  await sleep(1500);
  const { all, seconds } = await traffic.stop();

  const failed = all.filter((r) => r.status !== 200);
  assert.ok(all.length >= 150 * seconds, `the load ran at ${(all.length / seconds).toFixed(0)} req/s`);
  assert.deepEqual(failed.slice(0, 5), [], `${failed.length} of ${all.length} requests failed`);
  const hosts = all.map((r) => servedBy(r.body));
  assert.equal(hosts[0], address['hel-app-01'], 'served from hel before');
  assert.equal(hosts.at(-1), address['nue-app-01'], 'and from nue after');

  const head = (await admin.health()).revision!;
  assert.ok(head > before, 'a new revision places the blog');
  const rev = await fetch(`${controller.url}/v1/revisions/${head}`, { headers: { authorization: `Bearer ${env.HAFEN_TOKEN}` } }).then((r) => r.json() as Promise<{ placements: { app: string; host: string }[]; author: string }>);
  assert.deepEqual(rev.placements.filter((p) => p.app === 'verlag-blog').map((p) => p.host), ['nue-app-01']);
  assert.equal(rev.author, `migration ${mig!.id}`);
  const events = (await admin.move(mig!.id)).events;
  const kinds = events.map((e) => e.kind);
  assert.deepEqual(kinds.filter((k) => k !== 'step' && k !== 'not-sent'), ['announced', 'started', 'done']);
  // This fleet names no receiver for customers: each message says it was not sent, and why.
  assert.deepEqual(events.filter((e) => e.kind === 'not-sent').map((e) => e.detail.split(':')[0]), ['announcement not sent', 'started not sent', 'finished not sent']);
  assert.ok(kinds.filter((k) => k === 'step').length >= 4, kinds.join(', '));
  t.diagnostic(`${all.length} requests in ${seconds.toFixed(1)} s (${(all.length / seconds).toFixed(0)}/s), ${failed.length} failed; move took ${((Date.parse(done.updatedAt) - Date.parse(done.run!.startedAt)) / 1000).toFixed(1)} s with a controller restart`);
});

test('a live move whose target never gets healthy rolls back in time, and the app serves on from where it was', async () => {
  await agents['hel-app-01']!.stop();
  const traffic = load(proxy.url);
  const res = await admin.proposeMoves({ apps: ['verlag-blog'], to: 'hel' });
  const mig = res.migrations[0]!;
  const rolled = await until('rolled back', async () => {
    const m = await migration(mig.id);
    return m.state === 'rolled-back' ? m : undefined;
  }, 40_000, 200);
  assert.match(rolled.run?.reason ?? '', /the target was not healthy within 8 s \(no report from its host since the move started\)/);
  await sleep(1000);
  const { all } = await traffic.stop();
  assert.deepEqual(all.filter((r) => r.status !== 200).slice(0, 5), [], 'no request failed');
  assert.ok(all.every((r) => servedBy(r.body) === address['nue-app-01']), 'all served from nue');
  const aborted = await hafenAsync(['migrate', 'abort', mig.id], { env });
  assert.equal(aborted.status, 1);
  assert.match(aborted.stderr, /is rolled-back: only a running move can be aborted/);
});
