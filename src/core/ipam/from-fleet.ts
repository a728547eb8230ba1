/** The IPAM view of a fleet: site prefixes, template segments and hosts with their segment. */
import type { IpamInput } from './allocate.js';
import { parsePrefix, type Prefix } from './ipv4.js';
import type { HostSpec, SegmentSpec, SiteSpec } from '../fleet/schema/fleet.js';
import { hostSegment, witnessSites } from '../fleet/model.js';

/**
 * Builds the IPAM input. Sites whose prefixes did not parse are left out (their problems are
 * reported by validation), and so are hosts whose site or segment is unknown, and witness sites
 * with their hosts (no segments there).
 */
export function ipamInput(
  sites: readonly SiteSpec[],
  segments: readonly SegmentSpec[],
  hosts: readonly HostSpec[],
  goodPrefixes?: Map<string, Prefix[]>,
): IpamInput {
  const out: IpamInput = { sites: [], segments: segments.map((s) => ({ name: s.name, role: s.role, prefixLength: s.prefixLength, reserved: s.reserved })), hosts: [] };
  // Witness sites get no segments: their hosts keep the public addresses the fleet gives them.
  const witnesses = witnessSites(sites);
  for (const site of sites) {
    if (site.witness) continue;
    const prefixes = goodPrefixes ? goodPrefixes.get(site.id) : site.prefixes.map((p) => parsePrefix(p)).flatMap((r) => (r.ok ? [r.prefix] : []));
    if (prefixes) out.sites.push({ id: site.id, prefixes });
  }
  const names = new Set(segments.map((s) => s.name));
  for (const h of hosts) {
    if (witnesses.has(h.site)) continue;
    const segment = hostSegment(h, segments);
    if (segment === undefined || !names.has(segment)) continue;
    const entry: IpamInput['hosts'][number] = { id: h.id, site: h.site, segment };
    if (h.address !== undefined) entry.address = h.address;
    out.hosts.push(entry);
  }
  return out;
}
