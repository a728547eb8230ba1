/**
 * A site's blueprint as one report (pure): where it is, its prefixes and segments, its hosts
 * with their addresses and what runs on them, its proxies, and its firewall: who may talk to
 * whom (the template's flows as they apply here) and how many rules each host's ruleset holds.
 */
import type { Fleet } from '../fleet/model.js';
import { hostSegment } from '../fleet/model.js';
import type { IpamResult } from '../ipam/allocate.js';
import { formatAddress, formatPrefix } from '../ipam/ipv4.js';
import type { Placement } from '../placement/types.js';
import { naturalCompare } from '../util/natural-sort.js';
import { hostFirewall } from './nftables.js';

export interface SiteReport {
  site: string;
  name: string;
  country: string;
  provider: string;
  facility: string;
  /** A witness site: a vantage point for the quorum, no segments, proxies or apps. */
  witness: boolean;
  prefixes: string[];
  segments: { segment: string; role: string; prefix: string | null; usable: number; used: number; free: number }[];
  hosts: { host: string; role: string; segment: string | null; address: string | null; units: number; firewallRules: number }[];
  proxies: string[];
  /** Flows into this site's segments: from a segment here, at every site, or the internet. */
  flows: { from: string; fromWhere: 'internet' | 'this site' | 'every site'; to: string; protocol: string; ports: string; description: string | null }[];
}

export function siteReport(fleet: Fleet, ipam: Pick<IpamResult, 'segments' | 'hosts'>, placements: readonly Placement[], site: string): SiteReport | undefined {
  const s = fleet.sites.find((x) => x.id === site);
  if (!s) return undefined;
  const segments = s.witness ? [] : fleet.siteTemplate.segments.map((seg) => {
    const a = ipam.segments.find((x) => x.site === site && x.segment === seg.name);
    return { segment: seg.name, role: seg.role, prefix: a ? formatPrefix(a.prefix) : null, usable: a?.usable ?? 0, used: a?.used ?? 0, free: a?.free ?? 0 };
  });
  const hosts = fleet.hosts
    .filter((h) => h.site === site)
    .map((h) => {
      const a = ipam.hosts.find((x) => x.host === h.id);
      return {
        host: h.id,
        role: h.role,
        segment: hostSegment(h, fleet.siteTemplate.segments) ?? null,
        address: a ? formatAddress(a.address) : s.witness ? (h.address ?? null) : null,
        units: placements.filter((p) => p.host === h.id).length,
        firewallRules: hostFirewall(fleet, ipam, placements, h.id)?.rules.length ?? 0,
      };
    })
    .sort((a, b) => naturalCompare(a.host, b.host));
  const flows = (s.witness ? [] : fleet.siteTemplate.firewall).map((r) => ({
    from: r.from,
    fromWhere: r.from === 'internet' ? ('internet' as const) : r.scope === 'fleet' ? ('every site' as const) : ('this site' as const),
    to: r.to,
    protocol: r.protocol,
    ports: r.protocol === 'icmp' ? '' : r.ports ? r.ports.join(', ') : 'all',
    description: r.description ?? null,
  }));
  return {
    site,
    name: s.name ?? site,
    country: s.country,
    provider: s.provider,
    facility: s.facility,
    witness: s.witness,
    prefixes: [...s.prefixes],
    segments,
    hosts,
    proxies: hosts.filter((h) => h.role === 'proxy' || h.role === 'edge').map((h) => h.host),
    flows,
  };
}

/** The report as text for people. */
export function siteReportText(r: SiteReport): string {
  if (r.witness) {
    const lines = [`witness site ${r.site} (${r.name}): ${r.country}, ${r.provider}, facility ${r.facility}`, '', 'Its probers count in the quorum that declares another site lost; it runs no apps, proxies or backups and gets no segments.', '', 'hosts:'];
    for (const h of r.hosts) lines.push(`  ${h.host.padEnd(16)} ${h.role.padEnd(11)} ${(h.address ?? 'no address').padEnd(15)} ${h.firewallRules} firewall rules`);
    if (r.hosts.length === 0) lines.push('  none: nothing probes from here, so it counts in no quorum');
    return `${lines.join('\n')}\n`;
  }
  const lines = [`site ${r.site} (${r.name}): ${r.country}, ${r.provider}, facility ${r.facility}; prefixes ${r.prefixes.join(', ')}`, '', 'segments:'];
  for (const s of r.segments) lines.push(`  ${s.segment.padEnd(10)} ${s.role.padEnd(11)} ${(s.prefix ?? 'NOT ALLOCATED').padEnd(18)} ${s.used}/${s.usable} addresses used`);
  lines.push('', 'hosts:');
  for (const h of r.hosts) lines.push(`  ${h.host.padEnd(16)} ${h.role.padEnd(11)} ${(h.segment ?? '-').padEnd(10)} ${(h.address ?? 'no address').padEnd(15)} ${String(h.units).padStart(3)} units, ${h.firewallRules} firewall rules`);
  lines.push('', `proxies: ${r.proxies.join(', ') || 'none'}`, '', 'firewall (everything else is dropped):');
  for (const f of r.flows) {
    const from = f.fromWhere === 'internet' ? 'internet' : `${f.from} (${f.fromWhere})`;
    lines.push(`  ${from.padEnd(22)} → ${f.to.padEnd(8)} ${f.protocol}${f.ports ? ` ${f.ports}` : ''}${f.description ? `   ${f.description}` : ''}`);
  }
  lines.push('  (from proxy and edge segments into app and data segments only to the ports of the apps on each host; probers in management segments and at witness sites reach the apps\' ports; management hosts take the controller port from every site)');
  return `${lines.join('\n')}\n`;
}
