/**
 * HAProxy driven by hafen under load: 300 GETs and 12 POSTs a second through it while (1) the
 * route table changes structurally three times (a new app each time: hitless reloads, the old
 * worker finishing its requests) and (2) a replica's weight is ramped 0 → 10 → 50 → 100 %
 * and the other's down to 0 (runtime API, no reload). Not one request may fail in either.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import type { RouteTable } from '../../src/core/render/routes.js';
import { HaproxyEngine, freeListen } from '../../src/proxy/haproxy/engine.js';
import { startBackend, type Backend } from '../helpers/backends.js';
import { getWithHost } from '../helpers/http.js';
import { need } from '../helpers/system.js';
import { sleep, until } from '../helpers/wait.js';
import { loopbackNet } from '../helpers/loopback.js';

const lo = loopbackNet();

const HAPROXY = '/usr/sbin/haproxy';
const dirs: string[] = [];
after(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

function table(revision: number, backends: Backend[], weights: number[], extraApps: Backend[] = []): RouteTable {
  const rep = (b: Backend, weight = 100) => ({ id: b.id, site: 'nue', host: `h-${b.id}`, address: b.address, port: b.port, weight, state: 'active' as const });
  return {
    revision,
    routes: [
      { host: 'shop.example.com', pathPrefix: '/', app: 'shop', redirectHttps: false, health: { path: '/healthz', expectStatus: 200 }, replicas: backends.map((b, i) => rep(b, weights[i])) },
      ...extraApps.map((b) => ({ host: `${b.id}.example.com`, pathPrefix: '/', app: b.id.replace(/-r\d+$/, ''), redirectHttps: false, replicas: [rep(b)] })),
    ],
  };
}

/**
 * 300 GET/s and 12 POST/s on keep-alive connections until stopped; every answer's status. Nothing
 * is sent twice: a request that meets a connection closed under it counts as lost.
 */
function load(url: string) {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 100 });
  const results: { method: string; status: number; error?: string; backend: string }[] = [];
  const pending: Promise<void>[] = [];
  const send = (method: string, n: number): Promise<void> =>
    new Promise<void>((resolve) => {
      const body = method === 'POST' ? `order ${n}` : undefined;
      const req = http.request(`${url}/item/${n}`, { method, agent, headers: { host: 'shop.example.com', ...(body ? { 'content-length': Buffer.byteLength(body) } : {}) } }, (res) => {
        res.resume();
        res.on('end', () => {
          results.push({ method, status: res.statusCode ?? 0, backend: String(res.headers['x-backend'] ?? '') });
          resolve();
        });
      });
      req.on('error', (err) => {
        results.push({ method, status: 0, error: (err as NodeJS.ErrnoException).code ?? err.message, backend: '' });
        resolve();
      });
      req.end(body);
    });
  const start = performance.now();
  let n = 0;
  const timer = setInterval(() => {
    const due = Math.floor(((performance.now() - start) * 300) / 1000);
    while (n < due) {
      pending.push(send(n % 25 === 0 ? 'POST' : 'GET', n));
      n++;
    }
  }, 10);
  return {
    stop: async () => {
      clearInterval(timer);
      await Promise.all(pending);
      agent.destroy();
      return results;
    },
  };
}

