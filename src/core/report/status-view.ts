/**
 * The fleet's status (GET /v1/status): per site, up, degraded or down (lost: the other sites
 * see every check of it down); per app, desired against running replicas, where a replica counts
 * only when its agent reports it running and healthy, its host still reports, and the sites do
 * not see it down; per host, the last report and its age. A customer's view has its own apps only.
 * Pure: the controller gathers the inputs.
 */
import type { CheckStateName } from '../monitor/quorum.js';
import type { HostHeartbeat, SiteStatus } from '../monitor/status.js';
import type { ProxyView } from '../pull/proxy-views.js';
import type { RevisionView } from '../pull/pull.js';
import type { DesiredUnit, HostDesiredState } from '../render/desired.js';
import type { StandbyAppView } from '../standby/view.js';
import { groupBy } from '../util/group.js';
import type { HostReport, UnitReport } from './host-report.js';

export interface StatusInput {
  rev: Pick<RevisionView, 'revision' | 'fleet' | 'placements' | 'desired'> | undefined;
  /** Each host's last report and when it came. */
  reports: readonly { host: string; reportedAt: string; status: HostReport }[];
  /** Each host's desired state as its agent gets it now (with holds and restarts), by host. */
  desired: ReadonlyMap<string, { hash: string; heldAt?: number; state: Pick<HostDesiredState, 'firewall'> & { units?: readonly DesiredUnit[] } }>;
  /** Standby apps: term, writer and their standbys' copies (core/standby/view.ts). */
  standbys?: readonly StandbyAppView[];
  heartbeats: readonly HostHeartbeat[];
  sites: readonly SiteStatus[];
  /** A check's state by quorum of the sites' probers. */
  checkState(id: string): CheckStateName | undefined;
  proxies: ReadonlyMap<string, ProxyView>;
  nowMs: number;
  /** Only this customer's apps (and no hosts or proxies). */
  customer?: string;
}

