import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { occurrenceMinutes, windowOccurrences, type WindowSpec } from './windows.js';

const iso = (d: Date) => d.toISOString().replace(':00.000Z', 'Z');
const at = (s: string) => new Date(s);

test('weekday nights in Berlin as instants: CET is UTC+1', () => {
  const o = windowOccurrences([{ days: 'weekdays', from: '22:00', to: '05:00' }], 'Europe/Berlin', at('2026-03-02T00:00:00Z'), at('2026-03-09T00:00:00Z'));
  assert.deepEqual(o.map((x) => [iso(x.start), iso(x.end)]), [
    ['2026-03-02T21:00Z', '2026-03-03T04:00Z'],
    ['2026-03-03T21:00Z', '2026-03-04T04:00Z'],
    ['2026-03-04T21:00Z', '2026-03-05T04:00Z'],
    ['2026-03-05T21:00Z', '2026-03-06T04:00Z'],
    ['2026-03-06T21:00Z', '2026-03-07T04:00Z'],
  ]);
});

test('the night clocks go forward is an hour shorter, the night they go back an hour longer (Europe/Berlin 2026)', () => {
  const weekend: WindowSpec[] = [{ days: ['sat'], from: '22:00', to: '05:00' }];
  const spring = windowOccurrences(weekend, 'Europe/Berlin', at('2026-03-28T00:00:00Z'), at('2026-03-29T00:00:00Z'));
  assert.deepEqual(spring.map((x) => [iso(x.start), iso(x.end), occurrenceMinutes(x)]), [['2026-03-28T21:00Z', '2026-03-29T03:00Z', 360]]);
  const autumn = windowOccurrences(weekend, 'Europe/Berlin', at('2026-10-24T00:00:00Z'), at('2026-10-25T00:00:00Z'));
  assert.deepEqual(autumn.map((x) => [iso(x.start), iso(x.end), occurrenceMinutes(x)]), [['2026-10-24T20:00Z', '2026-10-25T04:00Z', 480]]);
});

test('the same local window is an hour apart in Helsinki and Berlin; a window inside one day ends that day; 24:00 is midnight', () => {
  const w: WindowSpec[] = [{ days: 'daily', from: '01:00', to: '03:00' }];
  const [ber] = windowOccurrences(w, 'Europe/Berlin', at('2026-06-01T00:00:00Z'), at('2026-06-02T00:00:00Z'));
  const [hel] = windowOccurrences(w, 'Europe/Helsinki', at('2026-06-01T00:00:00Z'), at('2026-06-02T00:00:00Z'));
  // June: Berlin is UTC+2, Helsinki UTC+3; 01:00 local on 2 June is 1 June 23:00 and 22:00 UTC.
  assert.deepEqual([iso(ber!.start), iso(ber!.end)], ['2026-06-01T23:00Z', '2026-06-02T01:00Z']);
  assert.deepEqual([iso(hel!.start), iso(hel!.end)], ['2026-06-01T22:00Z', '2026-06-02T00:00Z']);
  const midnight = windowOccurrences([{ days: ['sun'], from: '18:00', to: '24:00' }], 'UTC', at('2026-06-01T00:00:00Z'), at('2026-06-15T00:00:00Z'));
  assert.deepEqual(midnight.map((x) => [iso(x.start), iso(x.end)]), [['2026-06-07T18:00Z', '2026-06-08T00:00Z'], ['2026-06-14T18:00Z', '2026-06-15T00:00Z']]);
});

test('occurrences: sorted, each starting on one of its days at its local time, ending after it, within the range', () => {
  const days = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'] as const;
  const hhmm = fc.tuple(fc.integer({ min: 0, max: 23 }), fc.constantFrom(0, 15, 30, 45)).map(([h, m]) => `${String(h).padStart(2, '0')}:${String(m).padStart(2, '0')}`);
  const windowArb = fc.record({ days: fc.oneof(fc.constantFrom('daily' as const, 'weekdays' as const, 'weekend' as const), fc.uniqueArray(fc.constantFrom(...days), { minLength: 1, maxLength: 7 })), from: hhmm, to: hhmm }).filter((w) => w.from !== w.to);
  const zones = ['Europe/Berlin', 'Europe/Helsinki', 'Europe/Vienna', 'UTC', 'America/New_York'];
  fc.assert(
    fc.property(fc.array(windowArb, { minLength: 1, maxLength: 3 }), fc.constantFrom(...zones), fc.integer({ min: 0, max: 364 }), (ws, tz, dayOfYear) => {
      const from = new Date(Date.UTC(2026, 0, 1 + dayOfYear));
      const until = new Date(from.getTime() + 14 * 86_400_000);
      const occ = windowOccurrences(ws, tz, from, until);
      const local = new Intl.DateTimeFormat('en-GB', { timeZone: tz, weekday: 'short', hour: '2-digit', minute: '2-digit', hourCycle: 'h23' });
      const offset = new Intl.DateTimeFormat('en-GB', { timeZone: tz, timeZoneName: 'shortOffset' });
      for (let i = 0; i < occ.length; i++) {
        const o = occ[i]!;
        assert.ok(o.start >= from && o.start < until && o.end > o.start);
        assert.ok(occurrenceMinutes(o) <= 25 * 60, 'a window lasts at most a day (and a DST hour)');
        if (i > 0) assert.ok(occ[i - 1]!.start <= o.start, 'sorted');
        const w = ws[o.window]!;
        const parts = Object.fromEntries(local.formatToParts(o.start).map((p) => [p.type, p.value]));
        const day = parts.weekday!.toLowerCase().slice(0, 3);
        const allowed = w.days === 'daily' ? days : w.days === 'weekdays' ? days.slice(0, 5) : w.days === 'weekend' ? days.slice(5) : w.days;
        if (`${parts.hour}:${parts.minute}` === w.from) assert.ok((allowed as readonly string[]).includes(day), `${o.start.toISOString()} is a ${day}`);
        // Only a start in a DST gap (02:30 on the night clocks go forward) may be off its local time: the zone's offset changes within hours of it.
        else assert.notEqual(offset.format(new Date(o.start.getTime() - 3 * 3_600_000)), offset.format(new Date(o.start.getTime() + 3 * 3_600_000)), `${o.start.toISOString()} is ${parts.hour}:${parts.minute} in ${tz}, not ${w.from}`);
      }
    }),
    { numRuns: 150 },
  );
});