// The worker a reload replaces keeps its idle keep-alive connections and answers the next
// request on each before closing it (option idle-close-on-response), so no request meets a
// connection closed under it.
test('reloads under load lose no request, and the new routes are served', async (t) => {
  if (!need(t, existsSync(HAPROXY), 'haproxy is not installed')) return;
  const [a, b] = await Promise.all([startBackend('shop-r1', `${lo}.1`), startBackend('shop-r2', `${lo}.2`)]);
  const extra = await Promise.all([1, 2, 3].map((i) => startBackend(`app${i}-r1`, `${lo}.${10 + i}`)));
  const dir = mkdtempSync(join(tmpdir(), 'hafen-haproxy-reload-'));
  dirs.push(dir);
  const e = await HaproxyEngine.start(table(1, [a, b], [100, 100]), { site: 'nue', listen: await freeListen({ host: `${lo}.100`, port: 0 }), dir, binary: HAPROXY });
  try {
    const l = load(e.url);
    for (let i = 1; i <= 3; i++) {
      await sleep(1000);
      assert.equal(await e.update(table(1 + i, [a, b], [100, 100], extra.slice(0, i))), 'reload');
    }
    await sleep(1000);
    const results = await l.stop();
    const failed = results.filter((r) => r.status !== 200);
    t.diagnostic(`${results.length} requests during ${e.reloadCount} reloads, ${failed.length} failed`);
    assert.equal(e.reloadCount, 3);
    assert.ok(results.length >= 1000, `enough load: ${results.length}`);
    assert.deepEqual(failed.slice(0, 5), [], `${failed.length} of ${results.length} failed`);
    // The new apps are served by the reloaded config.
    const res = await getWithHost(e.url, 'app3-r1.example.com');
    assert.equal(res.status, 200);
    assert.match(res.body, /^app3-r1 GET \//);
  } finally {
    await e.close();
    await Promise.all([a, b, ...extra].map((x) => x.close()));
  }
});

test('a weight ramp 0 → 10 → 50 → 100 % under load loses no request and ends on the new replica', async (t) => {
  if (!need(t, existsSync(HAPROXY), 'haproxy is not installed')) return;
  const [a, b] = await Promise.all([startBackend('shop-r1', `${lo}.21`), startBackend('shop-r2', `${lo}.22`)]);
  const dir = mkdtempSync(join(tmpdir(), 'hafen-haproxy-ramp-'));
  dirs.push(dir);
  const e = await HaproxyEngine.start(table(1, [a, b], [100, 0]), { site: 'nue', listen: await freeListen({ host: `${lo}.100`, port: 0 }), dir, binary: HAPROXY });
  try {
    const l = load(e.url);
    const steps: [number, number][] = [[90, 10], [50, 50], [0, 100]];
    for (const [i, [wa, wb]] of steps.entries()) {
      await sleep(1000);
      assert.equal(await e.update(table(2 + i, [a, b], [wa, wb])), 'runtime');
    }
    await sleep(1500);
    const results = await l.stop();
    const failed = results.filter((r) => r.status !== 200);
    assert.ok(results.length >= 1000, `enough load: ${results.length}`);
    assert.deepEqual(failed.slice(0, 5), [], `${failed.length} of ${results.length} failed`);
    assert.equal(e.reloadCount, 0, 'weights change at run time');
    const tail = results.slice(-100);
    assert.ok(tail.every((r) => r.backend === 'shop-r2'), `the last requests all on shop-r2: ${[...new Set(tail.map((r) => r.backend))].join(', ')}`);
    const first = results.slice(0, 100);
    assert.ok(first.every((r) => r.backend === 'shop-r1'), 'at weight 0 the new replica took nothing');
    t.diagnostic(`${results.length} requests over the ramp, none failed`);
  } finally {
    await e.close();
    await Promise.all([a.close(), b.close()]);
  }
});

test('a replica added to an app and the old one removed under load: at run time, no request lost, the old server deleted', async (t) => {
  if (!need(t, existsSync(HAPROXY), 'haproxy is not installed')) return;
  const [a, b] = await Promise.all([startBackend('shop-r1', `${lo}.41`), startBackend('shop-r2', `${lo}.42`)]);
  const dir = mkdtempSync(join(tmpdir(), 'hafen-haproxy-servers-'));
  dirs.push(dir);
  const e = await HaproxyEngine.start(table(1, [a], [100]), { site: 'nue', listen: await freeListen({ host: `${lo}.100`, port: 0 }), dir, binary: HAPROXY });
  try {
    const l = load(e.url);
    await sleep(1000);
    assert.equal(await e.update(table(2, [a, b], [100, 100])), 'runtime');
    await sleep(1000);
    assert.equal(await e.update(table(3, [b], [100])), 'runtime');
    await sleep(1500);
    const results = await l.stop();
    const failed = results.filter((r) => r.status !== 200);
    assert.ok(results.length >= 1000, `enough load: ${results.length}`);
    assert.deepEqual(failed.slice(0, 5), [], `${failed.length} of ${results.length} failed`);
    assert.equal(e.reloadCount, 0, 'servers are added and removed at run time');
    assert.ok(b.served > 100, 'the added replica took requests');
    assert.ok(results.slice(-100).every((r) => r.backend === 'shop-r2'), 'the removed replica takes nothing');
    // Deleted from HAProxy once it held no connection (retried every second).
    await until('shop-r1 deleted from HAProxy', async () => ((await e.stats()).some((r) => r.svname === 'shop-r1') ? undefined : true), 5000);
    t.diagnostic(`${results.length} requests while a replica was added and another removed, none failed`);
  } finally {
    await e.close();
    await Promise.all([a.close(), b.close()]);
  }
});

test('a configuration HAProxy refuses is never loaded: the old one serves on, the next good table is taken', async (t) => {
  if (!need(t, existsSync(HAPROXY), 'haproxy is not installed')) return;
  const [a, extra] = await Promise.all([startBackend('shop-r1', `${lo}.31`), startBackend('extra-r1', `${lo}.32`)]);
  const dir = mkdtempSync(join(tmpdir(), 'hafen-haproxy-refused-'));
  dirs.push(dir);
  const e = await HaproxyEngine.start(table(1, [a], [100]), { site: 'nue', listen: await freeListen({ host: `${lo}.100`, port: 0 }), dir, binary: HAPROXY });
  try {
    // An unbalanced quote in a health path (a hand-written route file may hold one).
    const bad = table(2, [a], [100]);
    bad.routes[0]!.health = { path: '/health"z', expectStatus: 200 };
    await assert.rejects(e.update(bad), (err: Error & { code?: string }) => err.code === 'HAFEN_HAPROXY_CONFIG' && /previous one stays/.test(err.message));
    assert.equal(e.reloadCount, 0);
    assert.match((await getWithHost(e.url, 'shop.example.com')).body, /^shop-r1 GET \//);
    assert.equal(await e.update(table(3, [a], [100], [extra])), 'reload');
    assert.equal(e.reloadCount, 1);
    assert.match((await getWithHost(e.url, 'extra-r1.example.com')).body, /^extra-r1 GET \//);
  } finally {
    await e.close();
    await Promise.all([a.close(), extra.close()]);
  }
});
