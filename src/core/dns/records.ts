/**
 * What each customer domain should resolve to (issue 31, entry failover through DNS): the edge
 * addresses of every site that is up. A site declared lost is withdrawn; a domain never ends up
 * with no address — when every site is lost its last addresses stay (a client then still tries
 * them, and they come back first). Pure: the controller feeds it the fleet's edges, the lost
 * sites and what the DNS servers hold now, and sends the difference (core/render/dns.ts).
 */
import { inZone, type AddressSet } from '../render/dns.js';

export interface EdgeSite {
  site: string;
  /** The addresses clients reach the site's edge proxies at. */
  addresses: readonly string[];
}

/** The zone a domain's records live in: the longest managed zone it lies in, or undefined (not managed). */
export function zoneOf(domain: string, zones: readonly string[]): string | undefined {
  let best: string | undefined;
  for (const z of zones) if (inZone(domain, z) && (best === undefined || z.length > best.length)) best = z;
  return best;
}

/**
 * The addresses of each domain: those of the sites not in `lost`, sorted and without repeats;
 * when that leaves none, what `held` (the DNS server's records now) has, else every site's.
 */
export function desiredAddresses(domains: readonly string[], edges: readonly EdgeSite[], lost: ReadonlySet<string>, held: ReadonlyMap<string, readonly string[]> = new Map()): Map<string, string[]> {
  const up = uniqueSorted(edges.filter((e) => !lost.has(e.site)).flatMap((e) => e.addresses));
  const all = uniqueSorted(edges.flatMap((e) => e.addresses));
  const out = new Map<string, string[]>();
  for (const d of domains) {
    const now = held.get(d) ?? [];
    out.set(d, up.length > 0 ? up : now.length > 0 ? uniqueSorted(now) : all);
  }
  return out;
}

/** The sets to send, per zone: each domain whose desired addresses differ from those held (a domain held but no longer desired is left alone: removing a customer's name is not hafen's to do unasked). */
export function changesByZone(desired: ReadonlyMap<string, readonly string[]>, held: ReadonlyMap<string, readonly string[]>, zones: readonly string[]): Map<string, AddressSet[]> {
  const out = new Map<string, AddressSet[]>();
  for (const [domain, addresses] of desired) {
    const zone = zoneOf(domain, zones);
    if (zone === undefined) continue;
    if (sameSet(addresses, held.get(domain) ?? [])) continue;
    out.set(zone, [...(out.get(zone) ?? []), { name: domain, addresses: [...addresses] }]);
  }
  return out;
}

function uniqueSorted(xs: readonly string[]): string[] {
  return [...new Set(xs)].sort();
}

function sameSet(a: readonly string[], b: readonly string[]): boolean {
  const x = uniqueSorted(a);
  const y = uniqueSorted(b);
  return x.length === y.length && x.every((v, i) => v === y[i]);
}
