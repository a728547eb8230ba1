/**
 * What changes, host by host, between two versions of a fleet's blueprint (pure): hosts added
 * or removed, addresses, units, and each host's firewall (the lines of its nft script that
 * appear or go). The new version is planned against the old one: its IPAM keeps the old
 * record and its placement the old placements, as an apply would, so the diff shows what the
 * change itself brings. A site that is added therefore shows its whole blueprint, and the
 * other sites only what must follow it (the fleet-wide sets gaining its prefixes).
 */
import type { Fleet } from '../fleet/model.js';
import type { IpamResult } from '../ipam/allocate.js';
import { formatAddress } from '../ipam/ipv4.js';
import type { Placement } from '../placement/types.js';
import { desiredState } from '../render/desired.js';
import { hostFirewall, nftScript } from '../render/nftables.js';
import { naturalCompare } from '../util/natural-sort.js';

export interface Blueprint {
  fleet: Fleet;
  ipam: Pick<IpamResult, 'segments' | 'hosts'>;
  placements: readonly Placement[];
}

export interface HostBlueprintChange {
  host: string;
  site: string;
  change: 'added' | 'removed' | 'changed';
  address?: { before: string | null; after: string | null };
  units: { added: string[]; removed: string[]; changed: string[] };
  firewall: { added: string[]; removed: string[] };
}

export interface BlueprintDiff {
  hosts: HostBlueprintChange[];
  /** Per site: hosts added, removed and changed. */
  sites: { site: string; added: number; removed: number; changed: number; unchangedHosts: number }[];
}

interface HostView {
  site: string;
  address: string | null;
  units: Map<string, string>;
  firewall: string[];
}

/**
 * The lines of a ruleset that carry policy, trimmed; a line inside a set is prefixed with the
 * set's name ("set seg_mgmt_all: elements = { … }"), so a change says which set it is in. The
 * header comment (it names the host's address) is left out.
 */
export function policyLines(script: string): string[] {
  let set: string | undefined;
  const out: string[] = [];
  for (const raw of script.split('\n')) {
    const l = raw.trim();
    if (l === '' || l.startsWith('#')) continue;
    const opens = /^set (\S+) \{$/.exec(l);
    if (opens) set = opens[1];
    else if (l === '}') set = undefined;
    out.push(set && !opens ? `set ${set}: ${l}` : l);
  }
  return out;
}

function view(b: Blueprint): Map<string, HostView> {
  const desired = desiredState(b.fleet, b.placements, 0);
  const out = new Map<string, HostView>();
  for (const h of b.fleet.hosts) {
    const a = b.ipam.hosts.find((x) => x.host === h.id);
    const fw = hostFirewall(b.fleet, b.ipam, b.placements, h.id);
    out.set(h.id, {
      site: h.site,
      address: a ? formatAddress(a.address) : null,
      units: new Map((desired.get(h.id)?.units ?? []).map((u) => [u.name, u.hash])),
      firewall: fw ? policyLines(nftScript(fw)) : [],
    });
  }
  return out;
}

/** Items of `a` not in `b` (as multisets would be overkill: rule lines are unique within a script). */
const minus = (a: readonly string[], b: readonly string[]) => {
  const set = new Set(b);
  return a.filter((x) => !set.has(x));
};

export function blueprintDiff(before: Blueprint, after: Blueprint, site?: string): BlueprintDiff {
  const was = view(before);
  const now = view(after);
  const hosts: HostBlueprintChange[] = [];
  const names = [...new Set([...was.keys(), ...now.keys()])].sort(naturalCompare);
  const counts = new Map<string, { added: number; removed: number; changed: number; unchangedHosts: number }>();
  for (const name of names) {
    const w = was.get(name);
    const n = now.get(name);
    const hostSite = (n ?? w)!.site;
    if (site && hostSite !== site) continue;
    const c = counts.get(hostSite) ?? { added: 0, removed: 0, changed: 0, unchangedHosts: 0 };
    counts.set(hostSite, c);
    const unitsBefore = w?.units ?? new Map<string, string>();
    const unitsAfter = n?.units ?? new Map<string, string>();
    const units = {
      added: [...unitsAfter.keys()].filter((u) => !unitsBefore.has(u)).sort(naturalCompare),
      removed: [...unitsBefore.keys()].filter((u) => !unitsAfter.has(u)).sort(naturalCompare),
      changed: [...unitsAfter.keys()].filter((u) => unitsBefore.has(u) && unitsBefore.get(u) !== unitsAfter.get(u)).sort(naturalCompare),
    };
    const firewall = { added: minus(n?.firewall ?? [], w?.firewall ?? []), removed: minus(w?.firewall ?? [], n?.firewall ?? []) };
    const addressChanged = (w?.address ?? null) !== (n?.address ?? null);
    const change = !w ? 'added' : !n ? 'removed' : addressChanged || units.added.length + units.removed.length + units.changed.length + firewall.added.length + firewall.removed.length > 0 ? 'changed' : undefined;
    if (!change) {
      c.unchangedHosts++;
      continue;
    }
    c[change]++;
    hosts.push({ host: name, site: hostSite, change, ...(addressChanged ? { address: { before: w?.address ?? null, after: n?.address ?? null } } : {}), units, firewall });
  }
  return { hosts, sites: [...counts].map(([s, c]) => ({ site: s, ...c })).sort((a, b) => naturalCompare(a.site, b.site)) };
}
