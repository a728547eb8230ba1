/**
 * Retention planning (pure): what an app's keep policy keeps today and in the days ahead, from
 * the times of its past snapshots and its schedule, and a space estimate from its runs.
 *
 * The future snapshots are the schedule's run times. Applying the keep policy once to the whole
 * history gives what applying it after every run (as the agent does) leaves: a snapshot
 * dropped once is never the newest of a period again, nor among the last N, nor inside `within`
 * of a newer snapshot. So the kept set on a day is applyKeepPolicy(history up to that day).
 * Frequent schedules are thinned exactly: a period rule keeps only the newest snapshot of a
 * period, so of the future runs only the newest of each day, of each of the last `hourly` hours
 * with runs, the last N and those inside the `within` windows are generated.
 */
import { Cron } from 'croner';
import { applyKeepPolicy, parseResticDuration, type KeepPolicy } from './policy.js';

export interface RetentionPoint {
  /** Days from now (0: today). */
  days: number;
  at: string;
  kept: number;
  /** The oldest kept snapshot: how far back a restore reaches. */
  oldest: string | null;
  /** Kept snapshots per reason ("daily snapshot": 14, ...); a snapshot kept for several counts under each. */
  reasons: Record<string, number>;
}

const HOUR = 3_600_000;
const DAY = 86_400_000;
/** Future run times generated at most (a every-second schedule over a year is thinned anyway). */
const MAX_FUTURE = 200_000;

/** The longest `within*` duration of a policy, in ms (months and years generously long). */
function longestWithin(policy: KeepPolicy): number {
  let max = 0;
  for (const key of ['within', 'withinHourly', 'withinDaily', 'withinWeekly', 'withinMonthly', 'withinYearly'] as const) {
    const d = policy[key] ? parseResticDuration(policy[key]!) : undefined;
    if (d) max = Math.max(max, d.years * 366 * DAY + d.months * 31 * DAY + d.days * DAY + d.hours * HOUR);
  }
  return max;
}

/** Leaves out snapshots no rule can keep at `now`: not the newest of their hour, not among the last N, not within the windows. */
export function thin(times: readonly number[], policy: KeepPolicy, now: number): number[] {
  const sorted = [...times].filter((t) => t <= now).sort((a, b) => a - b);
  if (sorted.length === 0) return [];
  // The `within` windows reach back from the newest snapshot taken before `now` (one taken at
  // `now` itself does not count, as in applyKeepPolicy); with none, everything is within.
  const reference = sorted.findLast((t) => t < now);
  if (reference === undefined) return sorted;
  const window = longestWithin(policy) + DAY;
  const last = policy.last ?? 0;
  return sorted.filter((t, i) => {
    if (i >= sorted.length - last - 1 || t >= reference - window) return true;
    // The newest of its UTC hour (period rules use the snapshot's own offset, whole hours here).
    return Math.floor(sorted[i + 1]! / HOUR) !== Math.floor(t / HOUR);
  });
}

/**
 * The schedule's future run times that can matter on the given days: every run of a schedule
 * that runs at most daily; otherwise the newest run of every day, and before each given day the
 * newest of each of its last `hourly` hours with runs, the last N runs and every run inside the
 * `within` windows (at most MAX_FUTURE in all).
 */
export function futureTimes(schedule: string, policy: KeepPolicy, now: Date, days: readonly number[]): number[] {
  const cron = new Cron(schedule, { timezone: 'UTC', paused: true });
  const start = now.getTime();
  const end = start + Math.max(0, ...days) * DAY;
  const out = new Set<number>();
  const probe = cron.nextRuns(100, now).map((d) => d.getTime());
  const gap = probe.reduce((g, t, i) => (i ? Math.max(g, t - probe[i - 1]!) : g), 0);
  /** The newest run in [from, to), looked for in the last stretch of it (four times the longest gap seen). */
  const newestIn = (from: number, to: number): number | undefined => {
    let newest: number | undefined;
    const stretch = Math.min(to - from, 4 * gap);
    for (let next = cron.nextRun(new Date(Math.max(start, to - stretch) - 1)); next && next.getTime() < to; next = cron.nextRun(next)) newest = next.getTime();
    return newest !== undefined && newest > start && newest >= from ? newest : undefined;
  };
  const add = (t: number | undefined) => t !== undefined && out.size < MAX_FUTURE && out.add(t);
  if (gap >= DAY || probe.length < 2) {
    // At most one run a day: every run.
    for (let next = cron.nextRun(now); next && next.getTime() <= end && out.size < MAX_FUTURE; next = cron.nextRun(next)) out.add(next.getTime());
  } else {
    // The newest run of each day: all the daily, weekly, monthly and yearly rules can keep.
    for (let d = Math.floor(start / DAY) * DAY; d <= end; d += DAY) add(newestIn(d, Math.min(d + DAY, end + 1)));
  }
  const window = longestWithin(policy) + DAY;
  for (const d of days) {
    const at = start + d * DAY;
    // The hourly rule: the newest run of each of the last `hourly` hours that have runs.
    let found = 0;
    for (let h = Math.floor(at / HOUR) * HOUR; gap < DAY && found <= (policy.hourly ?? 0) && h + HOUR > start && policy.hourly; h -= HOUR) {
      const t = newestIn(h, Math.min(h + HOUR, at + 1));
      if (t !== undefined) {
        add(t);
        found++;
      }
    }
    for (const r of policy.last ? cron.previousRuns(Math.min(policy.last, MAX_FUTURE), new Date(at + 1)) : []) if (r.getTime() > start) add(r.getTime());
    if (!longestWithin(policy)) continue;
    for (let next = cron.nextRun(new Date(Math.max(start, at - window))); next && next.getTime() <= at && out.size < MAX_FUTURE; next = cron.nextRun(next)) out.add(next.getTime());
  }
  return [...out].sort((a, b) => a - b);
}

