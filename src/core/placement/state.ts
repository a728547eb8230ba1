/**
 * The mutable state of one scheduling run: what every host has left, and how much weighted
 * customer share every failure group would take down. Created per run, never shared.
 */
import { APP_HOST_ROLES } from '../fleet/eligibility.js';
import type { App, Fleet } from '../fleet/model.js';
import { buildGroups, type GroupIndex } from '../risk/groups.js';
import { IndexedMinHeap } from '../util/heap.js';

export interface Demand {
  cpu: number;
  memory: number;
  disk: number;
}

/** What one replica of an app needs: its resources plus its volumes on disk. */
export function replicaDemand(app: App): Demand {
  return { cpu: app.resources.cpu, memory: app.resources.memory, disk: app.resources.disk + app.volumes.reduce((n, v) => n + v.size, 0) };
}

const NO_DEMAND: Demand = { cpu: 0, memory: 0, disk: 0 };

function share(amount: number, limit: number): number {
  return limit > 0 ? amount / limit : amount > 0 ? Infinity : 0;
}

export class ScheduleState {
  readonly groups: GroupIndex;
  /** Usable capacity of each host after the policy headroom. */
  readonly limit: Demand[];
  readonly used: Demand[];
  readonly hostIndex: Map<string, number>;
  /** App-capable hosts of each site, by runtime. */
  readonly siteHosts: Map<string, Map<string, number[]>>;
  readonly weight: Map<string, number>;
  /** Preferred site of each customer that has one. */
  readonly home: Map<string, string>;
  readonly totalWeight: number;
  /** Weighted customers each group would take down, by group index. */
  readonly share: Float64Array;
  /**
   * Groups with exactly the same hosts fail identically (a site that is alone in its country
   * and facility): the risk cost counts each such class once, by its first group.
   */
  readonly classOf: Int32Array;
  /** Groups that take down at least one app of a customer. */
  readonly customerGroups = new Map<string, Set<number>>();
  /** App-capable hosts of each site and runtime, least utilised first. */
  private readonly heaps = new Map<string, IndexedMinHeap>();

  constructor(
    readonly fleet: Fleet,
    excluded: ReadonlySet<string> = new Set(),
  ) {
    this.groups = buildGroups(fleet);
    const keep = 1 - fleet.policies.capacityHeadroom;
    this.limit = fleet.hosts.map((h) => (excluded.has(h.id) ? { cpu: 0, memory: 0, disk: 0 } : { cpu: h.cpu * keep, memory: h.memory * keep, disk: h.disk * keep }));
    this.used = fleet.hosts.map(() => ({ cpu: 0, memory: 0, disk: 0 }));
    this.hostIndex = new Map(fleet.hosts.map((h, i) => [h.id, i]));
    this.siteHosts = new Map();
    fleet.hosts.forEach((h, i) => {
      if (excluded.has(h.id) || !APP_HOST_ROLES.includes(h.role)) return;
      const byRuntime = this.siteHosts.get(h.site) ?? new Map<string, number[]>();
      const list = byRuntime.get(h.runtime) ?? [];
      list.push(i);
      byRuntime.set(h.runtime, list);
      this.siteHosts.set(h.site, byRuntime);
    });
    for (const [site, byRuntime] of this.siteHosts) {
      for (const [runtime, hosts] of byRuntime) {
        const heap = new IndexedMinHeap(fleet.hosts.length);
        for (const h of hosts) heap.set(h, 0);
        this.heaps.set(`${site}\u0000${runtime}`, heap);
      }
    }
    this.weight = new Map(fleet.customers.map((c) => [c.id, c.weight]));
    this.home = new Map(fleet.customers.flatMap((c) => (c.home ? [[c.id, c.home] as const] : [])));
    this.totalWeight = fleet.customers.reduce((n, c) => n + c.weight, 0) || 1;
    this.share = new Float64Array(this.groups.groups.length);
    this.classOf = new Int32Array(this.groups.groups.length);
    const seen = new Map<string, number>();
    this.groups.groups.forEach((g, i) => {
      const key = g.hosts.join(',');
      const first = seen.get(key);
      if (first === undefined) seen.set(key, i);
      this.classOf[i] = first ?? i;
    });
  }

