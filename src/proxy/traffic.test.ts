import assert from 'node:assert/strict';
import { test } from 'node:test';
import { hourOf, TrafficCounter } from './traffic.js';

test('requests and errors add up per app and hour; undelivered counts come back', () => {
  const c = new TrafficCounter();
  const at = (iso: string) => new Date(iso);
  c.count('shop', 200, at('2026-11-26T10:05:00Z'));
  c.count('shop', 502, at('2026-11-26T10:59:59Z'));
  c.count('shop', 200, at('2026-11-26T11:00:00Z'));
  c.count(undefined, 404, at('2026-11-26T11:00:00Z'));
  const taken = c.take();
  assert.deepEqual(taken, [
    { app: 'shop', hour: '2026-11-26T10:00:00.000Z', requests: 2, errors: 1 },
    { app: 'shop', hour: '2026-11-26T11:00:00.000Z', requests: 1, errors: 0 },
  ]);
  assert.deepEqual(c.take(), []);
  c.count('shop', 200, at('2026-11-26T11:30:00Z'));
  c.restore(taken);
  assert.deepEqual(c.take().map((x) => [x.hour, x.requests]).sort(), [['2026-11-26T10:00:00.000Z', 2], ['2026-11-26T11:00:00.000Z', 2]]);
  assert.equal(hourOf(at('2026-11-26T23:59:59.999Z')), '2026-11-26T23:00:00.000Z');
});
