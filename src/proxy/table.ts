/**
 * Finding the route of a request: exact host names first, then wildcards ("*.example.com"),
 * the longest suffix winning; within a host, the longest matching path prefix. Built once per
 * route table, so a lookup is a map access and a short scan.
 */
import type { Route, RouteTable } from '../core/render/routes.js';

/** Lower-case host name without port or trailing dot; undefined for a missing or malformed Host. */
export function normalizeHost(raw: string | undefined): string | undefined {
  if (!raw) return undefined;
  let h = raw.trim().toLowerCase();
  if (h.startsWith('[')) {
    const end = h.indexOf(']');
    if (end < 0) return undefined;
    h = h.slice(0, end + 1);
  } else {
    const colon = h.indexOf(':');
    if (colon >= 0) h = h.slice(0, colon);
  }
  if (h.endsWith('.')) h = h.slice(0, -1);
  if (h === '' || !/^[a-z0-9.[\]:_-]+$/.test(h)) return undefined;
  return h;
}

/** `path` starts with `prefix` at a segment boundary ("/api" matches "/api" and "/api/x", not "/apix"). */
function underPrefix(path: string, prefix: string): boolean {
  if (prefix === '/') return true;
  if (!path.startsWith(prefix)) return false;
  return path.length === prefix.length || prefix.endsWith('/') || path[prefix.length] === '/' || path[prefix.length] === '?';
}

export class RouteMatcher {
  private readonly exact = new Map<string, Route[]>();
  /** Suffix (".example.com") → routes, checked longest suffix first. */
  private readonly wildcard = new Map<string, Route[]>();
  private readonly suffixes: string[];

  constructor(table: RouteTable) {
    for (const r of table.routes) {
      const host = r.host.toLowerCase();
      const [map, key] = host.startsWith('*.') ? [this.wildcard, host.slice(1)] : [this.exact, host];
      map.set(key, [...(map.get(key) ?? []), r]);
    }
    for (const list of [...this.exact.values(), ...this.wildcard.values()]) list.sort((a, b) => b.pathPrefix.length - a.pathPrefix.length);
    this.suffixes = [...this.wildcard.keys()].sort((a, b) => b.length - a.length);
  }

  match(host: string, path: string): Route | undefined {
    const exact = this.exact.get(host);
    const hit = exact?.find((r) => underPrefix(path, r.pathPrefix));
    if (hit) return hit;
    for (const suffix of this.suffixes) {
      if (host.length > suffix.length && host.endsWith(suffix)) {
        const r = this.wildcard.get(suffix)!.find((x) => underPrefix(path, x.pathPrefix));
        if (r) return r;
      }
    }
    return undefined;
  }
}
