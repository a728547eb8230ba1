/**
 * A replica that hangs rather than refuses, for every engine (issue 31): a proxy at site nue
 * routes one app with a replica at nue (its own site, so it takes every request) and one at vie,
 * each in a process of its own. Plain clients without retries of their own (5 s timeout,
 * keep-alive) send GETs at a steady rate, and a POST now and then; then the nue replica hangs:
 * frozen (SIGSTOP: sockets open, nothing answers) or blackholed (nftables drops every packet to
 * it). No GET may fail at any rate; a POST may fail only with a 504 that came within the try
 * timeout, never by waiting out the client; the hung replica is taken out within seconds and
 * probed back once it answers again.
 */
import assert from 'node:assert/strict';
import http from 'node:http';
import { test } from 'node:test';
import type { RouteTable } from '../../src/core/render/routes.js';
import { startBackendProcess, type BackendProcess } from '../helpers/backend-process.js';
import { loopbackNet } from '../helpers/loopback.js';
import { run } from '../helpers/system.js';
import { sleep, until } from '../helpers/wait.js';
import type { FailoverEngine } from './failover.js';

export type HangMode = 'frozen' | 'blackholed';

/** GETs per second, and how long the load runs on after the hang (long enough for several requests to meet it). */
const RATES: readonly { rate: number; afterMs: number }[] = [
  { rate: 1, afterMs: 7000 },
  { rate: 20, afterMs: 5000 },
  { rate: 500, afterMs: 4000 },
];
const CLIENT_TIMEOUT_MS = 5000;

/** Drops every packet to address:port as it arrives (input hook: the sender hears nothing, as from a dark site). */
function blackhole(address: string, port: number): () => void {
  const table = `hafen_hang_${process.pid}_${port}`;
  const nft = (script: string) => {
    const r = run('nft', ['-f', '-'], { input: script });
    if (r.status !== 0) throw new Error(`nft: ${r.stderr}`);
  };
  nft(`table inet ${table} {\n chain input {\n  type filter hook input priority -10; policy accept;\n  ip daddr ${address} tcp dport ${port} drop\n }\n}\n`);
  return () => nft(`delete table inet ${table}\n`);
}

function table(nue: BackendProcess, vie: BackendProcess): RouteTable {
  const replica = (b: BackendProcess, site: string) => ({ id: b.id, site, host: `${site}-app-01`, address: b.address, port: b.port, weight: 100, state: 'active' as const });
  return { revision: 1, routes: [{ host: 'shop.example.com', pathPrefix: '/', app: 'shop', redirectHttps: false, health: { path: '/healthz', expectStatus: 200 }, replicas: [replica(nue, 'nue'), replica(vie, 'vie')] }] };
}

