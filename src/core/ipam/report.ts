/** The IPAM report: per site and segment, size, used and free; what is close to exhaustion. */
import { naturalCompare } from '../util/natural-sort.js';
import type { IpamResult } from './allocate.js';
import { formatAddress, formatPrefix, prefixSize, type Prefix } from './ipv4.js';

/** A segment at or above this share of used addresses is reported as nearly exhausted. */
export const EXHAUSTION_WARNING = 0.9;

export interface SegmentReport {
  segment: string;
  role: string;
  prefix: string;
  size: number;
  reserved: number;
  usable: number;
  used: number;
  free: number;
}

export interface SiteReport {
  site: string;
  prefixes: string[];
  /** Addresses in the site's prefixes. */
  addresses: number;
  /** Addresses of the prefixes not given to any segment. */
  unallocated: number;
  segments: SegmentReport[];
}

export interface IpamReport {
  sites: SiteReport[];
  hosts: { host: string; site: string; segment: string; address: string; source: string }[];
  warnings: string[];
}

export function ipamReport(result: IpamResult, sites: { id: string; prefixes: Prefix[] }[]): IpamReport {
  const out: IpamReport = { sites: [], hosts: [], warnings: [] };
  for (const site of [...sites].sort((a, b) => naturalCompare(a.id, b.id))) {
    const segs = result.segments.filter((s) => s.site === site.id);
    const addresses = site.prefixes.reduce((n, p) => n + prefixSize(p), 0);
    const inSegments = segs.reduce((n, s) => n + prefixSize(s.prefix), 0);
    out.sites.push({
      site: site.id,
      prefixes: site.prefixes.map(formatPrefix),
      addresses,
      unallocated: addresses - inSegments,
      segments: segs
        .sort((a, b) => a.prefix.base - b.prefix.base)
        .map((s) => ({
          segment: s.segment,
          role: s.role,
          prefix: formatPrefix(s.prefix),
          size: prefixSize(s.prefix),
          reserved: s.reserved,
          usable: s.usable,
          used: s.used,
          free: s.free,
        })),
    });
    for (const s of segs) {
      if (s.usable > 0 && s.used / s.usable >= EXHAUSTION_WARNING) {
        out.warnings.push(`segment ${s.segment} at site ${site.id} is ${Math.round((100 * s.used) / s.usable)}% used (${s.free} of ${s.usable} addresses free)`);
      }
    }
  }
  out.hosts = result.hosts.map((h) => ({ host: h.host, site: h.site, segment: h.segment, address: formatAddress(h.address), source: h.source }));
  return out;
}
