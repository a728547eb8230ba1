/**
 * The scheduler: places every replica of every app on a host.
 *
 * Hard rules: capacity with the policy headroom, allowed sites and countries, host labels,
 * runtime, replicas of one app on different hosts and in different domains at the app's
 * spread level. Within those, each app's sites are chosen to keep the worst failure group's
 * weighted customer share as low as possible (the fleet-wide blast-radius policy), then to
 * even out load. A customer's apps are placed together, so they tend to share their fate
 * instead of multiplying it.
 *
 * Stable and deterministic: replicas of the previous plan stay where they are while that is
 * still allowed and fits; everything else is decided in a fixed order from the fleet alone.
 */
import { domainOf, hostSuits, narrowsHosts, siteAllowed } from '../fleet/eligibility.js';
import type { App, Fleet } from '../fleet/model.js';
import type { SiteSpec } from '../fleet/schema/fleet.js';
import { intersect } from '../risk/groups.js';
import { naturalCompare } from '../util/natural-sort.js';
import { groupBy } from '../util/group.js';
import { MAX_COMBOS, comboCount, siteCombos } from './combos.js';
import { explainUnplaced } from './reasons.js';
import { ScheduleState, replicaDemand, type Demand } from './state.js';
import type { Move, Placement, Plan, Unplaced } from './types.js';

export interface ScheduleOptions {
  /** The previous plan's placements: kept where still valid. */
  previous?: readonly Placement[];
  /** Hosts treated as gone (what-if and N+1 analysis). */
  excludeHosts?: ReadonlySet<string>;
}

export interface ScheduleResult extends Plan {
  state: ScheduleState;
}

/**
 * Weight of even load against risk. The load cost is a barrier too (weight / (1 - load)), so
 * it hardly matters while sites have room and grows as one fills: risk decides first, and a
 * nearly full site hands its share of customers to emptier ones before it runs out.
 */
const LOAD_WEIGHT = 0.005;

/** Cost of each replica placed away from its customer's home site (a soft preference). */
const AWAY_FROM_HOME = 0.01;

function loadCost(load: number): number {
  return LOAD_WEIGHT / Math.max(1e-3, 1 - load);
}

interface Placed {
  replica: number;
  host: number;
}

export function schedule(fleet: Fleet, options: ScheduleOptions = {}): ScheduleResult {
  const state = new ScheduleState(fleet, options.excludeHosts);
  const sites = new Map(fleet.sites.map((s) => [s.id, s]));
  const siteIds = fleet.sites.map((s) => s.id).sort(naturalCompare);
  const siteLoad = siteLoads(state, siteIds);
  const apps = [...fleet.apps].sort((a, b) => naturalCompare(a.id, b.id));
  const placed = new Map<string, Placed[]>();
  const placements: Placement[] = [];
  const unplaced: Unplaced[] = [];

  // What each host has given (host ports, container names), and to which app: never twice.
  const claimsOn = fleet.hosts.map(() => new Map<string, string>());
  const claimsFree = (app: App) => (h: number) => app.hostClaims.every((c) => !claimsOn[h]!.has(c));
  /** The first of the app's claims another app holds on host `h`, with that app. */
  const claimClash = (app: App) => (h: number) => {
    const claim = app.hostClaims.find((c) => claimsOn[h]!.has(c));
    return claim === undefined ? undefined : `${claim} (${claimsOn[h]!.get(claim)})`;
  };
  const take = (app: App, d: Demand, p: Placed) => {
    state.take(p.host, d);
    for (const claim of app.hostClaims) claimsOn[p.host]!.set(claim, app.id);
    const host = fleet.hosts[p.host]!;
    siteLoad.take(host.site, d.memory);
    placed.get(app.id)!.push(p);
    placements.push({ app: app.id, replica: p.replica, host: host.id, site: host.site });
  };

  // 1. Keep what the previous plan placed, while it is still allowed and fits.
  const previous = groupBy(options.previous ?? [], (p) => p.app);
  for (const app of apps) {
    placed.set(app.id, []);
    const d = replicaDemand(app);
    const level = app.redundancy.spreadOver;
    const domains = new Set<string>();
    for (const p of (previous.get(app.id) ?? []).sort((a, b) => a.replica - b.replica)) {
      const h = state.hostIndex.get(p.host);
      if (h === undefined || p.replica > app.redundancy.replicas || placed.get(app.id)!.some((x) => x.replica === p.replica || x.host === h)) continue;
      const host = fleet.hosts[h]!;
      const site = sites.get(host.site)!;
      const dom = domainOf(host, site, level);
      if (!siteAllowed(app, site) || !hostSuits(app, host) || state.limit[h]!.memory === 0 || domains.has(dom) || !state.fits(h, d) || !claimsFree(app)(h)) continue;
      domains.add(dom);
      take(app, d, { replica: p.replica, host: h });
    }
  }

  // 2. Place the rest, most constrained customers first, each customer's apps together.
  for (const app of orderApps(fleet, apps)) {
    const d = replicaDemand(app);
    const mine = placed.get(app.id)!;
    const missing: number[] = [];
    for (let r = 1; r <= app.redundancy.replicas; r++) if (!mine.some((p) => p.replica === r)) missing.push(r);
    if (missing.length > 0) {
      const chosen = chooseHosts(fleet, state, sites, siteIds, siteLoad, app, d, mine, missing.length, claimsFree(app));
      chosen.forEach((h, i) => {
        if (h >= 0) take(app, d, { replica: missing[i]!, host: h });
      });
      missing.forEach((replica, i) => {
        if ((chosen[i] ?? -1) >= 0) return;
        const why = explainUnplaced(state, sites, app, d, placed.get(app.id)!.map((p) => p.host), claimClash(app));
        unplaced.push({ app: app.id, replica, ...why });
      });
    }
    const hosts = placed.get(app.id)!.map((p) => p.host);
    if (hosts.length > 0) {
      let down = state.groups.hostGroups[hosts[0]!]!;
      for (const h of hosts.slice(1)) down = intersect(down, state.groups.hostGroups[h]!);
      state.expose(app.customer, down);
    }
  }

  placements.sort((a, b) => naturalCompare(a.app, b.app) || a.replica - b.replica);
  unplaced.sort((a, b) => naturalCompare(a.app, b.app) || a.replica - b.replica);
  return { ...diffPlans(options.previous ?? [], placements), placements, unplaced, state };
}

