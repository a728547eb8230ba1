/**
 * What the controller says of standby apps (pure): per app its term and writer, and per
 * standby how fresh its copy of the writer's data is (its lag, which is the data a failover now
 * would lose: the app's RPO); and the alerts: a standby behind its RPO, a failover that cannot
 * happen, a cut-off writer's data kept aside.
 */
import type { Alert } from '../alerting/alerts.js';
import type { Fleet } from '../fleet/model.js';
import type { Placement } from '../placement/types.js';
import { replicaOf, unitName } from '../render/names.js';
import { groupBy } from '../util/group.js';
import type { FencedReport, MoveAgentReport } from '../report/host-report.js';
import { copyId } from './replication.js';
import type { AppRole, StandbyCopy } from './roles.js';

export interface StandbyReplicaView {
  unit: string;
  host: string;
  site: string;
  /** When its newest complete copy of this term's writer began (null: none yet). */
  copiedAt: string | null;
  /** Seconds between then and now: what a failover now would lose. */
  lagSeconds: number | null;
  /** current: within the RPO; behind: older; copying: the first copy under way; failed: the last copy failed; none: nothing reported yet. */
  state: 'current' | 'behind' | 'copying' | 'failed' | 'none';
  error?: string;
}

export interface StandbyAppView {
  app: string;
  customer: string;
  critical: boolean;
  term: number;
  /** The writer; for a PostgreSQL app with where its clients connect (its host's address and the app's port). */
  active: { unit: string; host: string; site: string; address?: string; port?: number } | null;
  switching?: { to: string; startedAt: string };
  /** How standbys keep close: file copies every `everySeconds`, or PostgreSQL's streaming (synchronous: a commit waits for a standby). */
  replication: 'files' | 'streaming' | 'synchronous';
  everySeconds: number;
  rpoSeconds: number;
  standbys: StandbyReplicaView[];
}

/** Each standby app as its writer and its standbys' reports show it now. */
export function standbyViews(fleet: Pick<Fleet, 'apps'>, placements: readonly Placement[], roles: ReadonlyMap<string, AppRole>, reportOf: (host: string) => MoveAgentReport | undefined, nowMs: number): StandbyAppView[] {
  const out: StandbyAppView[] = [];
  if (roles.size === 0) return out;
  const byApp = groupBy(placements, (p) => p.app);
  for (const app of fleet.apps) {
    const role = roles.get(app.id);
    if (!role) continue;
    const placed = [...(byApp.get(app.id) ?? [])].sort((a, b) => a.replica - b.replica);
    const writer = placed.find((p) => p.replica === role.active);
    const rpoSeconds = Math.round(app.redundancy.rpoMs / 1000);
    const standbys = placed
      .filter((p) => p !== writer)
      .map((p): StandbyReplicaView => {
        const unit = unitName(app.id, p.replica);
        const seen = reportOf(p.host)?.copies.find((c) => c.id === copyId(app.id, role.term) && c.unit === unit);
        const copiedAt = seen?.copiedAt ?? null;
        const lagSeconds = copiedAt ? Math.max(0, Math.round((nowMs - Date.parse(copiedAt)) / 1000)) : null;
        const state = seen?.state === 'failed' ? 'failed' : lagSeconds !== null ? (lagSeconds > rpoSeconds ? 'behind' : 'current') : seen ? 'copying' : 'none';
        return { unit, host: p.host, site: p.site, copiedAt, lagSeconds, state, ...(seen?.state === 'failed' && seen.error ? { error: seen.error } : {}) };
      });
    out.push({
      app: app.id,
      customer: app.customer,
      critical: app.criticality === 'critical',
      term: role.term,
      active: writer ? { unit: unitName(app.id, writer.replica), host: writer.host, site: writer.site, ...(role.postgres?.primary ? { address: role.postgres.primary.address, port: role.postgres.primary.port } : {}) } : null,
      ...(role.switching ? { switching: { to: unitName(app.id, role.switching.to), startedAt: role.switching.startedAt } } : {}),
      replication: !app.workload.postgres ? 'files' : app.criticality === 'critical' ? 'synchronous' : 'streaming',
      everySeconds: Math.round(app.redundancy.replicateEveryMs / 1000),
      rpoSeconds,
      standbys,
    });
  }
  return out;
}

/** The standbys of one app as failover candidates. */
export function candidates(view: StandbyAppView): StandbyCopy[] {
  return view.standbys.map((s) => ({ replica: replicaOf(s.unit), site: s.site, ...(s.copiedAt ? { copiedAt: Date.parse(s.copiedAt) } : {}) }));
}

/**
 * Alerts: `standby-lag:<unit>` (its copy is older than the app's RPO, or its copies fail),
 * `standby-failover:<app>` (the writer's site is lost and no standby can take over: `blocked`
 * says why), `standby-fenced:<host>:<unit>:t<term>` (a cut-off writer's data kept aside).
 * Critical for critical apps, warning otherwise; grouped per customer.
 */
export function standbyAlerts(views: readonly StandbyAppView[], blocked: ReadonlyMap<string, { reason: string; since: string }>, fenced: readonly { host: string; fenced: FencedReport }[], customerOf: (app: string) => string | undefined, nowIso: string): Alert[] {
  const out: Alert[] = [];
  for (const v of views) {
    const severity = v.critical ? 'critical' : 'warning';
    const labels = { customer: v.customer, app: v.app };
    for (const s of v.standbys) {
      if (s.state !== 'behind' && s.state !== 'failed') continue;
      const summary = s.state === 'failed' ? `standby ${s.unit} on ${s.host} cannot copy ${v.app}'s data: ${s.error ?? 'the copy failed'}` : `standby ${s.unit} on ${s.host} is ${s.lagSeconds} s behind the writer of ${v.app} (RPO ${v.rpoSeconds} s): a failover now would lose that much`;
      out.push({ key: `standby-lag:${s.unit}`, severity, group: `customer:${v.customer}`, summary, labels: { ...labels, site: s.site, host: s.host }, since: s.copiedAt ?? nowIso });
    }
    const b = blocked.get(v.app);
    if (b) out.push({ key: `standby-failover:${v.app}`, severity: 'critical', group: `customer:${v.customer}`, summary: `${v.app} cannot fail over: ${b.reason}`, labels, since: b.since });
  }
  for (const { host, fenced: f } of fenced) {
    const customer = customerOf(f.app);
    out.push({
      key: `standby-fenced:${host}:${f.unit}:t${f.term}`,
      severity: 'warning',
      group: customer ? `customer:${customer}` : `host:${host}`,
      summary: `${f.unit} on ${host} was cut off while it wrote (term ${f.term}) and its app failed over: what it wrote is kept aside at ${host}:${f.path}, not merged. Compare it with the new writer's data, take over what is missing by hand, then remove the directory`,
      labels: { ...(customer ? { customer } : {}), app: f.app, host },
      since: f.at,
    });
  }
  return out;
}
