import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { test } from 'node:test';
import type { Probe } from '../../core/monitor/checks.js';
import { phaseOf, Prober, type ProbeReport } from './prober.js';

const probes = (n: number, intervalMs: number, port = 1): Probe[] =>
  Array.from({ length: n }, (_, i) => ({ id: `replica:app${i}-r1`, kind: 'tcp' as const, address: '127.0.0.1', port, intervalMs, timeoutMs: 200 }));

test('phases spread probes evenly over the interval and stay put for the same id', () => {
  const buckets = new Array<number>(10).fill(0);
  for (const p of probes(10_000, 30_000)) buckets[Math.floor(phaseOf(p.id, 30_000) / 3000)]!++;
  for (const b of buckets) assert.ok(b > 850 && b < 1150, `each tenth of the interval gets about 1,000 starts: ${buckets.join(' ')}`);
  assert.equal(phaseOf('replica:x-r1', 30_000), phaseOf('replica:x-r1', 30_000));
});

test('every probe runs once per interval, at its slot, and results carry the check id', async () => {
  const seen: ProbeReport[] = [];
  const prober = new Prober({ onResult: (r) => seen.push(r), run: async () => ({ ok: true, ms: 1 }) });
  prober.set(probes(50, 500));
  await new Promise((r) => setTimeout(r, 1600));
  await prober.stop();
  const per = new Map<string, number>();
  for (const r of seen) per.set(r.check, (per.get(r.check) ?? 0) + 1);
  assert.equal(per.size, 50);
  for (const [id, n] of per) assert.ok(n >= 3 && n <= 4, `${id} ran ${n} times in 1.6 s at a 500 ms interval`);
  for (const r of seen) assert.ok((r.at - phaseOf(r.check, 500) + 500) % 500 < 60, 'each start is at (or just after) the probe\'s own slot');
  assert.ok(prober.latenessQuantile(0.99) < 100, `p99 lateness ${prober.latenessQuantile(0.99)} ms`);
});

test('a full concurrency budget delays probes (counted as lateness) and never drops them', async () => {
  let running = 0;
  let most = 0;
  const prober = new Prober({
    concurrency: 2,
    onResult: () => {},
    run: async () => {
      most = Math.max(most, ++running);
      await new Promise((r) => setTimeout(r, 50));
      running--;
      return { ok: true, ms: 50 };
    },
  });
  prober.set(probes(10, 200));
  await new Promise((r) => setTimeout(r, 700));
  await prober.stop();
  assert.equal(most, 2);
  assert.ok(prober.started >= 10, `${prober.started} started`);
  assert.ok(prober.latenessQuantile(0.99) >= 50, 'waiting for a slot shows as lateness');
});

test('stopping with probes in flight ends them quietly', async () => {
  const server = http.createServer(() => {});
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  const results: ProbeReport[] = [];
  const prober = new Prober({ onResult: (r) => results.push(r) });
  prober.set(probes(5, 2000, port).map((p) => ({ ...p, kind: 'http' as const, timeoutMs: 1500 })));
  while (prober.started === 0) await new Promise((r) => setTimeout(r, 10));
  await prober.stop();
  server.closeAllConnections();
  server.close();
  await new Promise((r) => setTimeout(r, 1600));
  assert.equal(results.length, 0, 'no result after the stop');
});
