import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { applyKeepPolicy, keepFlags, parseResticDuration, type KeepPolicy, type SnapshotRef } from './policy.js';
import { isoWeek, parseSnapshotTime } from './time.js';

const NOW = new Date('2026-11-26T12:00:00Z');
const snaps = (...times: string[]): SnapshotRef[] => times.map((time, i) => ({ id: `s${i}`, time }));
const kept = (s: SnapshotRef[], p: KeepPolicy) => applyKeepPolicy(s, p, { now: NOW }).filter((d) => d.keep).map((d) => d.time);

test('daily keeps the newest snapshot of each day by the snapshot\'s own offset, newest days first', () => {
  const s = snaps('2026-11-20T23:30:00+01:00', '2026-11-20T08:00:00+01:00', '2026-11-21T00:30:00+01:00', '2026-11-19T10:00:00Z', '2026-11-18T10:00:00Z');
  // 00:30 at +01:00 is the 21st there (the 20th in UTC): its own day counts.
  assert.deepEqual(kept(s, { daily: 3 }), ['2026-11-21T00:30:00+01:00', '2026-11-20T23:30:00+01:00', '2026-11-19T10:00:00Z']);
  // restic 0.14 does not keep the oldest (a second snapshot of its day) while counts are left; 0.16+ does.
  const older = [...s, { id: 'oldest', time: '2026-11-18T08:00:00Z' }];
  assert.equal(kept(older, { daily: 9 }).length, 4);
  assert.deepEqual(applyKeepPolicy(older, { daily: 9 }, { now: NOW, oldestFillsCounts: true }).find((d) => d.id === 'oldest')!.reasons, ['daily snapshot']);
});

test('within counts back from the newest snapshot that is not in the future, on its wall clock', () => {
  const s = snaps('2027-01-10T00:00:00Z', '2026-11-20T12:00:00Z', '2026-11-10T12:00:01Z', '2026-11-10T12:00:00Z', '2026-10-01T00:00:00Z');
  const d = applyKeepPolicy(s, { within: '10d' }, { now: NOW });
  // The snapshot of 2027 is in the future: the range ends at 2026-11-20 12:00; exactly 10 days is not within.
  assert.deepEqual(d.map((x) => [x.time, x.keep]), [['2027-01-10T00:00:00Z', true], ['2026-11-20T12:00:00Z', true], ['2026-11-10T12:00:01Z', true], ['2026-11-10T12:00:00Z', false], ['2026-10-01T00:00:00Z', false]]);
  assert.deepEqual(d[0]!.reasons, ['within 10d']);
  // One month before March 31st is "February 31st", which rolls over to March 3rd (Go's AddDate).
  const m = snaps('2026-03-31T12:00:00Z', '2026-03-03T12:00:01Z', '2026-03-03T12:00:00Z');
  assert.deepEqual(kept(m, { within: '1m' }), ['2026-03-31T12:00:00Z', '2026-03-03T12:00:01Z']);
});

test('reasons are restic\'s own words; an empty policy keeps everything', () => {
  const s = snaps('2026-11-26T10:00:00Z', '2026-11-25T10:00:00Z');
  assert.deepEqual(applyKeepPolicy(s, { last: 1, daily: 2, withinDaily: '1y2m3d4h' }, { now: NOW }).map((d) => d.reasons), [
    ['last snapshot', 'daily snapshot', 'daily within 1y2m3d4h'],
    ['daily snapshot', 'daily within 1y2m3d4h'],
  ]);
  assert.deepEqual(applyKeepPolicy(s, {}, { now: NOW }).map((d) => d.reasons), [['policy is empty'], ['policy is empty']]);
});

test('bad times and durations are refused with what is wrong', () => {
  assert.throws(() => applyKeepPolicy(snaps('2026-11-26 10:00'), { last: 1 }, { now: NOW }), /snapshot s0: "2026-11-26 10:00" is not an RFC 3339 time/);
  assert.throws(() => applyKeepPolicy(snaps('2026-11-26T10:00:00Z'), { within: '2w' }, { now: NOW }), /keep within: "2w" is not a restic duration/);
  assert.equal(parseSnapshotTime('2026-02-30T10:00:00Z'), undefined);
  assert.deepEqual(parseResticDuration('1d2d'), { years: 0, months: 0, days: 2, hours: 0 }, 'a unit given twice: the last wins, as in restic');
});

test('ISO weeks across year boundaries', () => {
  assert.deepEqual(isoWeek(2027, 1, 1), { year: 2026, week: 53 });
  assert.deepEqual(isoWeek(2026, 12, 28), { year: 2026, week: 53 });
  assert.deepEqual(isoWeek(2025, 12, 29), { year: 2026, week: 1 });
  assert.deepEqual(isoWeek(2026, 1, 1), { year: 2026, week: 1 });
  assert.deepEqual(isoWeek(2021, 1, 3), { year: 2020, week: 53 });
  assert.deepEqual(isoWeek(2024, 12, 30), { year: 2025, week: 1 });
});

const snapshotTimes = fc.uniqueArray(fc.integer({ min: Date.parse('2024-01-01T00:00:00Z') / 1000, max: Date.parse('2026-11-26T00:00:00Z') / 1000 }), { minLength: 0, maxLength: 60 }).map((secs) =>
  secs.map((s, i) => ({ id: `s${i}`, time: new Date(s * 1000).toISOString().replace('.000Z', 'Z') })),
);
const policy: fc.Arbitrary<KeepPolicy> = fc.record({ last: fc.nat(5), hourly: fc.nat(5), daily: fc.nat(10), weekly: fc.nat(6), monthly: fc.nat(12), yearly: fc.nat(3) }, { requiredKeys: [] });

test('property: every snapshot is decided once; last N keeps the N newest; raising a count of a policy never drops a snapshot', () => {
  fc.assert(
    fc.property(snapshotTimes, policy, fc.constantFrom('last', 'hourly', 'daily', 'weekly', 'monthly', 'yearly') as fc.Arbitrary<keyof KeepPolicy>, (s, p, raise) => {
      const d = applyKeepPolicy(s, p, { now: NOW });
      assert.equal(d.length, s.length);
      assert.deepEqual(new Set(d.map((x) => x.id)), new Set(s.map((x) => x.id)));
      const newest = [...s].sort((a, b) => Date.parse(b.time) - Date.parse(a.time)).slice(0, p.last ?? 0).map((x) => x.id);
      for (const id of newest) assert.ok(d.find((x) => x.id === id)!.keep);
      // An empty policy keeps everything (restic's rule), so growing it from nothing is no growth.
      if (Object.values(p).every((n) => !n)) return;
      const more = applyKeepPolicy(s, { ...p, [raise]: ((p[raise] as number | undefined) ?? 0) + 1 }, { now: NOW });
      for (const x of d) if (x.keep) assert.ok(more.find((y) => y.id === x.id)!.keep, `${x.id} dropped when ${raise} grew`);
    }),
    { numRuns: 500 },
  );
});

test('keepFlags spells a policy as restic forget takes it, leaving out what is not set', () => {
  assert.deepEqual(keepFlags({ last: 2, daily: 7, monthly: 0, within: '14d', withinWeekly: '3m' }), ['--keep-last', '2', '--keep-daily', '7', '--keep-within', '14d', '--keep-within-weekly', '3m']);
  assert.deepEqual(keepFlags({}), []);
});
