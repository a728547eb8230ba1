import assert from 'node:assert/strict';
import { test } from 'node:test';
import { trafficReport } from './report.js';

const day = (iso: string) => `${iso}T00:00:00.000Z`;

test('days without traffic count as zero; the weekday averages cover the period\'s whole days; peaks add up per proxy', () => {
  const now = new Date('2026-11-26T15:00:00Z'); // a Thursday
  const rows = [
    { at: day('2026-11-26'), requests: 100, errors: 1 },
    { at: day('2026-11-26'), requests: 50, errors: 0 },
    { at: day('2026-11-19'), requests: 30, errors: 0 },
    { at: day('2026-11-22'), requests: 7, errors: 0 },
    { at: day('2026-10-01'), requests: 999, errors: 0 },
  ];
  const peaks = [
    { at: day('2026-11-26'), site: 'nue', proxy: 'nue-edge-01', peak: 400 },
    { at: day('2026-11-26'), site: 'vie', proxy: 'vie-edge-01', peak: 350 },
    { at: day('2026-11-25'), site: 'nue', proxy: 'nue-edge-01', peak: 500 },
  ];
  const r = trafficReport(rows, peaks, now, 14);
  assert.equal(r.days.length, 14);
  assert.equal(r.from, day('2026-11-13'));
  assert.equal(r.to, day('2026-11-27'));
  assert.deepEqual(r.days.at(-1), { day: day('2026-11-26'), requests: 150, errors: 1 });
  assert.equal(r.days.find((d) => d.day === day('2026-11-20'))!.requests, 0);
  assert.equal(r.totalRequests, 187, 'what is before the period does not count');
  const thu = r.weekdays.find((w) => w.weekday === 'Thu')!;
  // Today (a Thursday, 15 hours in) is in the days but not in the average Thursday: only 11-19 is.
  assert.deepEqual(thu, { weekday: 'Thu', averageRequests: 30, days: 1 });
  assert.deepEqual(r.weekdays.find((w) => w.weekday === 'Sun'), { weekday: 'Sun', averageRequests: 4, days: 2 });
  assert.equal(r.peaks.at(-1)!.connections, 750);
  assert.deepEqual(r.peak, { day: day('2026-11-26'), connections: 750 });
});
