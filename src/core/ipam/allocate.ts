/**
 * IPAM: carves each site's prefixes into the template's segments and gives every host an
 * address in its segment.
 *
 * Invariants (property-tested):
 * - no two segments overlap, and each lies inside one of its site's prefixes;
 * - no two hosts share an address; each address is usable in its segment (not the network,
 *   broadcast or reserved addresses);
 * - everything in the allocation record that is still valid is kept, so adding, removing
 *   or reordering hosts and sites never renumbers what already had an address;
 * - without a record the result is still deterministic: segments are carved largest first
 *   (then in template order), hosts are numbered in natural order of their names.
 */
import type { ProblemCode } from '../fleet/problem-codes.js';
import { naturalCompare } from '../util/natural-sort.js';
import {
  containsPrefix,
  formatAddress,
  formatPrefix,
  overlaps,
  parseAddress,
  parsePrefix,
  prefixEnd,
  prefixSize,
  usableCount,
  usableRange,
  type Prefix,
} from './ipv4.js';
import type { AllocationRecord } from './record.js';

export interface IpamSite {
  id: string;
  prefixes: Prefix[];
}

export interface IpamSegment {
  name: string;
  role: string;
  prefixLength: number;
  reserved: number;
}

export interface IpamHost {
  id: string;
  site: string;
  segment: string;
  /** A fixed address from the fleet, as written. */
  address?: string;
}

export interface IpamInput {
  sites: IpamSite[];
  segments: IpamSegment[];
  hosts: IpamHost[];
}

export type AllocationSource = 'fixed' | 'record' | 'new';

export interface SegmentAllocation {
  site: string;
  segment: string;
  role: string;
  prefix: Prefix;
  reserved: number;
  /** Addresses hosts can get. */
  usable: number;
  used: number;
  free: number;
  source: Exclude<AllocationSource, 'fixed'>;
}

export interface HostAllocation {
  host: string;
  site: string;
  segment: string;
  address: number;
  source: AllocationSource;
}

/** The address problems of the problem catalogue (core/fleet/problem-codes.ts). */
export type IpamProblemCode = Extract<ProblemCode, `HAFEN_IPAM_${string}`>;

export interface IpamProblem {
  code: IpamProblemCode;
  /** What the problem is about: a site (segment plan) or a host (its address). */
  subject: { kind: 'site'; id: string } | { kind: 'host'; id: string };
  message: string;
}

export interface IpamChanges {
  /** Segments and hosts that got an address for the first time (`site/segment` or host id). */
  added: string[];
  /** Entries of the record that no longer exist in the fleet. */
  removed: string[];
  /** Entries whose address changed (the record entry was no longer valid). */
  changed: string[];
}

export interface IpamResult {
  segments: SegmentAllocation[];
  hosts: HostAllocation[];
  problems: IpamProblem[];
  record: AllocationRecord;
  changes: IpamChanges;
}

/** Plans all allocations; pure and deterministic for the same input and record. */
export function allocate(input: IpamInput, record?: AllocationRecord): IpamResult {
  const problems: IpamProblem[] = [];
  const segments: SegmentAllocation[] = [];
  const hosts: HostAllocation[] = [];
  const sites = [...input.sites].sort((a, b) => naturalCompare(a.id, b.id));
  for (const site of sites) {
    const carved = carveSite(site, input.segments, record?.segments[site.id] ?? {}, problems);
    for (const seg of input.segments) {
      const c = carved.get(seg.name);
      if (!c) continue;
      const members = input.hosts.filter((h) => h.site === site.id && h.segment === seg.name);
      const given = addressHosts(site.id, seg, c.prefix, members, record, problems);
      hosts.push(...given);
      const usable = usableCount(c.prefix, seg.reserved);
      segments.push({
        site: site.id,
        segment: seg.name,
        role: seg.role,
        prefix: c.prefix,
        reserved: seg.reserved,
        usable,
        used: given.length,
        free: usable - given.length,
        source: c.source,
      });
    }
  }
  hosts.sort((a, b) => naturalCompare(a.host, b.host));
  const next = toRecord(segments, hosts);
  return { segments, hosts, problems, record: next, changes: diffRecords(record, next) };
}

