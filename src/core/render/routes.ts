/**
 * The edge proxies' route table, rendered from a fleet and its placements: every domain of
 * every app, with the app's replicas at every site (each proxy prefers its own site and fails
 * over to the others; of a standby app's replicas only the active one takes requests). Pure
 * data, sorted, so the same fleet gives the same table byte for byte and a proxy can tell a real
 * change from a repeat.
 */
import { z } from 'zod';
import type { Fleet } from '../fleet/model.js';
import type { Placement } from '../placement/types.js';
import { contentHash } from '../util/canonical.js';
import { parseDuration } from '../fleet/schema/monitoring.js';
import { naturalCompare } from '../util/natural-sort.js';
import { unitName } from './desired.js';
import { appRoles, writes, type AppRole } from '../standby/roles.js';

export const ReplicaSchema = z.object({
  /** The unit name, `<app>-r<n>`: stable, so health state survives table updates. */
  id: z.string().min(1),
  site: z.string().min(1),
  host: z.string().min(1),
  address: z.string().min(1).describe('IPv4 address (or host name) the replica listens on'),
  port: z.number().int().min(1).max(65535),
  weight: z.number().int().min(0).max(1000).default(100).describe('Share of the traffic among usable replicas; 0 takes none'),
  state: z.enum(['active', 'drain']).default('active').describe('drain: no new requests; requests in flight finish'),
});

export const RouteSchema = z.object({
  /** Exact host name, or "*.example.com" for any name below example.com. */
  host: z.string().min(1),
  pathPrefix: z.string().startsWith('/').default('/'),
  app: z.string().min(1),
  customer: z.string().optional(),
  health: z.object({ path: z.string().startsWith('/'), expectStatus: z.number().int() }).optional(),
  /** Answer plain HTTP with a redirect to HTTPS. */
  redirectHttps: z.boolean().default(false),
  replicas: z.array(ReplicaSchema),
  /** false while the app moves between sites: every proxy weighs the replicas alike, wherever they are (default: own site first). */
  siteAffinity: z.boolean().optional(),
  /** A standby app's term: the replica of weight 100 is the writer of this term (proxies never go back to an older term's). */
  term: z.number().int().min(1).optional(),
  /** The app's own try timeout (fleet proxy.tryTimeout), instead of the one derived from its replicas' answers. */
  tryTimeoutMs: z.number().int().min(1).optional(),
});

export const RouteTableSchema = z.object({
  revision: z.number().int().min(0),
  routes: z.array(RouteSchema),
  /** Sites the controller declared lost (two other sites see all of them down): their replicas are used last, the own site's included. */
  avoidSites: z.array(z.string()).optional(),
});

export type Replica = z.output<typeof ReplicaSchema>;
export type Route = z.output<typeof RouteSchema>;
export type RouteTable = z.output<typeof RouteTableSchema>;

/**
 * The route table for `placements`. `addresses` gives where each host's units are reachable
 * (the IPAM address, or what the host's agent reports); a replica on a host without an
 * address is left out, since no proxy could reach it.
 */
export function routeTable(fleet: Fleet, placements: readonly Placement[], revision: number, addresses: ReadonlyMap<string, string>, avoidSites: readonly string[] = [], roles: ReadonlyMap<string, AppRole> = appRoles(fleet, placements, [])): RouteTable {
  const byApp = new Map<string, Placement[]>();
  for (const p of placements) byApp.set(p.app, [...(byApp.get(p.app) ?? []), p]);
  const routes: Route[] = [];
  for (const app of fleet.apps) {
    if (app.domains.length === 0 || app.port === undefined) continue;
    const placed = byApp.get(app.id) ?? [];
    // A standby app has one writer: its active replica (core/standby/roles.ts) takes every request
    // at every proxy; the others take none (weight 0 is never used, not even as a last resort).
    const role = roles.get(app.id);
    const replicas: Replica[] = placed
      .filter((p) => addresses.has(p.host))
      .map((p) => ({ id: unitName(app.id, p.replica), site: p.site, host: p.host, address: addresses.get(p.host)!, port: app.port!, weight: writes(roles, p) ? 100 : 0, state: 'active' as const }))
      .sort((a, b) => naturalCompare(a.id, b.id));
    for (const host of app.domains) {
      routes.push({
        host,
        pathPrefix: '/',
        app: app.id,
        customer: app.customer,
        ...(app.health ? { health: { path: app.health.path, expectStatus: app.health.expectStatus } } : {}),
        redirectHttps: app.httpsRedirect,
        replicas,
        ...(role ? { term: role.term } : {}),
        ...(app.proxy?.tryTimeout !== undefined ? { tryTimeoutMs: parseDuration(app.proxy.tryTimeout)! } : {}),
      });
    }
  }
  routes.sort((a, b) => naturalCompare(a.host, b.host) || naturalCompare(a.pathPrefix, b.pathPrefix));
  return { revision, routes, ...(avoidSites.length ? { avoidSites: [...avoidSites].sort() } : {}) };
}

/** Hash of a table without its revision: equal hash, nothing for a proxy to change. */
export function routeTableHash(table: Pick<RouteTable, 'routes' | 'avoidSites'>): string {
  return table.avoidSites?.length ? contentHash({ routes: table.routes, avoidSites: table.avoidSites }) : contentHash(table.routes);
}
