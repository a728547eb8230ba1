/**
 * What a migration request means (pure): which replicas of which app leave which site for
 * which, by which strategy, carrying how much data, and whose consent it needs.
 *
 * An app moves live when its migration mode is "live" (it can run two replicas at once: the
 * target starts, the proxies shift traffic over, the source drains); otherwise it moves by
 * pre-copy and a cutover in one of its customer's maintenance windows. A live move needs no
 * window and no copy of volumes (the app keeps its own data in step, or has none). A standby
 * app whose migration mode is "live" moves by switchovers instead (core/move/switchover.ts): it
 * never runs two writers, and pauses for seconds where its moving replica writes.
 */
import { dataOf, type App, type Fleet } from '../fleet/model.js';
import { siteAllowed } from '../fleet/eligibility.js';
import type { Placement } from '../placement/types.js';
import { naturalCompare } from '../util/natural-sort.js';
import { copyBytesPerSecond, estimateCopy, type CopyEstimate } from './estimate.js';

export interface MoveRequest {
  app: string;
  to: string;
  /** The site the replicas leave; needed only when the app runs at several sites besides `to`. */
  from?: string;
}

/** live: both run while traffic shifts; switchover: a standby app's replica, a standby at the target first, the writer handed over (writes pause seconds); cutover: in a window, down while the data's last changes are copied. */
export type MoveStrategy = 'live' | 'switchover' | 'cutover';

export interface ResolvedMove {
  /** "APP:FROM>TO", stable across plans of the same request. */
  id: string;
  app: string;
  customer: string;
  from: string;
  to: string;
  /** Replicas (1-based numbers) running at `from` today, and their hosts. */
  replicas: { replica: number; host: string }[];
  strategy: MoveStrategy;
  /** Bytes of the app's volumes (copied by a cutover move). */
  bytes: number;
  changePerDay: number;
  /** Copy speed between the sites (bytes/s), undefined when a site has no uplink in the fleet. */
  copyBytesPerSecond?: number;
  /** The copy's estimate (cutover moves with data). */
  estimate?: CopyEstimate;
  /** Expected downtime, seconds (0 for a live move). */
  downtimeSeconds: number;
  /** Seconds the move occupies: the cutover (with room to roll back) or the live traffic shift. */
  switchSeconds: number;
  /** required: nothing runs before the customer agreed; announce: the customer opted in to live moves and is told. */
  consent: 'required' | 'announce';
  warnings: string[];
}

export interface MoveProblem {
  app: string;
  message: string;
}

/** Seconds of each step of a live move: start and health, 10 %, 50 %, 100 %, drain. */
export const LIVE_STEP_SECONDS = 120;
const LIVE_STEPS = 5;
/** The longest a switchover leaves a standby app without a writer, as planned (measured: 2–5 s; docs/benchmarks.md). A switchover move has two when its replica writes. */
export const SWITCHOVER_PAUSE_SECONDS = 10;
/** How a move touches the app, in a few words (CLI lines). */
export function strategyLabel(m: Pick<ResolvedMove, 'strategy' | 'downtimeSeconds'>, fmt: (seconds: number) => string): string {
  if (m.strategy === 'live') return 'live, no downtime';
  if (m.strategy === 'switchover') return `switchover, writes pause up to ~${fmt(SWITCHOVER_PAUSE_SECONDS)} twice`;
  return `cutover, ~${fmt(m.downtimeSeconds)} down`;
}

/** A cutover without an uplink to estimate from still stops, starts and verifies. */
const CUTOVER_OVERHEAD_SECONDS = 60;

/**
 * Resolves requests against the fleet and its placements. Every request that cannot be
 * resolved is a problem naming the app; the others resolve (so one typo does not hide the rest).
 */
