/**
 * Room at the target site during a wave plan (pure, one instance per plan): what every host
 * has in use, less the policy headroom. A moving replica takes its room at the target when its
 * move is planned; it gives its room at the source back only after the wave the move runs in
 * (nobody reuses a freed host on the same night it was freed).
 */
import { domainOf, hostSuits } from '../fleet/eligibility.js';
import type { App, Fleet } from '../fleet/model.js';
import { replicaDemand, type Demand } from '../placement/state.js';
import type { Placement } from '../placement/types.js';
import { naturalCompare } from '../util/natural-sort.js';

export interface Target {
  replica: number;
  from: string;
  to: string;
}

export class TargetRoom {
  private readonly used = new Map<string, Demand>();
  private readonly releases: { wave: number; host: string; d: Demand }[] = [];
  private readonly sites: Map<string, Fleet['sites'][number]>;

  constructor(
    private readonly fleet: Fleet,
    placements: readonly Placement[],
  ) {
    this.sites = new Map(fleet.sites.map((s) => [s.id, s]));
    const apps = new Map(fleet.apps.map((a) => [a.id, a]));
    for (const p of placements) {
      const app = apps.get(p.app);
      if (app) this.add(p.host, replicaDemand(app), 1);
    }
  }

  private add(host: string, d: Demand, sign: 1 | -1): void {
    const u = this.used.get(host) ?? { cpu: 0, memory: 0, disk: 0 };
    this.used.set(host, { cpu: u.cpu + sign * d.cpu, memory: u.memory + sign * d.memory, disk: u.disk + sign * d.disk });
  }

  /** What a host has in use during wave `wave`: sources of earlier waves given back. */
  private usedIn(host: string, wave: number): Demand {
    const u = { ...(this.used.get(host) ?? { cpu: 0, memory: 0, disk: 0 }) };
    // Commit took a source's room off at once; until its wave is over it is still in use.
    for (const r of this.releases) {
      if (r.host !== host || r.wave < wave) continue;
      u.cpu -= r.d.cpu;
      u.memory -= r.d.memory;
      u.disk -= r.d.disk;
    }
    return u;
  }

  /**
   * Hosts at `to` for the replicas leaving, during wave `wave`: each suits the app, has room,
   * and sits in another failure domain (at the app's spread level) than the replicas that stay
   * and the other targets. The least used host first. A reason when there is none.
   */
  pick(app: App, leaving: readonly { replica: number; host: string }[], staying: readonly Placement[], to: string, wave: number): { targets: Target[] } | { reason: string } {
    const d = replicaDemand(app);
    const keep = 1 - this.fleet.policies.capacityHeadroom;
    const level = app.redundancy.spreadOver;
    const site = this.sites.get(to)!;
    const taken = new Set(staying.map((p) => domainOf({ id: p.host }, this.sites.get(p.site)!, level)));
    const extra = new Map<string, Demand>();
    const targets: Target[] = [];
    let roomless = 0;
    const hosts = this.fleet.hosts.filter((h) => h.site === to && hostSuits(app, h));
    if (hosts.length === 0) return { reason: `${to} has no host that runs ${app.workloadKind} apps${app.placement?.hostLabels ? ' with the labels it asks for' : ''}` };
    for (const r of leaving) {
      let best: { id: string; load: number } | undefined;
      for (const h of hosts) {
        if (taken.has(domainOf(h, site, level))) continue;
        const u = this.usedIn(h.id, wave);
        const x = extra.get(h.id) ?? { cpu: 0, memory: 0, disk: 0 };
        const cpu = u.cpu + x.cpu + d.cpu;
        const memory = u.memory + x.memory + d.memory;
        const disk = u.disk + x.disk + d.disk;
        if (cpu > h.cpu * keep + 1e-9 || memory > h.memory * keep || disk > h.disk * keep) {
          roomless++;
          continue;
        }
        const load = Math.max(cpu / (h.cpu * keep || 1), memory / (h.memory * keep || 1), disk / (h.disk * keep || 1));
        if (!best || load < best.load - 1e-12 || (Math.abs(load - best.load) <= 1e-12 && naturalCompare(h.id, best.id) < 0)) best = { id: h.id, load };
      }
      if (!best) {
        return { reason: roomless > 0 ? `no host at ${to} has room for another replica of ${app.id} (${app.resources.cpu} cpu, ${fmtGiB(app.resources.memory)} memory, ${fmtGiB(d.disk)} disk) in that wave` : `every host at ${to} shares a ${level} with a replica of ${app.id} that stays (it spreads over ${level}s)` };
      }
      targets.push({ replica: r.replica, from: r.host, to: best.id });
      taken.add(domainOf({ id: best.id }, site, level));
      const x = extra.get(best.id) ?? { cpu: 0, memory: 0, disk: 0 };
      extra.set(best.id, { cpu: x.cpu + d.cpu, memory: x.memory + d.memory, disk: x.disk + d.disk });
    }
    return { targets };
  }

  /** Books a planned move: room taken at the targets now, the sources' room given back after `wave`. */
  commit(app: App, targets: readonly Target[], wave: number): void {
    const d = replicaDemand(app);
    for (const t of targets) {
      this.add(t.to, d, 1);
      this.add(t.from, d, -1);
      this.releases.push({ wave, host: t.from, d: { cpu: -d.cpu, memory: -d.memory, disk: -d.disk } });
    }
  }
}

const fmtGiB = (b: number) => `${Math.round((b / 2 ** 30) * 10) / 10} GiB`;