/** Customers with constrained or critical apps first, then by weight and size; apps in a customer by size. */
function orderApps(fleet: Fleet, apps: App[]): App[] {
  const byCustomer = groupBy(apps, (a) => a.customer);
  const weight = new Map(fleet.customers.map((c) => [c.id, c.weight]));
  const keys = new Map(
    [...byCustomer].map(([c, list]) => [
      c,
      {
        constrained: list.some((a) => a.placement !== undefined) ? 1 : 0,
        critical: list.some((a) => a.criticality === 'critical') ? 1 : 0,
        weight: weight.get(c) ?? 1,
        memory: list.reduce((n, a) => n + a.resources.memory * a.redundancy.replicas, 0),
      },
    ]),
  );
  const customers = [...byCustomer.keys()].sort((a, b) => {
    const ka = keys.get(a)!;
    const kb = keys.get(b)!;
    return kb.constrained - ka.constrained || kb.critical - ka.critical || kb.weight - ka.weight || kb.memory - ka.memory || naturalCompare(a, b);
  });
  return customers.flatMap((c) =>
    byCustomer.get(c)!.sort(
      (a, b) =>
        (b.criticality === 'critical' ? 1 : 0) - (a.criticality === 'critical' ? 1 : 0) ||
        b.redundancy.replicas - a.redundancy.replicas ||
        b.resources.memory - a.resources.memory ||
        naturalCompare(a.id, b.id),
    ),
  );
}

/** Memory allocated and usable per site, for the even-load preference. */
function siteLoads(state: ScheduleState, siteIds: string[]) {
  const used = new Map<string, number>(siteIds.map((s) => [s, 0]));
  const limit = new Map<string, number>(siteIds.map((s) => [s, 0]));
  for (const [site, byRuntime] of state.siteHosts) {
    for (const hosts of byRuntime.values()) for (const h of hosts) limit.set(site, (limit.get(site) ?? 0) + state.limit[h]!.memory);
  }
  return {
    load: (site: string) => (used.get(site) ?? 0) / (limit.get(site) || 1),
    take: (site: string, memory: number) => used.set(site, (used.get(site) ?? 0) + memory),
  };
}

/**
 * Hosts for `count` missing replicas (-1 where none fits). Tries whole site combinations,
 * best first; falls back to replica-by-replica when there are too many combinations or none
 * fits as a whole.
 */
