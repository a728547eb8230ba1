import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import type { Replica } from '../core/render/routes.js';
import { markTried, newAttempted, pickReplica } from './balancer.js';
import { DEFAULT_HEALTH, ReplicaState } from './replica.js';

const rep = (id: string, site: string, host: string, weight = 100, state: 'active' | 'drain' = 'active') =>
  new ReplicaState({ id, site, host, address: '127.0.0.1', port: 1, weight, state } satisfies Replica, DEFAULT_HEALTH);

test('the own site first; other sites only when no local replica is usable', () => {
  const reps = [rep('a', 'nue', 'h1'), rep('b', 'vie', 'h2'), rep('c', 'nue', 'h3')];
  for (let i = 0; i < 50; i++) assert.equal(pickReplica(reps, 'nue', newAttempted())?.spec.site, 'nue');
  reps[0]!.up = false;
  reps[2]!.ejected = true;
  assert.equal(pickReplica(reps, 'nue', newAttempted())?.id, 'b');
  reps[1]!.spec = { ...reps[1]!.spec, state: 'drain' };
  assert.equal(pickReplica(reps, 'nue', newAttempted()), undefined, 'draining replicas take no new requests');
});

test('a site the controller declared lost is used last, even by its own proxy', () => {
  const reps = [rep('a', 'hel', 'h1'), rep('b', 'nue', 'h2'), rep('c', 'vie', 'h3')];
  const avoid = new Set(['hel']);
  for (let i = 0; i < 50; i++) assert.notEqual(pickReplica(reps, 'hel', newAttempted(), Math.random, avoid)?.spec.site, 'hel');
  const tried = newAttempted();
  markTried(tried, reps[1]!);
  markTried(tried, reps[2]!);
  assert.equal(pickReplica(reps, 'hel', tried, Math.random, avoid)?.id, 'a', 'when nothing else is left, the lost site still serves');
});

test('a retry prefers another host at the same site, then another site, and never repeats a replica', () => {
  const reps = [rep('a', 'nue', 'h1'), rep('a2', 'nue', 'h1'), rep('b', 'nue', 'h2'), rep('c', 'vie', 'h3')];
  const tried = newAttempted();
  const mark = (id: string) => markTried(tried, reps.find((x) => x.id === id)!);
  mark('a');
  assert.equal(pickReplica(reps, 'nue', tried)?.id, 'b');
  mark('b');
  assert.equal(pickReplica(reps, 'nue', tried)?.id, 'c');
  mark('c');
  assert.equal(pickReplica(reps, 'nue', tried)?.id, 'a2', 'the same host last');
  mark('a2');
  assert.equal(pickReplica(reps, 'nue', tried), undefined);
});

test('property: traffic follows the weights, and weight 0 takes none', () => {
  fc.assert(
    fc.property(fc.array(fc.integer({ min: 0, max: 5 }), { minLength: 1, maxLength: 5 }), (weights) => {
      const reps = weights.map((w, i) => rep(`r${i}`, 'nue', `h${i}`, w * 20));
      const counts = new Map<string, number>();
      let seed = 1;
      const random = () => ((seed = (seed * 16807) % 2147483647) - 1) / 2147483646;
      const n = 4000;
      for (let i = 0; i < n; i++) {
        const r = pickReplica(reps, 'nue', newAttempted(), random);
        if (r) counts.set(r.id, (counts.get(r.id) ?? 0) + 1);
      }
      const total = weights.reduce((a, b) => a + b, 0);
      weights.forEach((w, i) => {
        const got = counts.get(`r${i}`) ?? 0;
        if (w === 0 || total === 0) assert.equal(got, 0);
        else assert.ok(Math.abs(got / n - w / total) < 0.05, `r${i}: ${got / n} vs ${w / total}`);
      });
    }),
    { numRuns: 50 },
  );
});
