/** What a proxy knows about one replica: active and passive health, stalls, try timeouts and hangs. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Replica } from '../core/render/routes.js';
import { DEFAULT_HEALTH, ReplicaState } from './replica.js';

const rep = (id: string, site: string, host: string) => new ReplicaState({ id, site, host, address: '127.0.0.1', port: 1, weight: 100, state: 'active' } satisfies Replica, DEFAULT_HEALTH);

test('health: down after 2 failed checks, up after 2 good ones; ejected after 3 failed requests in the window, back only through checks', () => {
  const r = rep('a', 'nue', 'h1');
  assert.equal(r.activeResult(false), undefined);
  assert.equal(r.activeResult(false), 'down');
  assert.equal(r.usable, false);
  assert.equal(r.activeResult(true), undefined);
  assert.equal(r.activeResult(true), 'up');
  assert.equal(r.passiveFailure(0), undefined);
  assert.equal(r.passiveFailure(100), undefined);
  r.passiveSuccess();
  assert.equal(r.passiveFailure(200), undefined, 'a success in between starts the count again');
  assert.equal(r.passiveFailure(300), undefined);
  assert.equal(r.passiveFailure(400), 'ejected');
  assert.equal(r.usable, false);
  assert.equal(r.activeResult(true), undefined);
  assert.equal(r.activeResult(true), 'restored');
  assert.equal(r.usable, true);
  const old = rep('b', 'nue', 'h1');
  old.passiveFailure(0);
  old.passiveFailure(1);
  assert.equal(old.passiveFailure(20_000), undefined, 'failures outside the window do not count');
});

test('stall: ejected when 3 requests waited 800 ms and nothing came back meanwhile; the waiting ones are handed back', () => {
  const r = rep('a', 'nue', 'h1');
  const abandoned: number[] = [];
  const add = (since: number, i: number) => r.pending.add({ since, retryable: true, tryTimeoutMs: 1000, abort: () => abandoned.push(i) });
  add(0, 1);
  add(100, 2);
  r.lastAnswer = 0;
  assert.equal(r.checkStall(1200).event, undefined, 'two waiting requests are not yet a stall');
  add(150, 3);
  r.lastAnswer = 900;
  assert.equal(r.checkStall(1200).event, undefined, 'an answer within the last 800 ms: slow, not stalled');
  const { event, stalled } = r.checkStall(2000);
  assert.equal(event, 'ejected');
  assert.equal(stalled.length, 3);
  for (const p of stalled) p.abort?.(new Error('stalled'));
  assert.deepEqual(abandoned, [1, 2, 3]);
  assert.equal(r.usable, false);
  assert.equal(r.checkStall(3000).event, undefined, 'ejected once');
});

test('try timeout: 4 × the slowest of the last 64 answers, within 1 s and 10 s; the app\'s own wins', () => {
  const r = rep('a', 'nue', 'h1');
  assert.equal(r.tryTimeoutMs(), 1000, 'no answers yet: the floor');
  r.answered(0, 20);
  r.answered(0, 400);
  assert.equal(r.tryTimeoutMs(), 1600);
  r.answered(0, 5000);
  assert.equal(r.tryTimeoutMs(), 10_000, 'the ceiling');
  // The slow answer leaves the ring after 64 newer ones.
  for (let i = 0; i < 63; i++) r.answered(0, 30);
  assert.equal(r.tryTimeoutMs(), 10_000, 'still among the last 64');
  r.answered(0, 30);
  assert.equal(r.tryTimeoutMs(), 1000, '64 fast answers later');
  assert.equal(r.tryTimeoutMs(2500), 2500);
});

test('hung: a try past its timeout on a replica silent for as long as a live one goes without a passing check', () => {
  const r = rep('a', 'nue', 'h1');
  r.checkGapMs = 2200;
  r.answered(10_000, 15);
  const p = { since: 10_500, retryable: true, tryTimeoutMs: 1000 };
  assert.equal(r.hung(p, 11_400), false, 'within its timeout');
  assert.equal(r.hung(p, 11_600), false, 'past it, but silent only 1.6 s: a check may still pass');
  assert.equal(r.hung(p, 12_200), true, 'silent 2.2 s');
  r.checkPassed(11_000);
  assert.equal(r.hung(p, 13_000), false, 'a check passed 2 s ago: slow, not hung');
  assert.equal(r.hung(p, 13_200), true, 'and nothing since, 2.2 s');
  r.answered(13_300, 5);
  assert.equal(r.hung({ since: 11_000, retryable: false, tryTimeoutMs: 1000 }, 14_000), false, 'it answered another request a moment ago');
  // Answers already on their way when it froze arrive after a try sent just before: the silence after them counts.
  assert.equal(r.hung({ since: 13_250, retryable: false, tryTimeoutMs: 1000 }, 15_600), true);
  // Without HTTP checks (a TCP connect passes on a frozen process) only answers count, and the try timeout alone decides.
  const t = rep('b', 'nue', 'h1');
  t.answered(0, 10);
  assert.equal(t.hung({ since: 100, retryable: true, tryTimeoutMs: 1000 }, 1050), false);
  assert.equal(t.hung({ since: 100, retryable: true, tryTimeoutMs: 1000 }, 1100), true);
  assert.equal(t.eject(), true);
  assert.equal(t.eject(), false, 'ejected once');
  assert.equal(t.usable, false);
});

test('hung, with HTTP checks: a derived timeout counts only up to the check gap; the app\'s own counts whole', () => {
  const r = rep('a', 'nue', 'h1');
  r.checkGapMs = 2200;
  r.answered(0, 10);
  // Answers slowed by load stretched the derived timeout to 6 s: silence of 2.2 s still shows the hang.
  assert.equal(r.hung({ since: 100, retryable: false, tryTimeoutMs: 6000 }, 2150), false);
  assert.equal(r.hung({ since: 100, retryable: false, tryTimeoutMs: 6000 }, 2300), true);
  // The fleet's 30 s (a single-threaded app whose checks wait behind a long request) is kept.
  assert.equal(r.hung({ since: 100, retryable: false, tryTimeoutMs: 30_000, fixed: true }, 20_000), false);
  assert.equal(r.hung({ since: 100, retryable: false, tryTimeoutMs: 30_000, fixed: true }, 30_100), true);
});
