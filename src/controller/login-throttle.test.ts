import assert from 'node:assert/strict';
import { test } from 'node:test';
import { LoginThrottle } from './login-throttle.js';

test('attempts count from their start: parallel ones cannot pass the limit, per address and per name', () => {
  const th = new LoginThrottle(3, 60_000);
  const started = [1, 2, 3, 4, 5].map((i) => th.begin(['address a', 'name carl'], 1000 + i));
  assert.deepEqual(started.map((x) => x.ok), [true, true, true, false, false], 'the fourth and fifth wait while three are in flight');
  // The name is throttled from another address too, and the address for another name.
  assert.equal(th.begin(['address b', 'name carl'], 2000).ok, false);
  assert.equal(th.begin(['address a', 'name dora'], 2000).ok, false);
  const other = th.begin(['address b', 'name dora'], 2000);
  assert.equal(other.ok, true);
  // A success takes back its own attempt only.
  if (started[0]!.ok) started[0]!.succeeded();
  assert.equal(th.begin(['address a', 'name carl'], 3000).ok, true, 'one slot free again');
  assert.equal(th.begin(['address a', 'name carl'], 3001).ok, false);
  // The window passes: the tries of 1002 and 1003 leave it.
  assert.equal(th.begin(['address a', 'name carl'], 1003 + 60_000).ok, true);
  const full = new LoginThrottle(1, 60_000);
  full.begin(['x'], 0);
  const wait = full.begin(['x'], 15_000);
  assert.deepEqual(wait, { ok: false, waitMs: 45_000 }, 'how long to wait: until the oldest try leaves the window');
});
