/**
 * Capacity: what every host and site has allocated and free, and N+1: whether the rest of
 * the fleet could take every replica of a site if that site failed (re-planned with the
 * same rules, everything elsewhere staying where it is).
 */
import type { Fleet } from '../fleet/model.js';
import { naturalCompare } from '../util/natural-sort.js';
import { schedule } from './schedule.js';
import { replicaDemand } from './state.js';
import type { Placement, Unplaced } from './types.js';

export interface Amount {
  total: number;
  /** Total less the policy headroom. */
  usable: number;
  allocated: number;
  /** usable - allocated (negative when over-committed). */
  free: number;
}

export interface HostCapacity {
  host: string;
  site: string;
  role: string;
  replicas: number;
  cpu: Amount;
  memory: Amount;
  disk: Amount;
}

export interface SiteCapacity {
  site: string;
  hosts: number;
  replicas: number;
  cpu: Amount;
  memory: Amount;
  disk: Amount;
}

export interface SiteLoss {
  site: string;
  /** Replicas that ran at the site. */
  replicas: number;
  /** True when every one of them could be re-placed elsewhere. */
  covered: boolean;
  unplaced: Unplaced[];
}

export interface CapacityReport {
  sites: SiteCapacity[];
  hosts: HostCapacity[];
  /** N+1 for every site, the largest (by allocated memory) first. */
  siteLoss: SiteLoss[];
  /** The site whose loss is the N+1 test. */
  largestSite?: string;
}

const amount = (total: number, headroom: number, allocated: number): Amount => {
  const usable = total * (1 - headroom);
  return { total, usable, allocated, free: usable - allocated };
};

const add = (a: Amount, b: Amount): Amount => ({ total: a.total + b.total, usable: a.usable + b.usable, allocated: a.allocated + b.allocated, free: a.free + b.free });

export function capacityReport(fleet: Fleet, placements: readonly Placement[], options: { siteLoss?: boolean } = {}): CapacityReport {
  const headroom = fleet.policies.capacityHeadroom;
  const demand = new Map(fleet.apps.map((a) => [a.id, replicaDemand(a)]));
  const perHost = new Map<string, { cpu: number; memory: number; disk: number; replicas: number }>();
  for (const p of placements) {
    const d = demand.get(p.app);
    if (!d) continue;
    const cur = perHost.get(p.host) ?? { cpu: 0, memory: 0, disk: 0, replicas: 0 };
    cur.cpu += d.cpu;
    cur.memory += d.memory;
    cur.disk += d.disk;
    cur.replicas++;
    perHost.set(p.host, cur);
  }
  const hosts: HostCapacity[] = fleet.hosts.map((h) => {
    const u = perHost.get(h.id) ?? { cpu: 0, memory: 0, disk: 0, replicas: 0 };
    return { host: h.id, site: h.site, role: h.role, replicas: u.replicas, cpu: amount(h.cpu, headroom, u.cpu), memory: amount(h.memory, headroom, u.memory), disk: amount(h.disk, headroom, u.disk) };
  });
  hosts.sort((a, b) => naturalCompare(a.host, b.host));
  const zero = { total: 0, usable: 0, allocated: 0, free: 0 };
  // Witness sites run no apps: no capacity, nothing to lose.
  const sites: SiteCapacity[] = fleet.sites.filter((s) => !s.witness).sort((a, b) => naturalCompare(a.id, b.id)).map((s) => {
    // Only hosts that run apps count towards app capacity.
    const mine = hosts.filter((h) => h.site === s.id && (h.role === 'app' || h.role === 'data'));
    return {
      site: s.id,
      hosts: mine.length,
      replicas: mine.reduce((n, h) => n + h.replicas, 0),
      cpu: mine.reduce((n, h) => add(n, h.cpu), zero),
      memory: mine.reduce((n, h) => add(n, h.memory), zero),
      disk: mine.reduce((n, h) => add(n, h.disk), zero),
    };
  });
  const report: CapacityReport = { sites, hosts, siteLoss: [] };
  if (options.siteLoss !== false && sites.length > 1) {
    const bySize = [...sites].sort((a, b) => b.memory.allocated - a.memory.allocated || naturalCompare(a.site, b.site));
    report.largestSite = bySize[0]!.site;
    // N+1 asks whether there is room: while a site is down, a lost replica may run beside its
    // siblings (on another host), since the spread level may have no free domain left.
    // The headroom is there for exactly this: a failover may use it.
    const relaxed: Fleet = {
      ...fleet,
      policies: { ...fleet.policies, capacityHeadroom: 0 },
      apps: fleet.apps.map((a) => ({ ...a, redundancy: { ...a.redundancy, spreadOver: 'host' } })),
    };
    for (const s of bySize) {
      const gone = new Set(fleet.hosts.filter((h) => h.site === s.site).map((h) => h.id));
      const kept = placements.filter((p) => !gone.has(p.host));
      const again = schedule(relaxed, { previous: kept, excludeHosts: gone });
      report.siteLoss.push({ site: s.site, replicas: placements.length - kept.length, covered: again.unplaced.length === 0, unplaced: again.unplaced });
    }
  }
  return report;
}
