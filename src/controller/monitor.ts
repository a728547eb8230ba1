/**
 * The controller's side of monitoring: every site's probe results go into per-site views
 * (core/monitor/quorum.ts), and from all views the state of each check, the sites that are
 * lost, and the probers that fell silent (a dead-man check: a site whose probes stop
 * arriving is itself a fault). Every change of state is an event in the store, which the
 * alerting reads.
 *
 * States live in memory: after a restart they are rebuilt from the next round of results
 * (one check interval), and until then checks are "unknown", never falsely "up".
 */
import type { Check } from '../core/monitor/checks.js';
import { lostSites, nextView, verdict, type CheckStateName, type SiteView, type Verdict } from '../core/monitor/quorum.js';
import { monitorEvents, type MonitorSnapshot } from '../core/monitor/events.js';
import type { CheckStatus, HostHeartbeat, SiteStatus } from '../core/monitor/status.js';
import type { EventRecord, Store } from './store/store.js';

export interface ProbeResultInput {
  check: string;
  ok: boolean;
  /** When the probe started (ISO 8601). */
  at: string;
  ms: number;
  error?: string;
}

/** A host whose agent has not reported for this long (four heartbeats of 5 s) is down. */
export const HEARTBEAT_DOWN_MS = 20_000;

/** A prober that has not delivered for this long is silent. */
export const PROBER_SILENT_MS = 30_000;

/** A site view older than this does not count: three missed rounds and a margin. */
export function staleAfter(c: Pick<Check, 'intervalMs'>): number {
  return 3 * c.intervalMs + 5_000;
}

export class Monitor {
  private checks = new Map<string, Check>();
  private readonly views = new Map<string, Map<string, SiteView>>();
  private readonly states = new Map<string, { verdict: Verdict; since: number }>();
  private readonly probesAt = new Map<string, number>();
  private lost = new Map<string, string[]>();
  /** Sites whose probers are silent, with when they last delivered (ms). */
  private silent = new Map<string, number>();
  private pending: Omit<EventRecord, 'id'>[] = [];
  private hostReports: { host: string; site: string; reportedAt: string | null }[] = [];
  private hostStates = new Map<string, HostHeartbeat>();

  constructor(
    private readonly store: Store,
    private readonly now: () => Date = () => new Date(),
    /** Called when a site is declared lost or back (the route table changes with it). */
    private readonly sitesChanged: () => void = () => {},
  ) {}

  /** The state of one check by quorum; undefined before its first evaluation. */
  stateOf(id: string): CheckStateName | undefined {
    return this.states.get(id)?.verdict.state;
  }

  /** Sites declared lost, sorted. */
  lostSites(): string[] {
    return [...this.lost.keys()].sort();
  }

  /** How many sites the fleet has: the quorum needs two of them (one in a fleet of one). */
  private siteCount = 1;

  /** Replaces the checks (a new revision or address); views of checks that remain are kept. */
  setChecks(checks: readonly Check[], sites: number): void {
    this.siteCount = sites;
    this.checks = new Map(checks.map((c) => [c.id, c]));
    for (const id of [...this.views.keys()]) if (!this.checks.has(id)) this.views.delete(id);
    for (const id of [...this.states.keys()]) if (!this.checks.has(id)) this.states.delete(id);
  }

  /** The hosts of the fleet and when each one's agent last reported. */
  setHosts(hosts: { host: string; site: string; reportedAt: string | null }[]): void {
    this.hostReports = hosts;
  }

  /** Each host's heartbeat state, by host. */
  hosts(): HostHeartbeat[] {
    return [...this.hostStates.values()].sort((a, b) => (a.host < b.host ? -1 : 1));
  }

  /** Results from the probers of `site`; results of checks that no longer exist are dropped. */
  record(site: string, results: readonly ProbeResultInput[]): void {
    const t = this.now().getTime();
    this.probesAt.set(site, t);
    for (const r of results) {
      const check = this.checks.get(r.check);
      if (!check) continue;
      let views = this.views.get(r.check);
      if (!views) this.views.set(r.check, (views = new Map()));
      const at = Date.parse(r.at);
      const before = views.get(site);
      // Results can arrive out of order (a batch held back while the controller was away).
      if (before && at < before.at) continue;
      views.set(site, nextView(before, { ok: r.ok, at, ms: r.ms, ...(r.error !== undefined ? { error: r.error } : {}) }, check));
    }
  }