export function resolveMoves(fleet: Fleet, placements: readonly Placement[], requests: readonly MoveRequest[]): { moves: ResolvedMove[]; problems: MoveProblem[] } {
  const apps = new Map(fleet.apps.map((a) => [a.id, a]));
  const sites = new Map(fleet.sites.map((s) => [s.id, s]));
  const customers = new Map(fleet.customers.map((c) => [c.id, c]));
  const moves: ResolvedMove[] = [];
  const problems: MoveProblem[] = [];
  const seen = new Set<string>();
  for (const req of requests) {
    const app = apps.get(req.app);
    const problem = (message: string) => problems.push({ app: req.app, message });
    if (!app) {
      problem(`no app "${req.app}" in the fleet`);
      continue;
    }
    const to = sites.get(req.to);
    if (!to) {
      problem(`no site "${req.to}" in the fleet`);
      continue;
    }
    if (!siteAllowed(app, to)) {
      problem(`${app.id} may not run at ${to.id} (its placement allows ${[...(app.placement?.sites ?? []), ...(app.placement?.countries ?? []).map((c) => `country ${c}`)].join(', ')})`);
      continue;
    }
    const mine = placements.filter((p) => p.app === app.id);
    const away = [...new Set(mine.filter((p) => p.site !== to.id).map((p) => p.site))].sort(naturalCompare);
    let from = req.from;
    if (from !== undefined && !sites.has(from)) {
      problem(`no site "${from}" in the fleet`);
      continue;
    }
    if (from === undefined) {
      if (away.length === 0) {
        problem(mine.length === 0 ? `${app.id} is not placed anywhere (see hafen plan)` : `${app.id} already runs only at ${to.id}`);
        continue;
      }
      if (away.length > 1) {
        problem(`${app.id} runs at ${away.join(' and ')}: say which site it leaves with --from`);
        continue;
      }
      from = away[0]!;
    }
    if (from === to.id) {
      problem(`${app.id}: --from and --to are both ${to.id}`);
      continue;
    }
    const leaving = mine.filter((p) => p.site === from).sort((a, b) => a.replica - b.replica);
    if (leaving.length === 0) {
      problem(`${app.id} has no replica at ${from} (it runs at ${[...new Set(mine.map((p) => p.site))].sort(naturalCompare).join(', ') || 'no site'})`);
      continue;
    }
    const id = `${app.id}:${from}>${to.id}`;
    if (seen.has(id)) continue;
    seen.add(id);
    const customer = customers.get(app.customer);
    const uplinks = [sites.get(from)!, to].filter((s) => s.uplink === undefined).map((s) => s.id);
    const move = resolveOne(app, id, from, to.id, leaving, copyBytesPerSecond(sites.get(from)?.uplink, to.uplink, fleet.policies.migrations.bandwidthShare), customer?.liveMoves ?? 'ask');
    if (uplinks.length === 1 && move.strategy === 'cutover' && move.bytes > 0) move.warnings.push(`${uplinks[0]} has no uplink in the fleet: the estimate assumes the other site's`);
    moves.push(move);
  }
  return { moves, problems };
}

