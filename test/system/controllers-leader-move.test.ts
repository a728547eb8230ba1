/**
 * Two controllers (real processes) on one PostgreSQL store run the three-site fleet: agents
 * (process driver) and the edge proxy know both controllers. verlag's blog moves live from
 * Helsinki to Nuremberg under 100 GET/s through the proxy, and the leader is killed twice:
 * while it sends the customer's "started" message (the webhook holds the answer back), and,
 * after it came back as a follower, while the move shifts traffic. Each time the other
 * controller takes over (times printed, at most 15 s) and the move carries on from the store:
 * it ends done, no step is taken twice, no request fails, and the customer gets each message
 * once — the one cut short is given up as "may have gone out", not sent again.
 */
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { after, test } from 'node:test';
import type { Agent } from '../../src/agent/agent.js';
import { ProcessDriver } from '../../src/agent/drivers/process.js';
import { startAgent } from '../../src/agent/main.js';
import { HafenClient, type MoveRecord } from '../../src/client/client.js';
import { startProxy } from '../../src/proxy/main.js';
import { leaderAmong, spawnController, type ControllerProcess } from '../helpers/controllers.js';
import { freePort } from '../helpers/demo.js';
import { getWithHost } from '../helpers/http.js';
import { steadyGets } from '../helpers/load.js';
import { EXAMPLES } from '../helpers/paths.js';
import { freshDatabase, postgresMissing } from '../helpers/postgres.js';
import { need } from '../helpers/system.js';
import { FAST_MONITORING } from '../helpers/three-sites.js';
import { sleep, until } from '../helpers/wait.js';

const BASE = 79;
const KEY = 'c'.repeat(64);
const HOSTS = ['nue-app-01', 'vie-app-01', 'hel-app-01'];
const address: Record<string, string> = Object.fromEntries(HOSTS.map((h, i) => [h, `127.0.${BASE}.${i + 1}`]));
const dir = mkdtempSync(join(tmpdir(), 'hafen-leader-move-'));
const cleanup: (() => Promise<unknown>)[] = [];

after(async () => {
  for (const c of cleanup.reverse()) await c().catch(() => undefined);
  rmSync(dir, { recursive: true, force: true });
});