function chooseHosts(
  fleet: Fleet,
  state: ScheduleState,
  sites: Map<string, SiteSpec>,
  siteIds: string[],
  siteLoad: ReturnType<typeof siteLoads>,
  app: App,
  d: Demand,
  existing: Placed[],
  count: number,
  claimsFree: (h: number) => boolean,
): number[] {
  const level = app.redundancy.spreadOver;
  const labels = narrowsHosts(app);
  const home = state.home.get(app.customer);
  const candidates = new Map<string, number[]>();
  for (const s of siteIds) {
    const site = sites.get(s)!;
    if (!siteAllowed(app, site)) continue;
    const pool = state.siteHosts.get(s)?.get(app.workloadKind) ?? [];
    const list = labels ? pool.filter((h) => hostSuits(app, fleet.hosts[h]!)) : pool;
    if (list.length > 0) candidates.set(s, list);
  }
  const eligible = [...candidates.keys()];
  const used = new Set(existing.map((p) => p.host));
  const keptGroups = existing.map((p) => state.groups.siteGroups.get(fleet.hosts[p.host]!.site) ?? []);
  const takenDomains = new Set(existing.map((p) => domainOf(fleet.hosts[p.host]!, sites.get(fleet.hosts[p.host]!.site)!, level)));
  const repeat = level === 'host';
  const domain = (i: number) => (repeat ? eligible[i]! : domainOf({ id: '' }, sites.get(eligible[i]!)!, level));

  const suits = labels ? (h: number) => hostSuits(app, fleet.hosts[h]!) : () => true;
  const pickFast = (site: string, exclude: ReadonlySet<number>): number =>
    state.pickFast(site, app.workloadKind, d, (h) => !exclude.has(h) && suits(h) && claimsFree(h));
  const pickExact = (site: string, exclude: ReadonlySet<number>): number =>
    state.pickExact(candidates.get(site) ?? [], d, (h) => !exclude.has(h) && claimsFree(h));

  if (comboCount(eligible.length, count, repeat) <= MAX_COMBOS) {
    const combos = siteCombos(eligible.length, count, repeat, domain, takenDomains, (i) => candidates.get(eligible[i]!)!.length);
    let kept: readonly number[] | undefined;
    for (const g of keptGroups) kept = kept ? intersect(kept, g) : g;
    const groupsOf = eligible.map((s) => state.groups.siteGroups.get(s) ?? []);
    const scored = combos.map((combo) => {
      let down = kept;
      for (const i of combo) down = down ? (down === groupsOf[i] ? down : intersect(down, groupsOf[i]!)) : groupsOf[i]!;
      const risk = state.riskCost(app.customer, down ?? [], fleet.policies.maxCustomerShare);
      const load = combo.reduce((n, i) => n + loadCost(siteLoad.load(eligible[i]!)), 0) / combo.length;
      const away = home === undefined ? 0 : combo.filter((i) => eligible[i] !== home).length * AWAY_FROM_HOME;
      return { combo, score: (Number.isFinite(risk) ? risk : 1e6) + load + away };
    });
    scored.sort((a, b) => a.score - b.score);
    for (const { combo } of scored) {
      const chosen: number[] = [];
      const exclude = new Set(used);
      for (const i of combo) {
        const h = pickFast(eligible[i]!, exclude);
        if (h < 0) break;
        chosen.push(h);
        exclude.add(h);
      }
      if (chosen.length === count) return chosen;
    }
  }

  // Replica by replica, looking at every host: the least risky, least loaded site that still has one.
  const out: number[] = [];
  const exclude = new Set(used);
  const domains = new Set(takenDomains);
  let down: readonly number[] | undefined;
  for (const g of keptGroups) down = down ? intersect(down, g) : g;
  for (let r = 0; r < count; r++) {
    let best = -1;
    let bestScore = Infinity;
    let bestDown: readonly number[] = [];
    for (const s of eligible) {
      const dom = domainOf({ id: '' }, sites.get(s)!, level === 'host' ? 'site' : level);
      if (level !== 'host' && domains.has(dom)) continue;
      const h = pickExact(s, exclude);
      if (h < 0) continue;
      const g = state.groups.siteGroups.get(s) ?? [];
      const nextDown = down ? intersect(down, g) : g;
      const risk = state.riskCost(app.customer, nextDown, fleet.policies.maxCustomerShare);
      const score = (Number.isFinite(risk) ? risk : 1e6) + loadCost(siteLoad.load(s)) + (home !== undefined && s !== home ? AWAY_FROM_HOME : 0);
      if (score < bestScore) {
        best = h;
        bestScore = score;
        bestDown = nextDown;
      }
    }
    out.push(best);
    if (best >= 0) {
      exclude.add(best);
      if (level !== 'host') domains.add(domainOf(fleet.hosts[best]!, sites.get(fleet.hosts[best]!.site)!, level));
      down = bestDown;
    }
  }
  return out;
}

/** Moves, additions and removals between two plans, keyed by (app, replica). */
export function diffPlans(before: readonly Placement[], after: readonly Placement[]): Pick<Plan, 'moves' | 'added' | 'removed'> {
  const key = (p: Placement) => `${p.app}\u0000${p.replica}`;
  const old = new Map(before.map((p) => [key(p), p]));
  const now = new Map(after.map((p) => [key(p), p]));
  const moves: Move[] = [];
  const added: Placement[] = [];
  for (const p of after) {
    const o = old.get(key(p));
    if (!o) added.push(p);
    else if (o.host !== p.host) moves.push({ app: p.app, replica: p.replica, from: o.host, to: p.host });
  }
  const removed = before.filter((p) => !now.has(key(p)));
  const order = (a: { app: string; replica: number }, b: { app: string; replica: number }) => naturalCompare(a.app, b.app) || a.replica - b.replica;
  return { moves: moves.sort(order), added: added.sort(order), removed: [...removed].sort(order) };
}