function resolveOne(app: App, id: string, from: string, to: string, leaving: readonly Placement[], rate: number | undefined, liveMoves: 'ask' | 'announce'): ResolvedMove {
  const bytes = app.volumes.reduce((n, v) => n + v.size, 0);
  const changePerDay = app.volumes.reduce((n, v) => n + v.changePerDay, 0);
  const base = { id, app: app.id, customer: app.customer, from, to, replicas: leaving.map((p) => ({ replica: p.replica, host: p.host })), bytes, changePerDay, ...(rate ? { copyBytesPerSecond: rate } : {}) };
  // A standby app never runs two writers: its replica moves as a standby, and the writer hands over.
  if (app.migration === 'live' && app.redundancy.mode === 'standby') {
    return { ...base, strategy: 'switchover', downtimeSeconds: 2 * SWITCHOVER_PAUSE_SECONDS, switchSeconds: LIVE_STEPS * LIVE_STEP_SECONDS, consent: liveMoves === 'announce' ? 'announce' : 'required', warnings: [] };
  }
  if (app.migration === 'live') {
    return { ...base, strategy: 'live', downtimeSeconds: 0, switchSeconds: LIVE_STEPS * LIVE_STEP_SECONDS, consent: liveMoves === 'announce' ? 'announce' : 'required', warnings: [] };
  }
  const warnings: string[] = [];
  let estimate: CopyEstimate | undefined;
  let downtime = CUTOVER_OVERHEAD_SECONDS;
  if (bytes > 0 && rate) {
    estimate = estimateCopy({ bytes, changePerDay, bytesPerSecond: rate, cutoverOverheadSeconds: CUTOVER_OVERHEAD_SECONDS });
    downtime = estimate.downtimeSeconds;
    warnings.push(...estimate.warnings);
  } else if (bytes > 0) {
    warnings.push(`neither ${from} nor ${to} has an uplink in the fleet: the copy of ${app.id}'s data cannot be estimated (set the sites' uplink)`);
  }
  // A project directory's own volumes and data directories are copied too, sized or not.
  const declared = new Set(app.volumes.map((v) => v.name));
  const unsized = dataOf(app).filter((d) => !declared.has(d));
  if (unsized.length > 0) warnings.push(`${app.id}'s ${unsized.join(', ')} ${unsized.length === 1 ? 'is' : 'are'} copied but not in the estimate: no size in the fleet (a named volume gets one under the app's volumes:)`);
  // The window must hold the cutover and, should the verification fail, the way back.
  return { ...base, strategy: 'cutover', ...(estimate ? { estimate } : {}), downtimeSeconds: downtime, switchSeconds: downtime + CUTOVER_OVERHEAD_SECONDS, consent: 'required', warnings };
}

/**
 * "Move N % of the customers to SITE": the customers cheapest to move (least data first, then
 * by id) whose every app may run at the site, until their weight reaches the share. Each of
 * their apps with a replica elsewhere moves (from `from` when given, else from its only other
 * site; an app at several other sites leaves the one with the most customers).
 */
export function shareRequests(fleet: Fleet, placements: readonly Placement[], to: string, share: number, from?: string): MoveRequest[] {
  const site = fleet.sites.find((s) => s.id === to);
  if (!site) return [];
  const total = fleet.customers.reduce((n, c) => n + c.weight, 0);
  const bySite = new Map<string, Set<string>>();
  const appCustomer = new Map(fleet.apps.map((a) => [a.id, a.customer]));
  for (const p of placements) {
    const set = bySite.get(p.site) ?? new Set<string>();
    set.add(appCustomer.get(p.app) ?? '');
    bySite.set(p.site, set);
  }
  const busiest = (sites: string[]) => [...sites].sort((a, b) => (bySite.get(b)?.size ?? 0) - (bySite.get(a)?.size ?? 0) || naturalCompare(a, b))[0]!;
  const candidates = fleet.customers
    .map((c) => {
      const apps = fleet.apps.filter((a) => a.customer === c.id);
      const requests: MoveRequest[] = [];
      for (const a of apps) {
        const mine = placements.filter((p) => p.app === a.id);
        const others = [...new Set(mine.filter((p) => p.site !== to).map((p) => p.site))];
        if (others.length === 0) continue;
        // An app that spreads over sites (or wider) and already runs at the target cannot gather there.
        if (!siteAllowed(a, site) || (a.redundancy.spreadOver !== 'host' && mine.some((p) => p.site === to))) return undefined;
        const leave = from ?? busiest(others);
        if (!others.includes(leave)) continue;
        requests.push({ app: a.id, to, from: leave });
      }
      const bytes = apps.reduce((n, a) => n + a.volumes.reduce((m, v) => m + v.size, 0), 0);
      return requests.length > 0 ? { customer: c, requests, bytes } : undefined;
    })
    .filter((x) => x !== undefined)
    .sort((a, b) => a.bytes - b.bytes || naturalCompare(a.customer.id, b.customer.id));
  const out: MoveRequest[] = [];
  let weight = 0;
  for (const c of candidates) {
    if (weight >= share * total - 1e-9) break;
    out.push(...c.requests);
    weight += c.customer.weight;
  }
  return out;
}
