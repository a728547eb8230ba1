/**
 * Firewall alerts (pure): `firewall:<host>` (warning) when the host's agent rolled back or nft
 * refused the ruleset the newest revision wants of it, so the host runs an older ruleset (or
 * none), or when the live table drifted from the ruleset it confirmed. Grouped per site; a
 * silent host explains it (see deriveAlerts).
 */
import type { Alert } from './alerts.js';
import type { HostReport } from '../report/host-report.js';

export interface HostFirewallState {
  host: string;
  site: string;
  /** The ruleset the host should run (the newest revision's, or the one a staged rollout holds it at). */
  desiredHash: string;
  /** What the agent (--firewall) says of the newest ruleset it got; undefined when it applies none. */
  reported?: { hash: string; state: string; at: string; error?: string; drifted?: boolean };
}

/** Each addressed host's desired firewall with what its agent last reported of it (`agent.firewall` in its status). */
export function firewallStates(
  hosts: readonly { id: string; site: string }[],
  desired: ReadonlyMap<string, { firewall?: { hash: string } }>,
  reports: readonly { host: string; status: HostReport }[],
): HostFirewallState[] {
  const reported = new Map(reports.map((r) => [r.host, r.status.agent?.firewall]));
  return hosts.flatMap((h) => {
    const desiredHash = desired.get(h.id)?.firewall?.hash;
    const r = reported.get(h.id);
    return desiredHash ? [{ host: h.id, site: h.site, desiredHash, ...(r ? { reported: r } : {}) }] : [];
  });
}

export function firewallAlerts(hosts: readonly HostFirewallState[]): Alert[] {
  return hosts.flatMap((h): Alert[] => {
    const r = h.reported;
    if (!r || r.hash !== h.desiredHash) return [];
    if (r.state === 'confirmed' && r.drifted) {
      return [{ key: `firewall:${h.host}`, severity: 'warning', group: `firewall:${h.site}`, summary: `the live firewall of ${h.host} differs from the ruleset it confirmed (changed by hand or by another tool); hafen firewall reapply ${h.host} applies it again`, labels: { site: h.site, host: h.host }, since: r.at }];
    }
    if (r.state !== 'rolled-back' && r.state !== 'failed') return [];
    const what = r.state === 'failed' ? `nft refused the firewall of ${h.host}` : `the firewall of ${h.host} was rolled back`;
    return [{ key: `firewall:${h.host}`, severity: 'warning', group: `firewall:${h.site}`, summary: `${what} (${r.error ?? 'no reason given'}); the host keeps its previous ruleset (once mended: hafen firewall reapply ${h.host})`, labels: { site: h.site, host: h.host }, since: r.at }];
  });
}
