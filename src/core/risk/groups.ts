/**
 * Failure groups: everything that can fail as one. Every host belongs to its host, site,
 * facility, country, the provider of its site, the provider operating its facility (a site
 * inside another provider's building shares that provider's fate), and every declared risk
 * group of its host, site or facility. Not a tree: groups overlap.
 */
import type { Fleet } from '../fleet/model.js';
import { naturalCompare } from '../util/natural-sort.js';

export const GROUP_KINDS = ['host', 'site', 'facility', 'provider', 'country', 'risk'] as const;
export type GroupKind = (typeof GROUP_KINDS)[number];

export interface FailureGroup {
  /** "site:hel", "provider:provider-b", "risk:carrier-a", … */
  key: string;
  kind: GroupKind;
  id: string;
  /** Indexes into fleet.hosts. */
  hosts: number[];
}

export interface GroupIndex {
  groups: FailureGroup[];
  byKey: Map<string, number>;
  /** Group indexes of each host (ascending). */
  hostGroups: number[][];
  /** Group indexes every host of a site shares (all but host-level groups), by site id. */
  siteGroups: Map<string, number[]>;
}

export type GroupFleet = Pick<Fleet, 'hosts' | 'sites' | 'facilities'>;

/** Builds the groups of a fleet; group order is by kind, then natural order of ids. */
export function buildGroups(fleet: GroupFleet): GroupIndex {
  const facilities = new Map(fleet.facilities.map((f) => [f.id, f]));
  const siteKeys = new Map<string, string[]>();
  for (const s of fleet.sites) {
    const f = facilities.get(s.facility);
    const keys = [`site:${s.id}`, `facility:${s.facility}`, `provider:${s.provider}`, `country:${s.country}`];
    if (f && f.operator !== s.provider) keys.push(`provider:${f.operator}`);
    for (const r of [...(s.riskGroups ?? []), ...(f?.riskGroups ?? [])]) keys.push(`risk:${r}`);
    siteKeys.set(s.id, [...new Set(keys)]);
  }
  const members = new Map<string, number[]>();
  const hostKeys = fleet.hosts.map((h, i) => {
    const keys = [`host:${h.id}`, ...(siteKeys.get(h.site) ?? []), ...(h.riskGroups ?? []).map((r) => `risk:${r}`)];
    const unique = [...new Set(keys)];
    for (const k of unique) {
      const list = members.get(k) ?? [];
      list.push(i);
      members.set(k, list);
    }
    return unique;
  });
  const kindOrder = (k: string) => GROUP_KINDS.indexOf(k.slice(0, k.indexOf(':')) as GroupKind);
  const keys = [...members.keys()].sort((a, b) => kindOrder(a) - kindOrder(b) || naturalCompare(a, b));
  const byKey = new Map(keys.map((k, i) => [k, i]));
  const groups = keys.map((key): FailureGroup => {
    const colon = key.indexOf(':');
    return { key, kind: key.slice(0, colon) as GroupKind, id: key.slice(colon + 1), hosts: members.get(key)! };
  });
  const hostGroups = hostKeys.map((ks) => ks.map((k) => byKey.get(k)!).sort((a, b) => a - b));
  const siteGroups = new Map<string, number[]>();
  for (const [site, ks] of siteKeys) siteGroups.set(site, ks.flatMap((k) => (byKey.has(k) ? [byKey.get(k)!] : [])).sort((a, b) => a - b));
  return { groups, byKey, hostGroups, siteGroups };
}

/** Sorted intersection of sorted number lists. */
export function intersect(a: readonly number[], b: readonly number[]): number[] {
  const out: number[] = [];
  let i = 0;
  let j = 0;
  while (i < a.length && j < b.length) {
    if (a[i]! === b[j]!) {
      out.push(a[i]!);
      i++;
      j++;
    } else if (a[i]! < b[j]!) i++;
    else j++;
  }
  return out;
}

/**
 * Facilities that hold sites of more than one provider: a failure of the operator takes
 * those sites down too, though on paper they belong to another provider.
 */
export function sharedFacilities(fleet: Pick<Fleet, 'sites' | 'facilities'>): { facility: string; operator: string; sites: { site: string; provider: string }[] }[] {
  const out = [];
  for (const f of fleet.facilities) {
    const inside = fleet.sites.filter((s) => s.facility === f.id);
    const foreign = inside.filter((s) => s.provider !== f.operator);
    if (foreign.length > 0) out.push({ facility: f.id, operator: f.operator, sites: foreign.map((s) => ({ site: s.id, provider: s.provider })) });
  }
  return out;
}
