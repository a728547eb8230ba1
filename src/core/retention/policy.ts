/**
 * restic's keep policy (`restic forget --keep-*`), as a pure function: given snapshot times
 * and a policy, which snapshots are kept and why, in restic's own words. It follows restic's
 * ExpirePolicy: snapshots newest first; each of last/hourly/daily/weekly/monthly/yearly keeps
 * the newest snapshot of every period (by the wall clock of the snapshot's own UTC offset)
 * until its count is used up; `within` keeps everything newer than the newest snapshot (not
 * now) minus the duration, and `within-daily` and friends keep the newest snapshot of each
 * period inside that range. The system test compares it with restic forget --dry-run --json.
 */
import { isoWeek, parseSnapshotTime, wallToNs, type SnapshotTime } from './time.js';

/** A restic duration: "1y6m", "14d", "36h" (y, m months, d, h; a unit given twice: the last wins). */
export interface ResticDuration {
  years: number;
  months: number;
  days: number;
  hours: number;
}

export interface KeepPolicy {
  last?: number;
  hourly?: number;
  daily?: number;
  weekly?: number;
  monthly?: number;
  yearly?: number;
  within?: string;
  withinHourly?: string;
  withinDaily?: string;
  withinWeekly?: string;
  withinMonthly?: string;
  withinYearly?: string;
}

export interface SnapshotRef {
  id: string;
  /** RFC 3339 with the offset restic recorded, as `restic snapshots --json` prints it. */
  time: string;
}

export interface KeepDecision {
  id: string;
  time: string;
  keep: boolean;
  /** restic's reasons: "last snapshot", "daily snapshot", "within 14d", "daily within 30d", ... */
  reasons: string[];
}

export interface KeepOptions {
  /** Snapshots after this instant are not "the newest" for `within` (restic uses its clock). */
  now: Date;
  /**
   * restic 0.16 and later also keep the oldest snapshot while a count is left, so a short
   * history is kept whole; 0.14 (Debian 12) does not. Default false.
   */
  oldestFillsCounts?: boolean;
}

const DURATION = /^(?:\d+[ymdh])+$/;

export function parseResticDuration(text: string): ResticDuration | undefined {
  const s = text.trim();
  if (!DURATION.test(s)) return undefined;
  const d: ResticDuration = { years: 0, months: 0, days: 0, hours: 0 };
  for (const [, n, unit] of s.matchAll(/(\d+)([ymdh])/g)) {
    d[({ y: 'years', m: 'months', d: 'days', h: 'hours' } as const)[unit as 'y' | 'm' | 'd' | 'h']] = Number(n);
  }
  return d;
}

/** restic's own spelling of a duration (the reasons quote it): "1y6m", "14d". */
export function formatResticDuration(d: ResticDuration): string {
  return `${d.years ? `${d.years}y` : ''}${d.months ? `${d.months}m` : ''}${d.days ? `${d.days}d` : ''}${d.hours ? `${d.hours}h` : ''}`;
}

const zero = (d: ResticDuration) => d.years === 0 && d.months === 0 && d.days === 0 && d.hours === 0;

/** The instant `d` before `t`, computed on t's wall clock as Go's AddDate does, then the hours. */
function pastTime(t: SnapshotTime, d: ResticDuration): bigint {
  const dated = wallToNs(t.year - d.years, t.month - d.months, t.day - d.days, t.hour, t.minute, t.second, t.nanos, t.offset);
  return dated - BigInt(d.hours) * 3_600_000_000_000n;
}

type Bucketer = (t: SnapshotTime, nr: number) => number;
const hourOf: Bucketer = (t) => t.year * 1_000_000 + t.month * 10_000 + t.day * 100 + t.hour;
const dayOf: Bucketer = (t) => t.year * 10_000 + t.month * 100 + t.day;
const weekOf: Bucketer = (t) => {
  const w = isoWeek(t.year, t.month, t.day);
  return w.year * 100 + w.week;
};
const monthOf: Bucketer = (t) => t.year * 100 + t.month;
const yearOf: Bucketer = (t) => t.year;
const always: Bucketer = (_t, nr) => nr;

