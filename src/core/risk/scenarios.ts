/**
 * Failure scenarios: what the loss of one group (or two, with pairs) does to the apps as
 * placed. An app is down when every replica sits in the lost groups, degraded when some do.
 * A customer is affected when at least one of its apps is down; shares are weighted.
 *
 * A standby app whose writer (its lowest-numbered replica, as the controller starts) is lost
 * lives on only by failing over. Each scenario lists those that do — a standby outside, and at
 * least two sites outside the loss that can see the writer gone (the quorum that declares a
 * site lost or a replica down) — with their expected RTO and RPO, and those that cannot for
 * want of that quorum. The latter count as down: nothing takes their writes until the lost
 * group returns. A witness site (a vantage point at a third provider) is what keeps the quorum
 * when one provider takes two sites with it.
 */
import type { Fleet } from '../fleet/model.js';
import type { Placement } from '../placement/types.js';
import { naturalCompare } from '../util/natural-sort.js';
import { groupBy } from '../util/group.js';
import { buildGroups, intersect, sharedFacilities, type GroupIndex, type GroupKind } from './groups.js';

export interface Scenario {
  /** "site:hel", or "site:hel+provider:provider-a" for a pair. */
  group: string;
  kind: GroupKind | 'pair';
  appsDown: number;
  appsDegraded: number;
  /** Weighted customers with at least one app down. */
  customersAffected: number;
  /** Weighted customers in the fleet. */
  customersTotal: number;
  share: number;
  criticalAppsDown: number;
  /** Capacity of the lost hosts. */
  capacityLost: { hosts: number; cpu: number; memory: number; disk: number };
  /** Standby apps whose writer is lost that fail over: expected time without a writer (detection, then the 15 s budget) and the data they may lose (their RPO). */
  failover: { app: string; rtoSeconds: number; rpoSeconds: number }[];
  /** Standby apps whose writer is lost that cannot fail over by themselves: fewer than two sites outside the loss can see it. Counted down. */
  noQuorum: string[];
  /** Apps down (ids), for what-if detail. */
  down: string[];
  degraded: string[];
  customers: string[];
}

export interface Violation {
  group: string;
  kind: string;
  rule: 'max-customer-share' | 'critical-survives-site-loss' | 'critical-survives-facility-loss' | 'critical-survives-provider-loss';
  message: string;
}

export interface RiskReport {
  scenarios: Scenario[];
  violations: Violation[];
  /** Facilities holding sites of another provider: shared fate that is easy to overlook. */
  sharedFacilities: ReturnType<typeof sharedFacilities>;
}

export interface RiskOptions {
  /** Add every pair of non-host groups. */
  pairs?: boolean;
}