  fits(host: number, d: Demand): boolean {
    const u = this.used[host]!;
    const l = this.limit[host]!;
    // A small epsilon keeps float sums of fractional cpu from refusing an exact fit.
    return u.cpu + d.cpu <= l.cpu + 1e-9 && u.memory + d.memory <= l.memory && u.disk + d.disk <= l.disk;
  }

  /**
   * Highest used share of cpu, memory or disk after adding `d` (0 = empty, 1 = full).
   * Hot path of the scheduler: plain arithmetic, no closures.
   */
  utilisation(host: number, d: Demand = NO_DEMAND): number {
    const u = this.used[host]!;
    const l = this.limit[host]!;
    const cpu = share(u.cpu + d.cpu, l.cpu);
    const memory = share(u.memory + d.memory, l.memory);
    const disk = share(u.disk + d.disk, l.disk);
    return cpu > memory ? (cpu > disk ? cpu : disk) : memory > disk ? memory : disk;
  }

  take(host: number, d: Demand): void {
    const u = this.used[host]!;
    u.cpu += d.cpu;
    u.memory += d.memory;
    u.disk += d.disk;
    this.rekey(host);
  }

  private rekey(host: number): void {
    const h = this.fleet.hosts[host]!;
    const heap = this.heaps.get(`${h.site}\u0000${h.runtime}`);
    if (heap?.has(host)) heap.set(host, this.utilisation(host));
  }

  /**
   * The least utilised host of a site and runtime that `accept`s and fits `d`, looking at no
   * more than `budget` hosts (least utilised first): -1 when none of those does. Fast, but a
   * fitting host further down may be missed; `pickExact` scans them all.
   */
  pickFast(site: string, runtime: string, d: Demand, accept: (host: number) => boolean, budget = 48): number {
    const heap = this.heaps.get(`${site}\u0000${runtime}`);
    if (!heap) return -1;
    const popped: number[] = [];
    let found = -1;
    while (popped.length < budget) {
      const h = heap.pop();
      if (h === undefined) break;
      popped.push(h);
      if (accept(h) && this.fits(h, d)) {
        found = h;
        break;
      }
    }
    for (const h of popped) heap.set(h, this.utilisation(h));
    return found;
  }

  /** Like pickFast, but looks at every host: the least utilised after adding `d`. */
  pickExact(hosts: readonly number[], d: Demand, accept: (host: number) => boolean): number {
    let best = -1;
    let bestScore = Infinity;
    for (const h of hosts) {
      if (!accept(h) || !this.fits(h, d)) continue;
      const score = this.utilisation(h, d);
      if (score < bestScore) {
        best = h;
        bestScore = score;
      }
    }
    return best;
  }

  /** Records that `groups` take down an app of `customer` (adds the customer once per group). */
  expose(customer: string, groups: readonly number[]): void {
    const set = this.customerGroups.get(customer) ?? new Set<number>();
    const w = this.weight.get(customer) ?? 1;
    for (const g of groups) {
      if (set.has(g)) continue;
      set.add(g);
      this.share[g]! += w;
    }
    this.customerGroups.set(customer, set);
  }

  /**
   * Risk cost of letting `groups` newly take down an app of `customer`: a barrier that grows
   * as each failure class nears the policy limit (sum of w / (limit - share) over the classes
   * newly exposed), Infinity past the limit. Summing rather than taking the maximum makes a
   * site that several failures share (a site in another provider's facility) cost more than
   * one only a single failure reaches, long before any share is close to the limit.
   */
  riskCost(customer: string, groups: readonly number[], limitShare: number): number {
    const set = this.customerGroups.get(customer);
    const w = this.weight.get(customer) ?? 1;
    const limit = limitShare * this.totalWeight;
    let cost = 0;
    // A host or site is in a handful of groups: a linear scan of the classes seen is cheapest.
    const counted: number[] = [];
    for (const g of groups) {
      if (set?.has(g)) continue;
      const c = this.classOf[g]!;
      if (counted.includes(c)) continue;
      counted.push(c);
      const room = limit - this.share[g]! - w;
      if (room < -1e-9) return Infinity;
      cost += w / (room + w);
    }
    return cost;
  }
}