/** Segment prefixes of one site: valid record entries first, then first-fit, largest first. */
function carveSite(
  site: IpamSite,
  template: IpamSegment[],
  recorded: Record<string, string>,
  problems: IpamProblem[],
): Map<string, { prefix: Prefix; source: 'record' | 'new' }> {
  const out = new Map<string, { prefix: Prefix; source: 'record' | 'new' }>();
  const taken: Prefix[] = [];
  const pending: IpamSegment[] = [];
  for (const seg of template) {
    const text = recorded[seg.name];
    const parsed = text === undefined ? undefined : parsePrefix(text);
    if (
      parsed?.ok &&
      parsed.prefix.length === seg.prefixLength &&
      site.prefixes.some((p) => containsPrefix(p, parsed.prefix)) &&
      !taken.some((t) => overlaps(t, parsed.prefix))
    ) {
      out.set(seg.name, { prefix: parsed.prefix, source: 'record' });
      taken.push(parsed.prefix);
    } else {
      pending.push(seg);
    }
  }
  // Largest first keeps the free space aligned; the stable sort keeps template order for ties.
  pending.sort((a, b) => a.prefixLength - b.prefixLength);
  const missing: string[] = [];
  for (const seg of pending) {
    const prefix = firstFit(site.prefixes, taken, seg.prefixLength);
    if (prefix) {
      out.set(seg.name, { prefix, source: 'new' });
      taken.push(prefix);
    } else {
      missing.push(`${seg.name} (/${seg.prefixLength})`);
    }
  }
  if (missing.length > 0) {
    const need = template.reduce((sum, s) => sum + 2 ** (32 - s.prefixLength), 0);
    const have = site.prefixes.reduce((sum, p) => sum + prefixSize(p), 0);
    const plan = template.map((s) => `${s.name} /${s.prefixLength}`).join(', ');
    problems.push({
      code: 'HAFEN_IPAM_SEGMENTS_DONT_FIT',
      subject: { kind: 'site', id: site.id },
      message:
        `the segment plan does not fit into ${site.prefixes.map(formatPrefix).join(', ') || 'no prefixes'}: ` +
        `no room left for ${missing.join(', ')} (the plan ${plan} needs ${need} addresses, the prefixes hold ${have})`,
    });
  }
  return out;
}

/** The lowest aligned block of the given length inside `pools` that overlaps nothing taken. */
function firstFit(pools: Prefix[], taken: Prefix[], length: number): Prefix | undefined {
  const size = 2 ** (32 - length);
  for (const pool of pools) {
    if (pool.length > length) continue;
    let cand = pool.base;
    const end = prefixEnd(pool);
    while (cand + size - 1 <= end) {
      const block = { base: cand, length };
      const hit = taken.find((t) => overlaps(t, block));
      if (!hit) return block;
      cand = Math.ceil((prefixEnd(hit) + 1) / size) * size;
    }
  }
  return undefined;
}