/** Scenarios for every failure group, worst first, with the policy violations. Pure. */
export function analyseRisk(fleet: Fleet, placements: readonly Placement[], options: RiskOptions = {}, index: GroupIndex = buildGroups(fleet)): RiskReport {
  const hostIdx = new Map(fleet.hosts.map((h, i) => [h.id, i]));
  const weight = new Map(fleet.customers.map((c) => [c.id, c.weight]));
  const total = fleet.customers.reduce((n, c) => n + c.weight, 0);
  const known = placements.filter((p) => hostIdx.has(p.host));
  const byApp = new Map([...groupBy(known, (p) => p.app)].map(([app, ps]) => [app, ps.map((p) => hostIdx.get(p.host)!)]));
  const apps = fleet.apps.filter((a) => byApp.has(a.id));
  const hostsPerSite = new Map<string, number>();
  for (const h of fleet.hosts) hostsPerSite.set(h.site, (hostsPerSite.get(h.site) ?? 0) + 1);
  const ctx: Context = { fleet, appById: new Map(fleet.apps.map((a) => [a.id, a])), weight, total, hostsPerSite };
  // Each app into the groups that take it down (every replica inside) and those that only touch
  // it (some replica inside): linear in the placements, not groups × apps. Apps keep fleet order.
  const downBy: string[][] = index.groups.map(() => []);
  const degradedBy: string[][] = index.groups.map(() => []);
  for (const a of apps) {
    const hosts = byApp.get(a.id)!;
    const downIn = new Set(hosts.map((h) => index.hostGroups[h]!).reduce((x, y) => intersect(x, y)));
    for (const gi of new Set(hosts.flatMap((h) => index.hostGroups[h]!))) (downIn.has(gi) ? downBy : degradedBy)[gi]!.push(a.id);
  }
  const writers = writerHosts(fleet, known, hostIdx);
  const scenarios: Scenario[] = index.groups.map((g, gi) => finish(ctx, g.key, g.kind, downBy[gi]!, degradedBy[gi]!, g.hosts, failovers(fleet, ctx, writers, new Set(g.hosts), degradedBy[gi]!)));

  if (options.pairs) {
    const major = index.groups.map((g, i) => ({ g, i })).filter(({ g }) => g.kind !== 'host');
    for (let x = 0; x < major.length; x++) {
      for (let y = x + 1; y < major.length; y++) {
        const a = major[x]!;
        const b = major[y]!;
        const lost = new Set([...a.g.hosts, ...b.g.hosts]);
        const down: string[] = [];
        const degraded: string[] = [];
        apps.forEach((app) => {
          const hs = byApp.get(app.id)!;
          const inside = hs.filter((h) => lost.has(h)).length;
          if (inside === hs.length) down.push(app.id);
          else if (inside > 0) degraded.push(app.id);
        });
        scenarios.push(finish(ctx, `${a.g.key}+${b.g.key}`, 'pair', down, degraded, [...lost], failovers(fleet, ctx, writers, lost, degraded)));
      }
    }
  }

  scenarios.sort(
    (a, b) => b.share - a.share || b.criticalAppsDown - a.criticalAppsDown || b.appsDown - a.appsDown || naturalCompare(a.group, b.group),
  );
  const violations: Violation[] = [];
  const limit = fleet.policies.maxCustomerShare;
  for (const s of scenarios) {
    if (s.kind === 'pair') continue;
    if (s.share > limit + 1e-9) {
      violations.push({
        group: s.group,
        kind: s.kind,
        rule: 'max-customer-share',
        message: `losing ${s.group} affects ${pct(s.share)} of customers (weighted ${round(s.customersAffected)} of ${round(s.customersTotal)}), above the policy limit of ${pct(limit)}`,
      });
    }
    // Critical apps survive the loss of any one site, facility or provider (a facility or a
    // provider takes all the sites inside it, as a site takes its hosts).
    if ((s.kind === 'site' || s.kind === 'facility' || s.kind === 'provider') && fleet.policies.criticalSurvivesSiteLoss && s.criticalAppsDown > 0) {
      const crit = s.down.filter((id) => ctx.appById.get(id)?.criticality === 'critical');
      const stuck = crit.filter((id) => s.noQuorum.includes(id));
      violations.push({
        group: s.group,
        kind: s.kind,
        rule: `critical-survives-${s.kind}-loss`,
        message: `losing ${s.group} takes down critical app${crit.length === 1 ? '' : 's'} ${crit.join(', ')}${stuck.length ? ` (${stuck.join(', ')}: standby without the quorum to fail over; a witness site at another provider gives it)` : ''}`,
      });
    }
  }
  return { scenarios, violations, sharedFacilities: sharedFacilities(fleet) };
}

/** What every scenario reads: the fleet, its apps by id, the customers' weights and their sum. */
interface Context {
  fleet: Fleet;
  appById: ReadonlyMap<string, Fleet['apps'][number]>;
  weight: ReadonlyMap<string, number>;
  total: number;
  /** How many hosts each site has (a scenario's lost hosts per site say which sites still see). */
  hostsPerSite: ReadonlyMap<string, number>;
}

/** Each standby app's writer: the host of its lowest-numbered placed replica (what the controller starts with). */
function writerHosts(fleet: Fleet, placements: readonly Placement[], hostIdx: ReadonlyMap<string, number>): Map<string, number> {
  const standby = new Set(fleet.apps.filter((a) => a.redundancy.mode === 'standby').map((a) => a.id));
  const first = new Map<string, Placement>();
  for (const p of placements) if (standby.has(p.app) && (first.get(p.app)?.replica ?? Infinity) > p.replica) first.set(p.app, p);
  return new Map([...first].map(([app, p]) => [app, hostIdx.get(p.host)!]));
}