export function hungReplicaUnderLoad(name: string, modes: readonly HangMode[], start: (table: RouteTable, listen: { host: string; port: number }) => Promise<FailoverEngine>, skip?: string): void {
  for (const mode of modes) {
    for (const { rate, afterMs } of RATES) {
      test(`${name}: a replica ${mode === 'frozen' ? 'frozen (SIGSTOP)' : 'blackholed (nftables drop)'} under ${rate} GET/s: no GET fails, POSTs answered within the try timeout, probed back`, { ...(skip ? { skip } : {}) }, async (t) => {
        const [nueNet, vieNet] = [loopbackNet(), loopbackNet()];
        const nue = await startBackendProcess('shop-r1', `${nueNet}.1`);
        const vie = await startBackendProcess('shop-r2', `${vieNet}.1`);
        const proxy = await start(table(nue, vie), { host: `${nueNet}.100`, port: 0 });
        const agent = new http.Agent({ keepAlive: true, maxSockets: 256 });
        type Outcome = { method: string; status: number; backend: string; error: string; at: number; ms: number };
        const request = (method: string, path: string) =>
          new Promise<Outcome>((resolve) => {
            const at = performance.now();
            const body = method === 'POST' ? 'order' : undefined;
            const done = (status: number, backend: string, error = '') => resolve({ method, status, backend, error, at, ms: performance.now() - at });
            const req = http.request(`${proxy.url}${path}`, { method, agent, headers: { host: 'shop.example.com', ...(body ? { 'content-length': body.length } : {}) } }, (res) => {
              res.resume();
              res.on('end', () => done(res.statusCode ?? 0, String(res.headers['x-backend'] ?? ''), String(res.headers['x-hafen-error'] ?? '')));
              res.on('error', (err) => done(0, '', err.message));
            });
            req.setTimeout(CLIENT_TIMEOUT_MS, () => req.destroy(new Error('no answer within the client timeout')));
            req.on('error', (err) => done(0, '', err.message));
            req.end(body);
          });
        let unhang: (() => void) | undefined;
        const outcomes: Promise<Outcome>[] = [];
        try {
          // Steady load: every 10 ms as many requests as are due by then (a late timer catches up
          // instead of lowering the rate); every 5th request a POST.
          const t0 = performance.now();
          let n = 0;
          const timer = setInterval(() => {
            const due = Math.floor(((performance.now() - t0) * rate) / 1000) + 1;
            while (n < due) {
              n++;
              outcomes.push(request(n % 5 === 0 ? 'POST' : 'GET', `/item/${n}`));
            }
          }, 10);
          await until('the own site served', async () => (nue.served() >= Math.min(3, rate) ? true : undefined), 10_000, 50);
          const hungAt = performance.now();
          if (mode === 'frozen') {
            nue.freeze();
            unhang = () => nue.thaw();
          } else {
            unhang = blackhole(nue.address, nue.port);
          }
          await sleep(afterMs);
          clearInterval(timer);
          const results = await Promise.all(outcomes);
          const gets = results.filter((r) => r.method === 'GET');
          const failed = gets.filter((r) => r.status !== 200);
          const afterHang = gets.filter((r) => r.at >= hungAt);
          assert.ok(afterHang.length >= Math.min(5, rate * 5), `load after the hang: ${afterHang.length} GETs`);
          const slowest = Math.max(...afterHang.map((r) => r.ms));
          assert.deepEqual(failed.slice(0, 5), [], `${failed.length} of ${gets.length} GETs failed (slowest after the hang ${slowest.toFixed(0)} ms)${proxy.diagnostics ? `; the engine said:\n${proxy.diagnostics()}` : ''}`);
          // Answered with time to spare, not just before the client would have given up.
          assert.ok(slowest < CLIENT_TIMEOUT_MS - 1000, `the slowest GET after the hang took ${slowest.toFixed(0)} ms`);
          assert.ok(vie.served() > 0, 'the other site took over');
          // POSTs: answered, or refused with a 504 that came long before the client gave up.
          const posts = results.filter((r) => r.method === 'POST');
          const badPosts = posts.filter((r) => !(r.status === 200 || (r.status === 504 && r.error === 'HAFEN_PROXY_TIMEOUT' && r.ms < CLIENT_TIMEOUT_MS - 1000)));
          assert.deepEqual(badPosts, [], 'every POST answered 200, or 504 within the try timeout');
          const ejectedAt = proxy.down.get('shop-r1');
          assert.ok(ejectedAt !== undefined, 'the hung replica was taken out');
          assert.ok(ejectedAt - hungAt <= 4000, `taken out ${(ejectedAt - hungAt).toFixed(0)} ms after it hung`);
          assert.equal(proxy.down.has('shop-r2'), false, 'the replica that answers stays in');
          t.diagnostic(`${gets.length} GETs (${afterHang.length} after the hang), none failed, slowest ${slowest.toFixed(0)} ms; ${posts.filter((p) => p.status === 504).length} of ${posts.length} POSTs 504; taken out ${(ejectedAt - hungAt).toFixed(0)} ms after it hung`);
          // It answers again: the proxy probes it back and the own site serves again.
          unhang();
          unhang = undefined;
          const before = nue.served();
          await until(
            'the own site serving again',
            async () => {
              await request('GET', '/after');
              return nue.served() > before ? true : undefined;
            },
            15_000,
            200,
          );
        } finally {
          unhang?.();
          agent.destroy();
          await proxy.close();
          await Promise.all([nue.close(), vie.close()]);
        }
      });
    }
  }
}