export function statusView(i: StatusInput) {
  const { rev, nowMs: t } = i;
  const reports = new Map(i.reports.map((s) => [s.host, s]));
  const heartbeat = new Map(i.heartbeats.map((h) => [h.host, h.state]));
  const hosts = (rev?.fleet.hosts ?? []).map((h) => {
    const r = reports.get(h.id);
    const rep = r?.status;
    const applied = rep?.appliedHash ?? null;
    const want = i.desired.get(h.id);
    const desired = rev ? (want?.hash ?? null) : null;
    return {
      host: h.id,
      site: h.site,
      lastReport: r?.reportedAt ?? null,
      ageSeconds: r ? Math.round((t - Date.parse(r.reportedAt)) / 1000) : null,
      // up, down (silent for four heartbeats) or unknown (never reported, or not evaluated yet).
      state: heartbeat.get(h.id) ?? 'unknown',
      desiredHash: desired,
      appliedHash: applied,
      // When the controller first heard that the host runs its applied hash.
      appliedAt: rep?.appliedAt ?? null,
      // The agent has applied what this host should run (the newest revision, or the one it is held at).
      current: desired !== null && applied === desired,
      // The earlier revision a staged rollout holds the host at (null: it follows the newest).
      heldAt: want?.heldAt ?? null,
      // The ruleset the host should run, and what its agent (--firewall) says of the newest one it got.
      firewall: { desiredHash: want?.state.firewall?.hash ?? null, reported: rep?.agent?.firewall ?? null },
    };
  });
  const byApp = groupBy(rev?.placements ?? [], (p) => p.app);
  const reported = new Map<string, UnitReport>();
  for (const r of reports.values()) for (const u of r.status.units) reported.set(`${r.host}\u0000${u.name}`, u);
  const standbys = new Map((i.standbys ?? []).map((v) => [v.app, { term: v.term, active: v.active?.unit ?? null, ...(v.active?.address ? { writerAddress: `${v.active.address}:${v.active.port}` } : {}), ...(v.switching ? { switching: v.switching } : {}), replication: v.replication, everySeconds: v.everySeconds, rpoSeconds: v.rpoSeconds, standbys: v.standbys }]));
  const apps = (rev?.fleet.apps ?? []).map((a) => {
    const units = (byApp.get(a.id) ?? []).map((p) => {
      const want = rev!.desired.get(p.host)?.units.find((u) => u.app === a.id && u.replica === p.replica);
      // A standby app's unit as its agent gets it: with its role, whose hash differs for a standby.
      const pulled = want && i.desired.get(p.host)?.state.units?.find((u) => u.name === want.name && u.standby);
      const seen = want ? reported.get(`${p.host}\u0000${want.name}`) : undefined;
      // Running means running the desired configuration: an old hash is still converging.
      const state = !seen ? 'unknown' : seen.hash !== (pulled ?? want)?.hash ? 'converging' : seen.state;
      const unit = want?.name ?? `${a.id}-r${p.replica}`;
      return {
        unit,
        host: p.host,
        site: p.site,
        state,
        ...(pulled ? { role: pulled.standby!.role } : {}),
        ...(seen?.healthy !== undefined ? { healthy: seen.healthy } : {}),
        // The replica's check by quorum of the sites' probers.
        check: i.checkState(`replica:${unit}`) ?? 'unknown',
        hostUp: heartbeat.get(p.host) !== 'down',
        restarts: seen?.restarts ?? 0,
        ...(seen?.lastError ? { lastError: seen.lastError } : {}),
      };
    });
    // A replica counts as running when it runs the desired configuration and passes its health
    // check (if any), its host reports, and the sites' probers do not see it down.
    // A standby waiting stopped with its copy counts as well: it is what it should be.
    const ok = (u: { state: string; healthy?: boolean; check: string; hostUp: boolean }) => ((u.state === 'running' && u.healthy !== false && u.check !== 'down') || u.state === 'standby') && u.hostUp;
    const standby = standbys.get(a.id);
    return { app: a.id, customer: a.customer, critical: a.criticality === 'critical', domains: a.domains, desired: a.redundancy.replicas, running: units.filter(ok).length, units, ...(standby ? { standby } : {}) };
  });
  const proxies = [...i.proxies].map(([host, v]) => ({ host, ...v, ageSeconds: Math.round((t - Date.parse(v.reportedAt)) / 1000) })).sort((a, b) => (a.host < b.host ? -1 : 1));
  const monitored = new Map(i.sites.map((s) => [s.site, s]));
  const sites = (rev?.fleet.sites ?? []).map((s) => {
    const m = monitored.get(s.id);
    const own = hosts.filter((h) => h.site === s.id);
    const replicasDown = apps.flatMap((a) => a.units).filter((u) => u.site === s.id && u.check === 'down').length;
    const hostsUp = own.filter((h) => h.state === 'up').length;
    const down = m?.state === 'lost';
    const degraded = !down && (hostsUp < own.length || replicasDown > 0 || m?.probers === 'silent');
    return {
      site: s.id,
      name: s.name ?? s.id,
      country: s.country,
      provider: s.provider,
      facility: s.facility,
      /** A witness site: its probers count in the quorum; it runs no apps. */
      witness: s.witness,
      state: down ? 'down' : degraded ? 'degraded' : 'up',
      // Down means lost: at least two other sites see every check of this site down.
      seenDownBy: m?.seenBy ?? [],
      hosts: own.length,
      hostsUp,
      replicasDown,
      probers: m?.probers ?? 'none',
    };
  });
  // A customer's view has its own apps and the sites' states, not the fleet's hosts and proxies:
  // its replicas say at which site they run, not on which host (host names left empty).
  if (i.customer !== undefined) {
    const own = apps
      .filter((a) => a.customer === i.customer)
      .map((a) => ({ ...a, units: a.units.map((u) => ({ ...u, host: '' })), ...(a.standby ? { standby: { ...a.standby, standbys: a.standby.standbys.map((s) => ({ ...s, host: '' })) } } : {}) }));
    return { revision: rev?.revision ?? null, sites, apps: own, hosts: [], proxies: [] };
  }
  return { revision: rev?.revision ?? null, sites, apps, hosts, proxies };
}

export type StatusView = ReturnType<typeof statusView>;
