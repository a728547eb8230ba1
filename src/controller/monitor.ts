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
  private silent = new Set<string>();
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
    const at = new Date(t).toISOString();
    for (const [id, check] of this.checks) {
      const v = verdict(this.views.get(id) ?? new Map(), t, staleAfter(check), this.siteCount);
      const before = this.states.get(id);
      if (before?.verdict.state === v.state) {
        before.verdict = v;
        continue;
      }
      this.states.set(id, { verdict: v, since: t });
      // The first verdict of a check that is up is not news.
      if (before || v.state !== 'up') {
        this.pending.push({ at, kind: 'check', subject: id, state: v.state, message: `${check.title}: ${v.state} (${v.reason})`, data: { app: check.app, customer: check.customer, site: check.site, downFrom: v.downFrom, upFrom: v.upFrom, was: before?.verdict.state ?? null } });
      }
    }
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
    for (const [site, seenBy] of lost) {
      if (!this.lost.has(site)) this.pending.push({ at, kind: 'site', subject: site, state: 'lost', message: `site ${site} is lost: every check of it is down as seen from ${seenBy.join(' and ')}`, data: { seenBy } });
    }
    for (const site of this.lost.keys()) {
      if (!lost.has(site)) this.pending.push({ at, kind: 'site', subject: site, state: 'up', message: `site ${site} is back: its checks answer again` });
    }
    const changed = lost.size !== this.lost.size || [...lost.keys()].some((s) => !this.lost.has(s));
    this.lost = lost;
    if (changed) this.sitesChanged();
    const hostStates = new Map<string, HostHeartbeat>();
    for (const h of this.hostReports) {
      const state = h.reportedAt === null ? 'unknown' : t - Date.parse(h.reportedAt) > HEARTBEAT_DOWN_MS ? 'down' : 'up';
      hostStates.set(h.host, { host: h.host, site: h.site, state, lastReport: h.reportedAt });
      const was = this.hostStates.get(h.host)?.state;
      if (was !== undefined && was !== state && state !== 'unknown') {
        this.pending.push({ at, kind: 'host', subject: h.host, state, message: state === 'down' ? `host ${h.host} (${h.site}) has not reported since ${h.reportedAt}` : `host ${h.host} (${h.site}) reports again` });
      }
    }
    this.hostStates = hostStates;
    const silent = new Set([...this.probesAt].filter(([, last]) => t - last > PROBER_SILENT_MS).map(([site]) => site));
    for (const site of silent) {
      if (!this.silent.has(site)) this.pending.push({ at, kind: 'prober', subject: site, state: 'silent', message: `no probe results from site ${site} for ${Math.round((t - this.probesAt.get(site)!) / 1000)} s` });
    }
    for (const site of this.silent) {
      if (!silent.has(site)) this.pending.push({ at, kind: 'prober', subject: site, state: 'reporting', message: `probe results from site ${site} arrive again` });
    }
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