/** What failover promises once the writer is declared gone (DESIGN's budget): a write accepted at the new writer within 15 s. */
export const PROMOTION_BUDGET_S = 15;
/** The controller's "host silent" threshold (controller/monitor.ts HEARTBEAT_DOWN_MS). */
const HOST_SILENT_S = 20;

/** The degraded standby apps whose writer is lost: those that fail over (with RTO and RPO), and those without the quorum to. */
function failovers(fleet: Fleet, ctx: Context, writers: ReadonlyMap<string, number>, lost: ReadonlySet<number>, degraded: readonly string[]): Pick<Scenario, 'failover' | 'noQuorum'> {
  const hit = degraded.filter((id) => lost.has(writers.get(id) ?? -1));
  if (hit.length === 0) return { failover: [], noQuorum: [] };
  // Per site, over the lost hosts only: a fleet of 10,000 hosts has 10,000 host scenarios.
  const lostIn = new Map<string, number>();
  for (const i of lost) lostIn.set(fleet.hosts[i]!.site, (lostIn.get(fleet.hosts[i]!.site) ?? 0) + 1);
  const seeing = [...ctx.hostsPerSite].filter(([site, n]) => (lostIn.get(site) ?? 0) < n).length;
  if (seeing < Math.min(2, fleet.sites.length)) return { failover: [], noQuorum: hit };
  const failover = hit.map((id) => {
    const app = ctx.appById.get(id)!;
    const writer = fleet.hosts[writers.get(id)!]!;
    // Its whole site gone: declared lost after `fall` missed rounds (and one more); its host alone: silent for 20 s too.
    const siteGone = (lostIn.get(writer.site) ?? 0) === ctx.hostsPerSite.get(writer.site);
    const detect = Math.max(((app.monitoring.fall + 1) * app.monitoring.intervalMs) / 1000, siteGone ? 0 : HOST_SILENT_S);
    // A critical PostgreSQL app commits synchronously: nothing acknowledged is lost (while its standby streams).
    const synchronous = app.workload.postgres !== undefined && app.criticality === 'critical';
    return { app: id, rtoSeconds: Math.ceil(detect) + PROMOTION_BUDGET_S, rpoSeconds: synchronous ? 0 : Math.round(app.redundancy.rpoMs / 1000) };
  });
  return { failover, noQuorum: [] };
}

function finish({ fleet, appById, weight, total }: Context, group: string, kind: Scenario['kind'], allDown: string[], touched: string[], hosts: readonly number[], standby: Pick<Scenario, 'failover' | 'noQuorum'>): Scenario {
  // A standby app that cannot fail over has no writer until the group returns: down.
  const stuck = new Set(standby.noQuorum);
  const down = stuck.size ? [...allDown, ...touched.filter((id) => stuck.has(id))] : allDown;
  const degraded = stuck.size ? touched.filter((id) => !stuck.has(id)) : touched;
  const customers = [...new Set(down.map((id) => appById.get(id)!.customer))].sort(naturalCompare);
  const affected = customers.reduce((n, c) => n + (weight.get(c) ?? 1), 0);
  const lost = { hosts: hosts.length, cpu: 0, memory: 0, disk: 0 };
  for (const h of hosts) {
    const host = fleet.hosts[h]!;
    lost.cpu += host.cpu;
    lost.memory += host.memory;
    lost.disk += host.disk;
  }
  return {
    group,
    kind,
    appsDown: down.length,
    appsDegraded: degraded.length,
    customersAffected: affected,
    customersTotal: total,
    share: total > 0 ? affected / total : 0,
    criticalAppsDown: down.filter((id) => appById.get(id)!.criticality === 'critical').length,
    capacityLost: lost,
    ...standby,
    down,
    degraded,
    customers,
  };
}

const round = (n: number) => Math.round(n * 100) / 100;
export const pct = (share: number) => `${(share * 100).toFixed(1)}%`;