/** A webhook that records every message; `hold` keeps the answer to one kind back (and calls back when it came). */
async function customerHook() {
  const got: { id: string; message: string }[] = [];
  let held: { message: string; came: () => void } | undefined;
  const server = http.createServer((req, res) => {
    let text = '';
    req.on('data', (d: Buffer) => (text += d.toString()));
    req.on('end', () => {
      const body = JSON.parse(text) as { id: string; migration?: { message: string } };
      got.push({ id: body.id, message: body.migration?.message ?? '' });
      if (held && body.migration?.message === held.message) {
        held.came();
        setTimeout(() => res.writeHead(204).end(), 3000);
      } else res.writeHead(204).end();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  cleanup.push(() => new Promise((r) => server.close(r)));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, got, hold: (message: string, came: () => void) => (held = { message, came }) };
}

const servedBy = (body: string) => /^Moin from verlag-blog-r1 at (127\.0\.\d+\.\d+):/.exec(body)?.[1];

test('the leader killed twice during a live move: the other takes over each time, the move ends done, no step twice, no request lost, each message once', async (t) => {
  const missing = await postgresMissing();
  if (!need(t, missing === undefined, missing ?? '')) return;
  const db = await freshDatabase();
  cleanup.push(() => db.drop());
  const ports = [await freePort(), await freePort()];
  let cs: ControllerProcess[] = [];
  const start = async (name: string, port: number) => {
    const c = await spawnController({ store: db.url, data: join(dir, name), port, secretKey: KEY });
    cleanup.push(() => c.kill());
    return c;
  };
  cs = [await start('c0', ports[0]!), await start('c1', ports[1]!)];
  const urls = cs.map((c) => c.url).join(',');
  const token = readFileSync(join(dir, 'c0', 'admin.token'), 'utf8').trim();
  const admin = new HafenClient(urls, token);
  const hook = await customerHook();
  const text = readFileSync(join(EXAMPLES, 'three-sites.yaml'), 'utf8')
    .replace(/^defaults:\n(?:[ #].*\n)+/m, '')
    .replace('    contacts: [{ name: Jens Nord, email: jens@verlag.example }]\n', '    contacts: [{ name: Jens Nord, email: jens@verlag.example }]\n    liveMoves: announce\n')
    .replace('  - id: verlag-blog\n    customer: verlag\n', '  - id: verlag-blog\n    customer: verlag\n    migration: live\n')
    .concat(FAST_MONITORING)
    .concat('\npolicies:\n  maxCustomerShare: 0.7\n  migrations: { live: { weights: [10, 50, 100], step: 3s, startTimeout: 15s, drain: 2s }, notify: { receiver: customers-hook } }\n')
    .concat(`\nalerting:\n  receivers:\n    - { id: customers-hook, webhook: { url: "${hook.url}/moves" } }\n`);
  await admin.apply([{ name: 'three-sites.yaml', text }], null, 'the fleet');
  const agents: Agent[] = [];
  for (const host of HOSTS) {
    const { agent } = await startAgent({ controller: urls, data: join(dir, host), joinToken: (await admin.joinToken(host)).token, driver: 'process', address: address[host]! });
    agents.push(agent);
    cleanup.push(async () => {
      await agent.stop();
      await ProcessDriver.open({ stateDir: join(dir, host, 'state') }).stopAll();
    });
  }
  const proxy = await startProxy({ controller: urls, data: join(dir, 'nue-app-01'), listen: `127.0.${BASE}.10:0`, logStream: new Writable({ write: (_c, _e, cb) => cb() }) });
  cleanup.push(() => proxy.stop());
  await until('the blog served through the proxy from hel', async () => {
    const r = await getWithHost(proxy.url, 'blog.verlag.example').catch(() => ({ status: 0, body: '' }));
    return r.status === 200 && servedBy(r.body) === address['hel-app-01'] ? true : undefined;
  }, 40_000, 200);
  const before = (await admin.health()).revision!;
  const traffic = steadyGets(proxy.url, 'blog.verlag.example', 100);
  cleanup.push(() => traffic.stop());
  await sleep(1000);

  // Kill 1: while the leader sends the customer's "started" message.
  const takeovers: string[] = [];
  const killLeader = async (when: string) => {
    const { leader } = await leaderAmong(cs);
    const other = cs.find((c) => c !== leader)!;
    const at = performance.now();
    await leader.kill();
    const { leader: next, term } = await leaderAmong([other]);
    assert.equal(next, other);
    const seconds = (performance.now() - at) / 1000;
    takeovers.push(`${when}: ${seconds.toFixed(2)} s (term ${term})`);
    assert.ok(seconds <= 15, `take-over ${when} in ${seconds.toFixed(2)} s`);
    // The killed one comes back and follows.
    cs = [other, await start(`c-${takeovers.length}`, Number(new URL(leader.url).port))];
  };
  const startedCame = new Promise<void>((resolve) => hook.hold('started', resolve));
  const mig = (await admin.proposeMoves({ apps: ['verlag-blog'], to: 'nue' })).migrations[0]!;
  assert.equal(mig.state, 'accepted', 'verlag chose to be told, not asked');
  await startedCame;
  await killLeader('while sending "started"');

  // Kill 2: while traffic shifts to the target.
  await until('the move shifting traffic', async () => ((await admin.move(mig.id)).migration.run?.phase === 'shifting' ? true : undefined), 40_000, 100);
  await killLeader('while shifting');

  let seen: MoveRecord | undefined;
  const done = await until('the move done', async () => {
    seen = (await admin.move(mig.id)).migration;
    assert.notEqual(seen.state, 'rolled-back', JSON.stringify(seen.run));
    return seen.state === 'done' ? seen : undefined;
  }, 90_000, 200).catch((err: Error) => assert.fail(`${err.message}: ${seen?.state} ${JSON.stringify(seen?.run)}`));
  await until("hel's replica gone", async () => {
    const units = (await admin.status()).apps.find((a) => a.app === 'verlag-blog')?.units ?? [];
    return units.length === 1 && units[0]!.host === 'nue-app-01' && units[0]!.state === 'running' ? true : undefined;
  }, 30_000, 200);
  await until('the "finished" message sent', async () => (hook.got.some((g) => g.message === 'finished') ? true : undefined), 20_000, 100);
  await sleep(1500);
  const { all, seconds } = await traffic.stop();

  // The move: done once, a revision placing the blog at nue, no step twice.
  const failed = all.filter((r) => r.status !== 200);
  assert.deepEqual(failed.slice(0, 5), [], `${failed.length} of ${all.length} requests failed`);
  assert.equal(servedBy(all.at(-1)!.body), address['nue-app-01']);
  const head = (await admin.health()).revision!;
  assert.equal(head, before + 1, 'one revision places the blog (not two)');
  const events = (await admin.move(mig.id)).events;
  assert.deepEqual(events.map((e) => e.kind).filter((k) => k !== 'step'), ['announced', 'started', 'done']);
  const steps = events.filter((e) => e.kind === 'step').map((e) => e.detail);
  assert.equal(new Set(steps).size, steps.length, `no step twice:\n${steps.join('\n')}`);

  // The customer: each message once; the one cut short by the kill is given up, not sent again.
  const messages = hook.got.map((g) => g.message);
  assert.deepEqual(messages, ['announcement', 'started', 'finished'], `received: ${messages.join(', ')}`);
  assert.equal(new Set(hook.got.map((g) => g.id)).size, hook.got.length);
  const notes = (await admin.notifications()).notifications;
  const started = notes.find((n) => n.id.includes('/started/'))!;
  assert.equal(started.status, 'failed');
  assert.match(started.lastError ?? '', /stopped during this attempt; it may have gone out, so it is not sent again/);
  assert.deepEqual(notes.filter((n) => !n.id.includes('/started/')).map((n) => n.status), ['sent', 'sent']);

  for (const line of takeovers) t.diagnostic(`take-over ${line}`);
  t.diagnostic(`${all.length} requests in ${seconds.toFixed(1)} s, ${failed.length} failed; move took ${((Date.parse(done.updatedAt) - Date.parse(done.run!.startedAt)) / 1000).toFixed(1)} s with two leader kills`);
});
