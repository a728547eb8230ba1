import assert from 'node:assert/strict';
import { test } from 'node:test';
import { customerCalendar } from './ics.js';
import type { ScheduledMove } from './waves.js';

const move = (over: Partial<ScheduledMove>): ScheduledMove => ({
  id: 'shop:nue>hel', app: 'shop', customer: 'huber', from: 'nue', to: 'hel', replicas: [{ replica: 1, host: 'nue-1' }], strategy: 'cutover',
  bytes: 20 * 2 ** 30, changePerDay: 0, downtimeSeconds: 240, switchSeconds: 300, consent: 'required', warnings: [], targets: [{ replica: 1, from: 'nue-1', to: 'hel-2' }],
  start: '2026-12-01T21:00:00.000Z', end: '2026-12-01T21:05:00.000Z', wave: '2026-12-01', after: { group: 'site:hel', share: 0.4 }, ...over,
});

test('a calendar per customer: one event per move in UTC, its UID the move id, what happens and for how long', () => {
  const text = customerCalendar([move({}), move({ id: 'blog:nue>hel', app: 'blog', strategy: 'live', downtimeSeconds: 0, consent: 'announce', start: '2026-12-01T12:00:00.000Z', end: '2026-12-01T12:10:00.000Z' })], {
    customer: { id: 'huber', name: 'Bäckerei Huber' },
    siteNames: new Map([['nue', 'Nuremberg'], ['hel', 'Helsinki']]),
    stamp: new Date('2026-11-27T10:00:00Z'),
  });
  const unfolded = text.replace(/\r\n /g, '');
  assert.match(text, /^BEGIN:VCALENDAR\r\n/);
  assert.equal(unfolded.match(/BEGIN:VEVENT/g)?.length, 2);
  assert.match(unfolded, /\r\nUID:shop:nue>hel@hafen\r\n/);
  assert.match(unfolded, /\r\nDTSTART:20261201T210000Z\r\nDTEND:20261201T210500Z\r\n/);
  assert.match(unfolded, /\r\nDTSTAMP:20261127T100000Z\r\n/);
  assert.match(unfolded, /\r\nSUMMARY:Maintenance: shop to Helsinki \(about 4 min down\)\r\n/);
  assert.match(unfolded, /DESCRIPTION:shop moves from Nuremberg to Helsinki\.\\nThe app is expected to be down for about 4 min at the start of this time\.\\nIts data \(20 GiB\)/);
  assert.match(unfolded, /Nothing happens before you agree\./);
  assert.match(unfolded, /SUMMARY:Live move: blog to Helsinki\r\n/);
  assert.match(unfolded, /You agreed to be told of moves without downtime/);
  assert.ok(text.split('\r\n').every((l) => Buffer.byteLength(l) <= 75), 'lines folded at 75 octets');
});
