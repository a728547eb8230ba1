/**
 * From probe results to states, by quorum (pure: time is an argument).
 *
 * Each site keeps its own view of each check, with thresholds in both directions so a single
 * lost packet does not flap it: down after `fall` failures in a row, up after `rise` successes
 * in a row (a check seen for the first time is up at its first success). A check's state comes
 * from the fresh views of all sites:
 * - up: no site sees it down;
 * - down: at least two sites see it down (one, in a fleet of one site). The quorum counts the
 *   fleet's sites, not the sites that happen to have reported: right after a start, or with
 *   probers at one site only, a single vantage point never makes a check down;
 * - degraded: some sites see it down but not enough to agree: most likely the network path
 *   between those sites and the target, which the state says;
 * - unknown: no site has reported within the staleness limit.
 * A site is declared down only when at least two *other* sites each see every one of its
 * checks down: never from its own vantage point, never from one other site alone.
 */

export interface Thresholds {
  fall: number;
  rise: number;
}

export interface ProbeOutcome {
  ok: boolean;
  /** When the probe ran (ms since the epoch). */
  at: number;
  /** How long it took. */
  ms: number;
  error?: string;
}

/** One site's view of one check. */
export interface SiteView {
  /** undefined until the first verdict (first success, or `fall` failures). */
  up: boolean | undefined;
  fails: number;
  oks: number;
  at: number;
  ms: number;
  error?: string;
}

/** The view after one more result. */
export function nextView(view: SiteView | undefined, r: ProbeOutcome, t: Thresholds): SiteView {
  const prev = view ?? { up: undefined, fails: 0, oks: 0, at: 0, ms: 0 };
  const fails = r.ok ? 0 : prev.fails + 1;
  const oks = r.ok ? prev.oks + 1 : 0;
  let up = prev.up;
  if (r.ok && (up === undefined || oks >= t.rise)) up = true;
  if (!r.ok && fails >= t.fall) up = false;
  return { up, fails, oks, at: r.at, ms: r.ms, ...(r.ok || r.error === undefined ? {} : { error: r.error }) };
}

export type CheckStateName = 'up' | 'degraded' | 'down' | 'unknown';

export interface Verdict {
  state: CheckStateName;
  /** Sites whose fresh view is down / up, sorted. */
  downFrom: string[];
  upFrom: string[];
  /** A sentence for people: who sees what. */
  reason: string;
}

/** Views older than `staleMs` (a site that stopped probing) do not count. `sites`: how many sites the fleet has. */
export function verdict(views: ReadonlyMap<string, SiteView>, now: number, staleMs: number, sites: number): Verdict {
  const downFrom: string[] = [];
  const upFrom: string[] = [];
  for (const [site, v] of views) {
    if (v.up === undefined || now - v.at > staleMs) continue;
    (v.up ? upFrom : downFrom).push(site);
  }
  downFrom.sort();
  upFrom.sort();
  const n = downFrom.length + upFrom.length;
  if (n === 0) return { state: 'unknown', downFrom, upFrom, reason: 'no site has probed it recently' };
  if (downFrom.length === 0) return { state: 'up', downFrom, upFrom, reason: `up from ${upFrom.join(', ')}` };
  if (downFrom.length >= Math.min(2, Math.max(1, sites))) {
    return { state: 'down', downFrom, upFrom, reason: `down from ${downFrom.join(', ')}${upFrom.length ? ` (up from ${upFrom.join(', ')})` : ''}` };
  }
  return {
    state: 'degraded',
    downFrom,
    upFrom,
    reason: upFrom.length
      ? `down from ${downFrom.join(', ')} only, up from ${upFrom.join(', ')}: likely the network path from ${downFrom.join(', ')}, not the target`
      : `down from ${downFrom.join(', ')} only, and no other site has a view: not enough to call it down`,
  };
}

/**
 * Sites lost: site S is down when at least two other sites each have a fresh down view of
 * every check that targets S (`checksAt` maps a site to its checks). Returns, per lost site,
 * the sites that see it so.
 */
export function lostSites(
  checksAt: ReadonlyMap<string, readonly string[]>,
  views: ReadonlyMap<string, ReadonlyMap<string, SiteView>>,
  now: number,
  staleMs: number,
): Map<string, string[]> {
  const lost = new Map<string, string[]>();
  for (const [site, checks] of checksAt) {
    if (checks.length === 0) continue;
    let observers: Set<string> | undefined;
    for (const id of checks) {
      const seeing = new Set<string>();
      for (const [from, v] of views.get(id) ?? []) {
        if (from !== site && v.up === false && now - v.at <= staleMs) seeing.add(from);
      }
      observers = observers ? new Set([...observers].filter((o) => seeing.has(o))) : seeing;
      if (observers.size < 2) break;
    }
    if (observers && observers.size >= 2) lost.set(site, [...observers].sort());
  }
  return lost;
}
