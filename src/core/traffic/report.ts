/**
 * The traffic report the users read (pure): requests per day for a period, the average day of
 * the week (their load follows a weekly curve), and the peak of concurrent connections per day
 * and overall. Days without traffic count as zero, so an outage shows as a dip, not a gap.
 */

export interface DayCount {
  /** Start of the day, ISO 8601 UTC. */
  day: string;
  requests: number;
  errors: number;
}

export interface TrafficReport {
  from: string;
  to: string;
  days: DayCount[];
  /** Monday first: the average requests of that weekday over the period's whole days (not today), and how many such days it had. */
  weekdays: { weekday: string; averageRequests: number; days: number }[];
  /** Most concurrent client connections per day: per-proxy peaks added up (an upper bound: proxies may peak at different minutes). */
  peaks: { day: string; connections: number }[];
  peak: { day: string; connections: number } | null;
  totalRequests: number;
}

const WEEKDAYS = ['Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat', 'Sun'];
const DAY_MS = 86_400_000;

/**
 * The report for the `days` days that end with the day of `now` (UTC), from day buckets of
 * traffic (any apps and sites: they are added up) and of connection peaks (per site and proxy).
 */
export function trafficReport(
  rows: readonly { at: string; requests: number; errors: number }[],
  peakRows: readonly { at: string; site: string; proxy: string; peak: number }[],
  now: Date,
  days: number,
): TrafficReport {
  const today = Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate());
  const first = today - (days - 1) * DAY_MS;
  const byDay = new Map<number, DayCount>();
  for (let t = first; t <= today; t += DAY_MS) byDay.set(t, { day: new Date(t).toISOString(), requests: 0, errors: 0 });
  for (const r of rows) {
    const d = byDay.get(Date.parse(r.at));
    if (!d) continue;
    d.requests += r.requests;
    d.errors += r.errors;
  }
  const list = [...byDay.values()];
  // The average day of the week from whole days only: today has just begun (at 00:20 on a
  // Monday, a fifth of the Mondays would count 20 minutes and pull "the average Monday" down).
  const whole = list.filter((d) => Date.parse(d.day) < today);
  const weekdays = WEEKDAYS.map((weekday, i) => {
    const same = whole.filter((d) => (new Date(d.day).getUTCDay() + 6) % 7 === i);
    return { weekday, averageRequests: same.length ? Math.round(same.reduce((n, d) => n + d.requests, 0) / same.length) : 0, days: same.length };
  });
  const peakByDay = new Map<number, number>();
  // Per proxy, the day's most; per day, the proxies' peaks added up.
  const perProxy = new Map<string, number>();
  for (const p of peakRows) {
    const t = Date.parse(p.at);
    if (!byDay.has(t)) continue;
    const key = `${t}\u0000${p.site}\u0000${p.proxy}`;
    perProxy.set(key, Math.max(perProxy.get(key) ?? 0, p.peak));
  }
  for (const [key, peak] of perProxy) {
    const t = Number(key.split('\u0000')[0]);
    peakByDay.set(t, (peakByDay.get(t) ?? 0) + peak);
  }
  const peaks = list.map((d) => ({ day: d.day, connections: peakByDay.get(Date.parse(d.day)) ?? 0 }));
  const peak = peaks.reduce<{ day: string; connections: number } | null>((m, p) => (p.connections > (m?.connections ?? 0) ? p : m), null);
  return {
    from: new Date(first).toISOString(),
    to: new Date(today + DAY_MS).toISOString(),
    days: list,
    weekdays,
    peaks,
    peak,
    totalRequests: list.reduce((n, d) => n + d.requests, 0),
  };
}
