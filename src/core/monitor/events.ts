/**
 * Monitoring events as transitions between two evaluations: a check that changes state, a site
 * lost or back, a host whose heartbeats stop or come back, a site's probers falling silent or
 * reporting again. Pure: the controller's monitor (controller/monitor.ts) keeps the snapshots,
 * computes the next one, and stores what this returns; the alerting reads those events.
 */
import type { Check } from './checks.js';
import type { Verdict } from './quorum.js';
import type { HostHeartbeat, MonitorEvent } from './status.js';

/** What the monitor knows after one evaluation. */
export interface MonitorSnapshot {
  /** Each check's verdict by quorum, by check id. */
  verdicts: ReadonlyMap<string, Verdict>;
  /** Lost sites, each with the sites that see it lost. */
  lost: ReadonlyMap<string, readonly string[]>;
  /** Each host's heartbeat state, by host. */
  hosts: ReadonlyMap<string, Pick<HostHeartbeat, 'host' | 'site' | 'state' | 'lastReport'>>;
  /** Sites whose probers are silent, each with when they last delivered (ms). */
  silent: ReadonlyMap<string, number>;
}

export const EMPTY_SNAPSHOT: MonitorSnapshot = { verdicts: new Map(), lost: new Map(), hosts: new Map(), silent: new Map() };

export type MonitorEventInput = Omit<MonitorEvent, 'id'>;

/**
 * The events between `before` and `after`, evaluated at `t` (ms). A check's first verdict is an
 * event only when it is not up (a new check that works is not news); a host's first state and a
 * host becoming "unknown" are not events.
 */
export function monitorEvents(before: MonitorSnapshot, after: MonitorSnapshot, checks: ReadonlyMap<string, Pick<Check, 'title' | 'app' | 'customer' | 'site'>>, t: number): MonitorEventInput[] {
  const at = new Date(t).toISOString();
  const out: MonitorEventInput[] = [];
  for (const [id, v] of after.verdicts) {
    const was = before.verdicts.get(id);
    const check = checks.get(id);
    if (!check || was?.state === v.state || (!was && v.state === 'up')) continue;
    out.push({ at, kind: 'check', subject: id, state: v.state, message: `${check.title}: ${v.state} (${v.reason})`, data: { app: check.app, customer: check.customer, site: check.site, downFrom: v.downFrom, upFrom: v.upFrom, was: was?.state ?? null } });
  }
  for (const [site, seenBy] of after.lost) {
    if (!before.lost.has(site)) out.push({ at, kind: 'site', subject: site, state: 'lost', message: `site ${site} is lost: every check of it is down as seen from ${seenBy.join(' and ')}`, data: { seenBy } });
  }
  for (const site of before.lost.keys()) {
    if (!after.lost.has(site)) out.push({ at, kind: 'site', subject: site, state: 'up', message: `site ${site} is back: its checks answer again` });
  }
  for (const [host, h] of after.hosts) {
    const was = before.hosts.get(host)?.state;
    if (was === undefined || was === h.state || h.state === 'unknown') continue;
    out.push({ at, kind: 'host', subject: host, state: h.state, message: h.state === 'down' ? `host ${host} (${h.site}) has not reported since ${h.lastReport}` : `host ${host} (${h.site}) reports again` });
  }
  for (const [site, last] of after.silent) {
    if (!before.silent.has(site)) out.push({ at, kind: 'prober', subject: site, state: 'silent', message: `no probe results from site ${site} for ${Math.round((t - last) / 1000)} s` });
  }
  for (const site of before.silent.keys()) {
    if (!after.silent.has(site)) out.push({ at, kind: 'prober', subject: site, state: 'reporting', message: `probe results from site ${site} arrive again` });
  }
  return out;
}