  /**
   * Recomputes every state at the current time, queues an event for each change, and writes
   * the queued events to the store. Runs after each batch of results and once a second.
   */
  async evaluate(): Promise<void> {
    const t = this.now().getTime();
    const verdicts = new Map<string, Verdict>();
    for (const [id, check] of this.checks) verdicts.set(id, verdict(this.views.get(id) ?? new Map(), t, staleAfter(check), this.siteCount));
    // A site is lost when every replica there is down as two other sites see it. Its replicas'
    // own checks decide, not the extra ones: a TCP port still accepts connections (the kernel
    // answers) when everything above it hangs. A site with only extra checks uses those.
    const checksAt = new Map<string, string[]>();
    const extraAt = new Map<string, string[]>();
    let stale = 0;
    for (const c of this.checks.values()) {
      if (c.via !== 'direct' || !c.site) continue;
      const into = c.id.startsWith('replica:') ? checksAt : extraAt;
      into.set(c.site, [...(into.get(c.site) ?? []), c.id]);
      stale = Math.max(stale, staleAfter(c));
    }
    for (const [site, ids] of extraAt) if (!checksAt.has(site)) checksAt.set(site, ids);
    const lost = lostSites(checksAt, this.views, t, stale);
    const hostStates = new Map<string, HostHeartbeat>();
    for (const h of this.hostReports) {
      const state = h.reportedAt === null ? 'unknown' : t - Date.parse(h.reportedAt) > HEARTBEAT_DOWN_MS ? 'down' : 'up';
      hostStates.set(h.host, { host: h.host, site: h.site, state, lastReport: h.reportedAt });
    }
    const silent = new Map([...this.probesAt].filter(([, last]) => t - last > PROBER_SILENT_MS));
    // What changed since the last evaluation is computed in core (core/monitor/events.ts).
    const before: MonitorSnapshot = { verdicts: new Map([...this.states].map(([id, s]) => [id, s.verdict])), lost: this.lost, hosts: this.hostStates, silent: this.silent };
    this.pending.push(...monitorEvents(before, { verdicts, lost, hosts: hostStates, silent }, this.checks, t));
    for (const [id, v] of verdicts) {
      const was = this.states.get(id);
      if (was?.verdict.state === v.state) was.verdict = v;
      else this.states.set(id, { verdict: v, since: t });
    }
    const changed = lost.size !== this.lost.size || [...lost.keys()].some((s) => !this.lost.has(s));
    this.lost = lost;
    if (changed) this.sitesChanged();
    this.hostStates = hostStates;
    this.silent = silent;
    if (this.pending.length) {
      const events = this.pending;
      this.pending = [];
      try {
        await this.store.addEvents(events);
      } catch (err) {
        this.pending = [...events, ...this.pending];
        throw err;
      }
    }
  }

  /** Every check with its state and each site's view, sorted by id. */
  status(): CheckStatus[] {
    const out: CheckStatus[] = [];
    for (const [id, c] of [...this.checks].sort(([a], [b]) => (a < b ? -1 : 1))) {
      const s = this.states.get(id);
      const views: CheckStatus['views'] = {};
      for (const [site, v] of [...(this.views.get(id) ?? [])].sort(([a], [b]) => (a < b ? -1 : 1))) {
        views[site] = { up: v.up ?? null, fails: v.fails, at: new Date(v.at).toISOString(), ms: Math.round(v.ms * 10) / 10, ...(v.error !== undefined ? { error: v.error } : {}) };
      }
      const v = s?.verdict ?? { state: 'unknown' as CheckStateName, downFrom: [], upFrom: [], reason: 'not evaluated yet' };
      out.push({
        id,
        kind: c.kind,
        title: c.title,
        app: c.app,
        customer: c.customer,
        critical: c.critical,
        ...(c.site ? { site: c.site } : {}),
        ...(c.host ? { host: c.host } : {}),
        ...v,
        since: new Date(s?.since ?? this.now().getTime()).toISOString(),
        views,
      });
    }
    return out;
  }

  /** Each site that has checks or probers: lost or up, and whether its probers report. */
  sites(): SiteStatus[] {
    const names = new Set<string>([...this.probesAt.keys()]);
    for (const c of this.checks.values()) if (c.site) names.add(c.site);
    return [...names].sort().map((site) => ({
      site,
      state: this.lost.has(site) ? 'lost' : 'up',
      seenBy: this.lost.get(site) ?? [],
      probesAt: this.probesAt.has(site) ? new Date(this.probesAt.get(site)!).toISOString() : null,
      probers: !this.probesAt.has(site) ? 'none' : this.silent.has(site) ? 'silent' : 'reporting',
    }));
  }
}