/** Throws on a time restic would not have written or a duration restic would refuse. */
export function applyKeepPolicy(snapshots: readonly SnapshotRef[], policy: KeepPolicy, opts: KeepOptions): KeepDecision[] {
  const parsed = snapshots.map((s) => {
    const t = parseSnapshotTime(s.time);
    if (!t) throw new Error(`snapshot ${s.id}: "${s.time}" is not an RFC 3339 time with an offset`);
    return { ...s, t };
  });
  const duration = (key: keyof KeepPolicy): ResticDuration => {
    const v = policy[key];
    if (v === undefined) return { years: 0, months: 0, days: 0, hours: 0 };
    const d = parseResticDuration(String(v));
    if (!d) throw new Error(`keep ${key}: "${v}" is not a restic duration such as 14d, 36h or 1y6m`);
    return d;
  };
  // Newest first; a stable sort keeps the given order for equal times, as restic does.
  const list = [...parsed].sort((a, b) => (a.t.ns === b.t.ns ? 0 : a.t.ns > b.t.ns ? -1 : 1));
  const within = duration('within');
  const counted = [
    { count: policy.last ?? 0, bucket: always, reason: 'last snapshot' },
    { count: policy.hourly ?? 0, bucket: hourOf, reason: 'hourly snapshot' },
    { count: policy.daily ?? 0, bucket: dayOf, reason: 'daily snapshot' },
    { count: policy.weekly ?? 0, bucket: weekOf, reason: 'weekly snapshot' },
    { count: policy.monthly ?? 0, bucket: monthOf, reason: 'monthly snapshot' },
    { count: policy.yearly ?? 0, bucket: yearOf, reason: 'yearly snapshot' },
  ].map((b) => ({ ...b, last: -1 }));
  const ranged = [
    { within: duration('withinHourly'), bucket: hourOf, reason: 'hourly within' },
    { within: duration('withinDaily'), bucket: dayOf, reason: 'daily within' },
    { within: duration('withinWeekly'), bucket: weekOf, reason: 'weekly within' },
    { within: duration('withinMonthly'), bucket: monthOf, reason: 'monthly within' },
    { within: duration('withinYearly'), bucket: yearOf, reason: 'yearly within' },
  ].map((b) => ({ ...b, last: -1 }));
  const empty = counted.every((b) => b.count === 0) && zero(within) && ranged.every((b) => zero(b.within));
  if (empty) return list.map((s) => ({ id: s.id, time: s.time, keep: true, reasons: ['policy is empty'] }));
  if (list.length === 0) return [];

  // The newest snapshot that is not in the future; none: everything counts as within.
  const nowNs = BigInt(opts.now.getTime()) * 1_000_000n;
  const latest = list.find((s) => s.t.ns < nowNs)?.t;
  const after = (d: ResticDuration) => (latest ? pastTime(latest, d) : undefined);

  return list.map((cur, nr) => {
    const reasons: string[] = [];
    if (!zero(within)) {
      const limit = after(within);
      if (limit === undefined || cur.t.ns > limit) reasons.push(`within ${formatResticDuration(within)}`);
    }
    for (const b of counted) {
      if (b.count <= 0) continue;
      const val = b.bucket(cur.t, nr);
      if (val !== b.last || (opts.oldestFillsCounts === true && nr === list.length - 1)) {
        b.last = val;
        b.count--;
        reasons.push(b.reason);
      }
    }
    for (const b of ranged) {
      if (zero(b.within)) continue;
      const limit = after(b.within);
      if (limit !== undefined && !(cur.t.ns > limit)) continue;
      const val = b.bucket(cur.t, nr);
      if (val !== b.last) {
        b.last = val;
        reasons.push(`${b.reason} ${formatResticDuration(b.within)}`);
      }
    }
    return { id: cur.id, time: cur.time, keep: reasons.length > 0, reasons };
  });
}

/** The `restic forget` flags of a policy, in restic's spelling. */
export function keepFlags(policy: KeepPolicy): string[] {
  const flags: [keyof KeepPolicy, string][] = [
    ['last', '--keep-last'], ['hourly', '--keep-hourly'], ['daily', '--keep-daily'], ['weekly', '--keep-weekly'], ['monthly', '--keep-monthly'], ['yearly', '--keep-yearly'],
    ['within', '--keep-within'], ['withinHourly', '--keep-within-hourly'], ['withinDaily', '--keep-within-daily'], ['withinWeekly', '--keep-within-weekly'], ['withinMonthly', '--keep-within-monthly'], ['withinYearly', '--keep-within-yearly'],
  ];
  return flags.flatMap(([key, flag]) => (policy[key] === undefined || policy[key] === 0 ? [] : [flag, String(policy[key])]));
}
