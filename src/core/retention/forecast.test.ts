import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Cron } from 'croner';
import fc from 'fast-check';
import { estimateSpace, forecastRetention, thin } from './forecast.js';
import { applyKeepPolicy, type KeepPolicy } from './policy.js';

const NOW = new Date('2026-11-27T12:00:00.000Z');
const DAY = 86_400_000;

/** The kept set the slow way: every time, unthinned. */
function keptFully(times: readonly number[], policy: KeepPolicy, at: number) {
  const kept = applyKeepPolicy(
    times.filter((t) => t <= at).map((t, i) => ({ id: String(i), time: new Date(t).toISOString() })),
    policy,
    { now: new Date(at) },
  ).filter((d) => d.keep);
  return { kept: kept.length, oldest: kept.map((d) => d.time).sort()[0] ?? null };
}

test('the default policy on a nightly schedule: two weeks of dailies, then weeklies and monthlies fill up over the year', () => {
  const past = Array.from({ length: 20 }, (_, i) => new Date(Date.UTC(2026, 10, 7 + i, 2, 15)).toISOString());
  const points = forecastRetention(past, '15 2 * * *', { daily: 14, weekly: 8, monthly: 12 }, NOW);
  // Today: Nov 13-26 daily, Nov 8 as the newest of its week. In 30 days: 14 dailies, 6 more
  // weeklies, Nov 30 as November's. In 90: 14 + 5 weeklies + the ends of December and November.
  assert.deepEqual(points.map((p) => [p.days, p.kept]), [[0, 15], [30, 21], [90, 21], [365, 29]]);
  assert.equal(points[0]!.oldest, '2026-11-08T02:15:00.000Z', 'today: back to the oldest weekly');
  assert.equal(points[0]!.reasons['daily snapshot'], 14);
  assert.equal(points[3]!.reasons['monthly snapshot'], 12);
  assert.equal(points[3]!.oldest?.slice(0, 7), '2026-12', 'a year on: back twelve months');
});

test('thinning never changes what is kept (sub-hourly snapshots, every kind of rule)', () => {
  const policies: KeepPolicy[] = [{ last: 7 }, { hourly: 30, daily: 10 }, { daily: 7, weekly: 5, monthly: 3 }, { within: '2d', daily: 5 }, { withinHourly: '1d', weekly: 2, last: 3 }];
  fc.assert(
    fc.property(fc.array(fc.integer({ min: 0, max: 40 * DAY }), { minLength: 1, maxLength: 400 }), fc.constantFrom(...policies), (offsets, policy) => {
      const times = [...new Set(offsets.map((o) => NOW.getTime() - o))];
      const thinned = thin(times, policy, NOW.getTime());
      assert.deepEqual(keptFully(thinned, policy, NOW.getTime()), keptFully(times, policy, NOW.getTime()));
    }),
  );
});

test('the forecast of a 10-minute schedule equals keeping every future run', () => {
  const policy: KeepPolicy = { last: 12, hourly: 24, daily: 7, within: '6h' };
  const cron = new Cron('*/10 * * * *', { timezone: 'UTC', paused: true });
  const all: number[] = [];
  for (let next = cron.nextRun(NOW); next && next.getTime() <= NOW.getTime() + 9 * DAY; next = cron.nextRun(next)) all.push(next.getTime());
  const past = [NOW.getTime() - 3 * DAY, NOW.getTime() - 2 * DAY].map((t) => new Date(t).toISOString());
  for (const p of forecastRetention(past, '*/10 * * * *', policy, NOW, [0, 1, 3, 9])) {
    const at = NOW.getTime() + p.days * DAY;
    assert.deepEqual({ kept: p.kept, oldest: p.oldest }, keptFully([...past.map((t) => Date.parse(t)), ...all], policy, at), `day ${p.days}`);
  }
});

test('space: the data plus what was added per day over the reach of the kept snapshots', () => {
  const runs = Array.from({ length: 11 }, (_, i) => ({ finishedAt: new Date(NOW.getTime() - (10 - i) * DAY).toISOString(), ok: true, dataAdded: i === 0 ? 5e9 : 1e8, totalBytes: 5e9 }));
  const points = [
    { days: 0, at: NOW.toISOString(), kept: 10, oldest: new Date(NOW.getTime() - 10 * DAY).toISOString(), reasons: {} },
    { days: 30, at: new Date(NOW.getTime() + 30 * DAY).toISOString(), kept: 20, oldest: new Date(NOW.getTime() - 20 * DAY).toISOString(), reasons: {} },
  ];
  const est = estimateSpace([...runs, { finishedAt: NOW.toISOString(), ok: false }], points, NOW);
  assert.equal(est.dataBytes, 5e9);
  assert.equal(est.addedPerDay, 1e8, 'the first full upload is not growth');
  assert.deepEqual(est.bytes, [{ days: 0, bytes: 6e9 }, { days: 30, bytes: 10e9 }]);
});

test('thinning measures the within windows from the newest snapshot before now, as the policy does (one taken at now itself does not count)', () => {
  // Found by the property above (seed 1101464761): two snapshots 40 days back, 1 ms apart, and one at now.
  const times = [NOW.getTime() - 3_452_400_001, NOW.getTime() - 3_452_400_002, NOW.getTime()];
  const policy: KeepPolicy = { within: '2d', daily: 5 };
  assert.deepEqual(keptFully(thin(times, policy, NOW.getTime()), policy, NOW.getTime()), keptFully(times, policy, NOW.getTime()));
  assert.equal(keptFully(times, policy, NOW.getTime()).kept, 3);
});