export const HORIZONS: readonly number[] = [0, 30, 90, 365];

/**
 * What the policy keeps today and after each of `horizons` days, given past snapshot times and
 * the schedule ahead (`future`: futureTimes of the same schedule, policy, now and horizons,
 * when the caller has them already: apps sharing a schedule and policy share them).
 */
export function forecastRetention(
  past: readonly string[],
  schedule: string,
  policy: KeepPolicy,
  now: Date,
  horizons: readonly number[] = HORIZONS,
  future: readonly number[] = futureTimes(schedule, policy, now, horizons),
): RetentionPoint[] {
  const history = past.map((t) => Date.parse(t)).filter((t) => Number.isFinite(t) && t <= now.getTime());
  return horizons.map((days) => {
    const at = now.getTime() + days * DAY;
    const times = thin([...history, ...future.filter((t) => t <= at)], policy, at);
    const decisions = applyKeepPolicy(
      times.map((t, i) => ({ id: String(i), time: new Date(t).toISOString() })),
      policy,
      { now: new Date(at) },
    ).filter((d) => d.keep);
    const reasons: Record<string, number> = {};
    for (const d of decisions) for (const r of d.reasons) reasons[r] = (reasons[r] ?? 0) + 1;
    const oldest = decisions.reduce<string | null>((o, d) => (o === null || d.time < o ? d.time : o), null);
    return { days, at: new Date(at).toISOString(), kept: decisions.length, oldest, reasons };
  });
}

export interface SpaceEstimate {
  /** The data's size in the newest snapshot. */
  dataBytes: number;
  /** Bytes the runs added per day, over the runs given (the last 30 days). */
  addedPerDay: number;
  /** Estimated repository size at each horizon: the data, plus what was added within the reach of the kept snapshots. */
  bytes: { days: number; bytes: number }[];
}

/**
 * A space estimate from the runs' own numbers (restic's data added, deduplicated and
 * compressed, and the data size): what the newest snapshot holds plus everything added over
 * the reach of the kept snapshots at each horizon (added data is kept while a snapshot that
 * references it is). An upper-bound estimate: data added and deleted again within the
 * reach is counted once per change.
 */
export function estimateSpace(runs: readonly { finishedAt: string; ok: boolean; dataAdded?: number; totalBytes?: number }[], points: readonly RetentionPoint[], now: Date): SpaceEstimate {
  const ok = runs.filter((r) => r.ok).sort((a, b) => Date.parse(a.finishedAt) - Date.parse(b.finishedAt));
  const recent = ok.filter((r) => Date.parse(r.finishedAt) >= now.getTime() - 30 * DAY);
  const dataBytes = ok.at(-1)?.totalBytes ?? 0;
  // Over the days the recent runs cover (at least one), not counting the first run's full upload.
  const counted = recent.length > 1 ? recent.slice(1) : [];
  const span = counted.length ? Math.max(1, (Date.parse(recent.at(-1)!.finishedAt) - Date.parse(recent[0]!.finishedAt)) / DAY) : 1;
  const addedPerDay = counted.reduce((s, r) => s + (r.dataAdded ?? 0), 0) / span;
  const bytes = points.map((p) => {
    const reachDays = p.oldest ? Math.max(0, (Date.parse(p.at) - Date.parse(p.oldest)) / DAY) : 0;
    return { days: p.days, bytes: Math.round(dataBytes + addedPerDay * reachDays) };
  });
  return { dataBytes, addedPerDay: Math.round(addedPerDay), bytes };
}
