/**
 * The proxies' side of fencing (pure): a route table may come from a controller that is behind
 * (a store restored, a deposed leader answering) or from a cache; a proxy never goes back to an
 * older writer of a standby app. A route whose term is older than the one this proxy already
 * applied for the same host and path keeps the newer route.
 */
import type { Route, RouteTable } from '../render/routes.js';

const key = (r: Pick<Route, 'host' | 'pathPrefix'>) => `${r.host}\u0000${r.pathPrefix}`;

/** `next`, with every route of an older term than `applied` had replaced by the applied one; `kept` names their apps. */
export function keepNewestTerms(next: RouteTable, applied: RouteTable | undefined): { table: RouteTable; kept: string[] } {
  if (!applied) return { table: next, kept: [] };
  const before = new Map(applied.routes.filter((r) => r.term !== undefined).map((r) => [key(r), r]));
  if (before.size === 0) return { table: next, kept: [] };
  const kept = new Set<string>();
  const routes = next.routes.map((r) => {
    const old = before.get(key(r));
    if (!old || r.term === undefined || old.term! <= r.term) return r;
    kept.add(r.app);
    return old;
  });
  return kept.size ? { table: { ...next, routes }, kept: [...kept].sort() } : { table: next, kept: [] };
}
