/**
 * From monitoring states to alerts (pure): which alerts fire, how severe, in which group,
 * which are inhibited by a bigger one that explains them, and which are silenced.
 *
 * Rules:
 * - a check down: critical when the app is critical or the check is a visitor's path (a
 *   domain through the proxies); warning for one replica (the others still serve);
 * - a TLS certificate failing its check: warning;
 * - a check degraded (seen down from one site only): info, grouped by the site that sees it,
 *   since one network path problem degrades many checks at once;
 * - a site lost: critical; a site whose probers fell silent, a host whose agent stopped
 *   reporting: warning.
 * Grouping: check alerts per customer, site and prober alerts per site, so a site loss is
 * one notification, not one per app. Inhibition: a lost site mutes the alerts it explains
 * (checks of replicas there, apps whose every replica is there, its silent probers, paths seen
 * only from there); a host that stopped reporting mutes the alerts about it (its backups).
 * Alerts from elsewhere (backups: core/alerting/backups.ts) come in as `extra`.
 */
import type { CheckStatus, HostHeartbeat, SiteStatus } from '../monitor/status.js';
import type { Severity } from '../fleet/schema/alerting.js';

export interface Alert {
  /** Stable identity: "check:replica:shop-r1", "site:hel", "prober:hel". */
  key: string;
  severity: Severity;
  /** Group it is notified in: "customer:huber", "site:hel", "path:hel". */
  group: string;
  summary: string;
  /** `host`: the host an alert is about (not a silence matcher; a host that stopped reporting explains it). */
  labels: { customer?: string; app?: string; site?: string; check?: string; host?: string };
  /** When its condition began (ISO 8601). */
  since: string;
}

export interface AlertView extends Alert {
  /** Muted by the alert that explains it (its key). */
  inhibitedBy?: string;
  /** Muted by a silence (its id). */
  silencedBy?: string;
}

export interface Silence {
  id: string;
  /** Every given label must match; at least one is given. */
  matchers: { customer?: string; app?: string; site?: string; check?: string };
  startsAt: string;
  endsAt: string;
  comment: string;
  createdBy: string;
}

const RANK: Record<Severity, number> = { info: 0, warning: 1, critical: 2 };

export function atLeast(s: Severity, min: Severity): boolean {
  return RANK[s] >= RANK[min];
}

export function maxSeverity(list: readonly Severity[]): Severity {
  return list.reduce<Severity>((m, s) => (RANK[s] > RANK[m] ? s : m), 'info');
}

/** The alerts that fire for these states, each marked when inhibited or silenced. */
export function deriveAlerts(checks: readonly CheckStatus[], sites: readonly SiteStatus[], silences: readonly Silence[], now: Date, hosts: readonly HostHeartbeat[] = [], extra: readonly Alert[] = []): AlertView[] {
  const alerts: Alert[] = [...extra];
  const lost = new Set(sites.filter((s) => s.state === 'lost').map((s) => s.site));
  for (const c of checks) {
    const labels = { customer: c.customer, app: c.app, check: c.id, ...(c.site ? { site: c.site } : {}) };
    if (c.state === 'down') {
      const severity: Severity = c.kind === 'tls' ? 'warning' : c.critical || !c.site ? 'critical' : 'warning';
      alerts.push({ key: `check:${c.id}`, severity, group: `customer:${c.customer}`, summary: `${c.title} is down (${c.reason})`, labels, since: c.since });
    } else if (c.state === 'degraded') {
      alerts.push({ key: `check:${c.id}`, severity: 'info', group: `path:${c.downFrom.join('+')}`, summary: `${c.title}: ${c.reason}`, labels, since: c.since });
    }
  }
  for (const s of sites) {
    if (s.state === 'lost') {
      alerts.push({ key: `site:${s.site}`, severity: 'critical', group: `site:${s.site}`, summary: `site ${s.site} is lost: every check of it is down as seen from ${s.seenBy.join(' and ')}`, labels: { site: s.site }, since: now.toISOString() });
    }
    if (s.probers === 'silent') {
      alerts.push({ key: `prober:${s.site}`, severity: 'warning', group: `site:${s.site}`, summary: `no probe results from site ${s.site} since ${s.probesAt}`, labels: { site: s.site }, since: s.probesAt ?? now.toISOString() });
    }
  }
  for (const h of hosts) {
    if (h.state === 'down') alerts.push({ key: `host:${h.host}`, severity: 'warning', group: `site:${h.site}`, summary: `host ${h.host} has not reported since ${h.lastReport}`, labels: { site: h.site }, since: h.lastReport ?? now.toISOString() });
  }
  // Apps whose every replica is at a lost site: their visitors' checks are explained too.
  const replicaSites = new Map<string, Set<string>>();
  for (const c of checks) if (c.site) replicaSites.set(c.app, (replicaSites.get(c.app) ?? new Set()).add(c.site));
  const silentHosts = new Set(hosts.filter((h) => h.state === 'down').map((h) => h.host));
  const explainedBy = (a: Alert): string | undefined => {
    if (a.key.startsWith('site:')) return undefined;
    const site = a.labels.site;
    if (site && lost.has(site)) return `site:${site}`;
    if (a.labels.host && silentHosts.has(a.labels.host)) return `host:${a.labels.host}`;
    const at = a.labels.app ? replicaSites.get(a.labels.app) : undefined;
    if (a.key.startsWith('check:') && at && at.size > 0 && [...at].every((s) => lost.has(s))) return `site:${[...at][0]}`;
    const path = a.group.startsWith('path:') ? a.group.slice(5).split('+') : [];
    if (path.length && path.every((s) => lost.has(s))) return `site:${path[0]}`;
    return undefined;
  };
  const t = now.getTime();
  const active = silences.filter((s) => Date.parse(s.startsAt) <= t && t < Date.parse(s.endsAt));
  return alerts
    .map((a) => {
      const inhibitedBy = explainedBy(a);
      const silence = active.find((s) => matches(s, a));
      return { ...a, ...(inhibitedBy ? { inhibitedBy } : {}), ...(silence ? { silencedBy: silence.id } : {}) };
    })
    .sort((x, y) => (x.key < y.key ? -1 : 1));
}

/** Every matcher given is equal to the alert's label. */
export function matches(s: Pick<Silence, 'matchers'>, a: Pick<Alert, 'labels'>): boolean {
  const entries = Object.entries(s.matchers).filter(([, v]) => v !== undefined);
  return entries.length > 0 && entries.every(([k, v]) => a.labels[k as keyof Alert['labels']] === v);
}

/** Planned work declared in the fleet (`alerting.maintenance`), as silences: it mutes what matches while it lasts. */
export function plannedSilences(maintenance: readonly { id: string; from: string; to: string; customer?: string | undefined; app?: string | undefined; site?: string | undefined; comment: string }[]): Silence[] {
  return maintenance.map((m) => ({
    id: `maintenance:${m.id}`,
    matchers: { ...(m.customer ? { customer: m.customer } : {}), ...(m.app ? { app: m.app } : {}), ...(m.site ? { site: m.site } : {}) },
    startsAt: new Date(m.from).toISOString(),
    endsAt: new Date(m.to).toISOString(),
    comment: m.comment,
    createdBy: 'fleet',
  }));
}
