/**
 * The response timeout: a replica that takes the request and never answers costs a GET one
 * timeout and a retry elsewhere, and a POST a 502 after the timeout (never a replay). The
 * stall detector is off here, so only the timeout can end the wait.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { startProxyServer, type ProxyServer } from '../../src/proxy/server.js';
import { shopTable, startBackend, type Backend } from '../helpers/backends.js';
import { getWithHost } from '../helpers/http.js';

let slow: Backend;
let fast: Backend;
let proxy: ProxyServer;


async function timed(method: string, host: string): Promise<{ status: number; body: string; ms: number }> {
  const t0 = performance.now();
  const res = await getWithHost(proxy.url, host, '/x', {}, { method, ...(method === 'POST' ? { body: 'order=1' } : {}) });
  return { status: res.status, body: res.body, ms: performance.now() - t0 };
}

before(async () => {
  slow = await startBackend('slow', '127.0.0.1', { delayMs: 30_000 });
  fast = await startBackend('fast', '127.0.0.1');
  proxy = await startProxyServer({
    site: 'nue',
    listen: { host: '127.0.0.1', port: 0 },
    responseTimeoutMs: 400,
    health: { stallMs: 0, intervalMs: 60_000 },
    table: shopTable(
      [
        { b: slow, site: 'nue' },
        { b: fast, site: 'vie' },
      ],
      false,
    ),
  });
});

after(async () => {
  await proxy.close();
  slow.kill();
  await fast.close();
});

test('a GET that gets no answer within the response timeout is sent to another replica', async () => {
  const r = await timed('GET', 'shop.example.com');
  assert.equal(r.status, 200);
  assert.match(r.body, /^fast GET/);
  assert.ok(r.ms >= 350 && r.ms < 1500, `answered after ${r.ms.toFixed(0)} ms: one 400 ms timeout, then the other replica`);
});

test('a POST that gets no answer within the response timeout fails with 502 and is not replayed', async () => {
  const served = fast.served;
  // The own site's replica is preferred; the first GET's passive failure does not eject it (3 needed).
  const r = await timed('POST', 'shop.example.com');
  assert.equal(r.status, 502);
  assert.match(r.body, /UND_ERR_HEADERS_TIMEOUT|cannot be sent again/);
  assert.ok(r.ms >= 350 && r.ms < 1500, `failed after ${r.ms.toFixed(0)} ms`);
  assert.equal(fast.served, served, 'the POST was not sent to the other replica');
});