/** Addresses of the hosts of one segment: fixed ones, then valid record entries, then lowest free. */
function addressHosts(
  siteId: string,
  seg: IpamSegment,
  prefix: Prefix,
  members: IpamHost[],
  record: AllocationRecord | undefined,
  problems: IpamProblem[],
): HostAllocation[] {
  const { first, last } = usableRange(prefix, seg.reserved);
  const used = new Map<number, string>();
  const out: HostAllocation[] = [];
  const where = `segment ${seg.name} (${formatPrefix(prefix)}) of site ${siteId}`;
  const sorted = [...members].sort((a, b) => naturalCompare(a.id, b.id));
  const hostProblem = (code: IpamProblemCode, id: string, message: string) =>
    problems.push({ code, subject: { kind: 'host', id }, message });

  for (const h of sorted) {
    if (h.address === undefined) continue;
    const addr = parseAddress(h.address);
    if (addr === undefined) {
      hostProblem('HAFEN_IPAM_ADDRESS_INVALID', h.id, `"${h.address}" is not an IPv4 address`);
    } else if (addr < prefix.base || addr > prefixEnd(prefix)) {
      hostProblem('HAFEN_IPAM_ADDRESS_OUTSIDE_SEGMENT', h.id, `address ${h.address} is outside ${where}`);
    } else if (addr < first || addr > last) {
      const what = addr === prefix.base ? 'the network address' : addr === prefixEnd(prefix) ? 'the broadcast address' : `reserved for the gateway and network gear (the segment keeps its first ${seg.reserved === 1 ? 'address' : `${seg.reserved} addresses`} after the network address)`;
      hostProblem('HAFEN_IPAM_ADDRESS_RESERVED', h.id, `address ${h.address} is ${what} of ${where}`);
    } else if (used.has(addr)) {
      hostProblem('HAFEN_IPAM_ADDRESS_CONFLICT', h.id, `address ${h.address} is also the fixed address of host ${used.get(addr)}`);
    } else {
      used.set(addr, h.id);
      out.push({ host: h.id, site: siteId, segment: seg.name, address: addr, source: 'fixed' });
    }
  }
  const rest = sorted.filter((h) => h.address === undefined);
  const pending: IpamHost[] = [];
  for (const h of rest) {
    const r = record?.hosts[h.id];
    const addr = r && r.site === siteId && r.segment === seg.name ? parseAddress(r.address) : undefined;
    if (addr !== undefined && addr >= first && addr <= last && !used.has(addr)) {
      used.set(addr, h.id);
      out.push({ host: h.id, site: siteId, segment: seg.name, address: addr, source: 'record' });
    } else {
      pending.push(h);
    }
  }
  let next = first;
  const capacity = Math.max(0, last - first + 1);
  for (const h of pending) {
    while (next <= last && used.has(next)) next++;
    if (next > last) {
      hostProblem(
        'HAFEN_IPAM_EXHAUSTED',
        h.id,
        `no address left in ${where}: ${capacity} usable, ${members.length} hosts`,
      );
      continue;
    }
    used.set(next, h.id);
    out.push({ host: h.id, site: siteId, segment: seg.name, address: next, source: 'new' });
  }
  return out;
}

function toRecord(segments: SegmentAllocation[], hosts: HostAllocation[]): AllocationRecord {
  const rec: AllocationRecord = { version: 1, segments: {}, hosts: {} };
  for (const s of segments) (rec.segments[s.site] ??= {})[s.segment] = formatPrefix(s.prefix);
  for (const h of hosts) rec.hosts[h.host] = { site: h.site, segment: h.segment, address: formatAddress(h.address) };
  return rec;
}

function diffRecords(before: AllocationRecord | undefined, after: AllocationRecord): IpamChanges {
  const flat = (r: AllocationRecord | undefined): Map<string, string> => {
    const m = new Map<string, string>();
    if (!r) return m;
    for (const [site, segs] of Object.entries(r.segments)) for (const [seg, p] of Object.entries(segs)) m.set(`${site}/${seg}`, p);
    for (const [host, h] of Object.entries(r.hosts)) m.set(host, `${h.site}/${h.segment}/${h.address}`);
    return m;
  };
  const a = flat(before);
  const b = flat(after);
  const changes: IpamChanges = { added: [], removed: [], changed: [] };
  for (const [k, v] of b) {
    if (!a.has(k)) changes.added.push(k);
    else if (a.get(k) !== v) changes.changed.push(k);
  }
  for (const k of a.keys()) if (!b.has(k)) changes.removed.push(k);
  for (const list of Object.values(changes)) list.sort(naturalCompare);
  return changes;
}
