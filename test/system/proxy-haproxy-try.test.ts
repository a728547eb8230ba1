/**
 * The HAProxy engine's try timeouts (proxy/haproxy/try-timeouts.ts): an app whose answers take
 * 600 ms gets 4 × that once a window of them was seen, handed to the running HAProxy without a
 * reload; an app with the fleet's proxy.tryTimeout keeps it; an app whose answers take longer
 * than the floor (1.5 s) has its first requests cut, and within a window or two its timeout is
 * long enough and its requests are answered.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import type { RouteTable } from '../../src/core/render/routes.js';
import { HaproxyEngine, freeListen } from '../../src/proxy/haproxy/engine.js';
import { startBackend } from '../helpers/backends.js';
import { HAPROXY } from '../helpers/engines.js';
import { getWithHost } from '../helpers/http.js';
import { loopbackNet } from '../helpers/loopback.js';
import { need, works } from '../helpers/system.js';
import { until } from '../helpers/wait.js';

const dir = mkdtempSync(join(tmpdir(), 'hafen-haproxy-try-'));
after(() => rmSync(dir, { recursive: true, force: true }));

test('try timeouts follow the answers: derived from a window of them and handed over without a reload; the fleet\'s own wins', { timeout: 60_000 }, async (t) => {
  if (!need(t, works(HAPROXY, ['-v']), 'haproxy is not installed')) return;
  const net = loopbackNet();
  const slow = await startBackend('slow-r1', `${net}.1`, { delayMs: 600 });
  const fixed = await startBackend('fixed-r1', `${net}.2`);
  const slower = await startBackend('slower-r1', `${net}.3`, { delayMs: 1500 });
  const rep = (id: string, b: { address: string; port: number }) => ({ id, site: 'nue', host: 'nue-app-01', address: b.address, port: b.port, weight: 100, state: 'active' as const });
  const table: RouteTable = {
    revision: 1,
    routes: [
      { host: 'slow.example.com', pathPrefix: '/', app: 'slow', redirectHttps: false, replicas: [rep('slow-r1', slow)] },
      { host: 'fixed.example.com', pathPrefix: '/', app: 'fixed', redirectHttps: false, replicas: [rep('fixed-r1', fixed)], tryTimeoutMs: 2500 },
      { host: 'slower.example.com', pathPrefix: '/', app: 'slower', redirectHttps: false, health: { path: '/healthz', expectStatus: 200 }, replicas: [rep('slower-r1', slower)] },
    ],
  };
  const engine = await HaproxyEngine.start(table, { site: 'nue', listen: await freeListen({ host: `${net}.100`, port: 0 }), dir, binary: HAPROXY });
  try {
    assert.deepEqual([...(await engine.tryTimeouts())].sort(), [['app_fixed', 2500], ['app_slow', 1000], ['app_slower', 1000]], 'before any answer: the floor, and the fleet\'s own');
    const reloads = engine.reloadCount;
    for (let i = 0; i < 3; i++) assert.equal((await getWithHost(engine.url, 'slow.example.com', '/')).status, 200);
    const derived = await until('the slow app\'s try timeout derived', async () => {
      const ms = (await engine.tryTimeouts()).get('app_slow')!;
      return ms > 1000 ? ms : undefined;
    }, 15_000, 250);
    assert.ok(derived >= 2400 && derived <= 3000, `4 × ~600 ms: ${derived}`);
    assert.equal((await engine.tryTimeouts()).get('app_fixed'), 2500);
    // Answers slower than the floor: cut at first (every try), learnt from the cut tries of a server that passes its checks.
    // (A cut try counts against the server as a failed connection would: 504, or 503 while it is out.)
    const first = await getWithHost(engine.url, 'slower.example.com', '/', {}, { timeoutMs: 15_000 });
    assert.ok(first.status === 504 || first.status === 503, `the first slower request: ${first.status} ${first.body}`);
    await until('the slower app\'s try timeout raised', async () => ((await engine.tryTimeouts()).get('app_slower')! >= 4000 ? true : undefined), 15_000, 250);
    assert.equal((await getWithHost(engine.url, 'slower.example.com', '/')).status, 200);
    assert.equal(engine.reloadCount, reloads, 'no reload');
  } finally {
    await engine.close();
    await Promise.all([slow.close(), fixed.close(), slower.close()]);
  }
});
