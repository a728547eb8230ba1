import assert from 'node:assert/strict';
import { test } from 'node:test';
import { minuteOf, TrafficCounter } from './traffic.js';

const at = (iso: string) => new Date(iso);

test('requests and errors add up per app and minute; undelivered counts come back', () => {
  const c = new TrafficCounter();
  c.count('shop', 200, at('2026-11-26T10:05:00Z'));
  c.count('shop', 502, at('2026-11-26T10:05:59Z'));
  c.count('shop', 200, at('2026-11-26T10:06:00Z'));
  c.count(undefined, 404, at('2026-11-26T10:06:00Z'));
  const taken = c.take(at('2026-11-26T10:06:30Z'));
  assert.deepEqual(taken.traffic, [
    { app: 'shop', minute: '2026-11-26T10:05:00.000Z', requests: 2, errors: 1 },
    { app: 'shop', minute: '2026-11-26T10:06:00.000Z', requests: 1, errors: 0 },
  ]);
  assert.deepEqual(c.take(at('2026-11-26T10:06:31Z')).traffic, []);
  c.count('shop', 200, at('2026-11-26T10:06:40Z'));
  c.restore(taken);
  assert.deepEqual(c.take(at('2026-11-26T10:06:50Z')).traffic.map((x) => [x.minute, x.requests]).sort(), [['2026-11-26T10:05:00.000Z', 2], ['2026-11-26T10:06:00.000Z', 2]]);
  assert.equal(minuteOf(at('2026-11-26T23:59:59.999Z')), '2026-11-26T23:59:00.000Z');
});

test('the peak of open connections is kept per minute, and connections still open count for the next minute', () => {
  const c = new TrafficCounter();
  c.connectionOpened(at('2026-11-26T10:00:01Z'));
  c.connectionOpened(at('2026-11-26T10:00:02Z'));
  c.connectionOpened(at('2026-11-26T10:00:03Z'));
  c.connectionClosed();
  c.connectionClosed();
  c.connectionOpened(at('2026-11-26T10:01:05Z'));
  const { peaks } = c.take(at('2026-11-26T10:02:00Z'));
  assert.deepEqual(peaks, [
    { minute: '2026-11-26T10:00:00.000Z', peak: 3 },
    { minute: '2026-11-26T10:01:00.000Z', peak: 2 },
    { minute: '2026-11-26T10:02:00.000Z', peak: 2 },
  ]);
  c.restore({ traffic: [], peaks: [{ minute: '2026-11-26T10:02:00.000Z', peak: 5 }] });
  assert.deepEqual(c.take(at('2026-11-26T10:02:10Z')).peaks, [{ minute: '2026-11-26T10:02:00.000Z', peak: 5 }]);
});

test('counts taken from elsewhere (HAProxy): requests added to their minute, sampled connections as the minute\'s peak', () => {
  const c = new TrafficCounter();
  c.add('shop', 30, 1, at('2026-11-26T10:00:10Z'));
  c.add('shop', 5, 0, at('2026-11-26T10:00:50Z'));
  c.add('shop', 0, 0, at('2026-11-26T10:01:10Z'));
  c.connectionsNow(7, at('2026-11-26T10:00:10Z'));
  c.connectionsNow(3, at('2026-11-26T10:00:20Z'));
  const taken = c.take(at('2026-11-26T10:00:59Z'));
  assert.deepEqual(taken.traffic, [{ app: 'shop', minute: '2026-11-26T10:00:00.000Z', requests: 35, errors: 1 }]);
  assert.deepEqual(taken.peaks, [{ minute: '2026-11-26T10:00:00.000Z', peak: 7 }]);
});
