/**
 * The checks hafen runs, derived from the fleet and its placements so that nothing is written
 * twice: every replica directly (its health endpoint, a PostgreSQL server's answer, or a TCP
 * connect when the app declares no HTTP health), every domain through the edge proxies (what a customer's visitor sees),
 * and every domain's TLS certificate at the proxies. Every site probes every check; a
 * check's state comes from all sites' results (quorum.ts).
 *
 * Checks through the proxies name no address: the controller resolves them for each probing
 * site to that site's proxies (`resolveProbes`), so a visitor's path is what is measured.
 */
import { z } from 'zod';
import type { Fleet } from '../fleet/model.js';
import type { Placement } from '../placement/types.js';
import { contentHash } from '../util/canonical.js';
import { naturalCompare } from '../util/natural-sort.js';
import { unitName } from '../render/desired.js';

/** postgres: a PostgreSQL server answers (an SSLRequest gets its one-byte reply): a server that hangs with its socket open fails it, where a TCP connect would pass. */
export const CHECK_KINDS = ['http', 'tcp', 'tls', 'postgres'] as const;

/** TLS certificates change rarely: probed hourly, failing 14 days before they end. */
export const TLS_DEFAULTS = { intervalMs: 3_600_000, minDaysLeft: 14 } as const;

export const ProbeSchema = z.object({
  id: z.string().min(1),
  kind: z.enum(CHECK_KINDS),
  address: z.string().min(1),
  port: z.number().int().min(1).max(65535),
  /** http: the Host header; tls: the name sent by SNI. */
  host: z.string().optional(),
  path: z.string().startsWith('/').optional(),
  /** http over TLS. */
  https: z.boolean().optional(),
  expectStatus: z.number().int().optional(),
  keyword: z.string().optional(),
  /** tls: fail when the certificate ends within this many days. */
  minDaysLeft: z.number().int().min(0).optional(),
  intervalMs: z.number().int().min(100),
  timeoutMs: z.number().int().min(50),
});

/** What one prober runs: resolved to an address, with nothing else it does not need. */
export type Probe = z.output<typeof ProbeSchema>;

export interface Check {
  id: string;
  kind: (typeof CHECK_KINDS)[number];
  /** What the check watches, in words for alerts: "replica acme-shop-r1 on nue-app-01". */
  title: string;
  app: string;
  customer: string;
  critical: boolean;
  /** Where the target runs (replica checks); absent for checks through the proxies. */
  site?: string;
  host?: string;
  /** Direct checks: the replica's address. Checks through the proxies: absent (resolved per site). */
  address?: string;
  port?: number;
  via: 'direct' | 'proxy';
  /** Domain (Host header and SNI) for checks through the proxies. */
  domain?: string;
  /** Through the proxies' HTTPS listener (apps that redirect plain HTTP to HTTPS). */
  https?: boolean;
  path?: string;
  expectStatus?: number;
  keyword?: string;
  minDaysLeft?: number;
  intervalMs: number;
  timeoutMs: number;
  fall: number;
  rise: number;
}

/**
 * Every check for `placements`. `addresses` gives where each host's units are reachable; a
 * replica on a host without an address gets no direct check (nothing could reach it), and the
 * fleet validation already reports such hosts.
 */
export function deriveChecks(fleet: Fleet, placements: readonly Placement[], addresses: ReadonlyMap<string, string>): Check[] {
  const byApp = new Map<string, Placement[]>();
  for (const p of placements) byApp.set(p.app, [...(byApp.get(p.app) ?? []), p]);
  const checks: Check[] = [];
  for (const app of fleet.apps) {
    const base = { ...app.monitoring };
    const owner = { app: app.id, customer: app.customer, critical: app.criticality === 'critical' };
    // Without a port the app takes no traffic: only its extra checks (below) apply.
    for (const p of app.port === undefined ? [] : (byApp.get(app.id) ?? [])) {
      const address = addresses.get(p.host);
      if (!address) continue;
      const unit = unitName(app.id, p.replica);
      const where = { site: p.site, host: p.host, address, port: app.port!, via: 'direct' as const };
      if (app.health) {
        checks.push({
          id: `replica:${unit}`,
          kind: 'http',
          title: `replica ${unit} on ${p.host}`,
          ...owner,
          ...where,
          path: app.health.path,
          expectStatus: app.health.expectStatus,
          ...(app.health.keyword !== undefined ? { keyword: app.health.keyword } : {}),
          ...base,
        });
      } else if (app.workload.postgres) {
        checks.push({ id: `replica:${unit}`, kind: 'postgres', title: `replica ${unit} on ${p.host} (PostgreSQL, port ${app.port})`, ...owner, ...where, ...base });
      } else {
        checks.push({ id: `replica:${unit}`, kind: 'tcp', title: `replica ${unit} on ${p.host} (port ${app.port})`, ...owner, ...where, ...base });
      }
    }
    for (const extra of app.checks) {
      if (extra.http?.via === 'proxy') {
        for (const domain of app.domains.filter((d) => !d.startsWith('*.'))) {
          checks.push({ id: `extra:${app.id}:${extra.name}:${domain}`, kind: 'http', title: `${extra.name} of ${domain} through the proxies`, ...owner, via: 'proxy', domain, ...(app.httpsRedirect ? { https: true } : {}), path: extra.http.path, expectStatus: extra.http.expectStatus, ...(extra.http.keyword !== undefined ? { keyword: extra.http.keyword } : {}), ...base });
        }
        continue;
      }
      for (const p of byApp.get(app.id) ?? []) {
        const address = addresses.get(p.host);
        if (!address) continue;
        const unit = unitName(app.id, p.replica);
        const where = { site: p.site, host: p.host, address, via: 'direct' as const };
        if (extra.tcp) checks.push({ id: `extra:${unit}:${extra.name}`, kind: 'tcp', title: `${extra.name} of ${unit} on ${p.host} (port ${extra.tcp.port})`, ...owner, ...where, port: extra.tcp.port, ...base });
        else if (extra.http) {
          checks.push({ id: `extra:${unit}:${extra.name}`, kind: 'http', title: `${extra.name} of ${unit} on ${p.host}`, ...owner, ...where, port: (extra.http.port ?? app.port)!, path: extra.http.path, expectStatus: extra.http.expectStatus, ...(extra.http.keyword !== undefined ? { keyword: extra.http.keyword } : {}), ...base });
        }
      }
    }
    for (const domain of app.port === undefined ? [] : app.domains) {
      // A wildcard is a family of names, not one a probe could ask for.
      if (domain.startsWith('*.')) continue;
      checks.push({
        id: `domain:${domain}`,
        kind: 'http',
        title: `${domain} through the proxies`,
        ...owner,
        via: 'proxy',
        domain,
        ...(app.httpsRedirect ? { https: true } : {}),
        path: app.health?.path ?? '/',
        expectStatus: app.health?.expectStatus ?? 200,
        ...(app.health?.keyword !== undefined ? { keyword: app.health.keyword } : {}),
        ...base,
      });
      checks.push({
        id: `tls:${domain}`,
        kind: 'tls',
        title: `TLS certificate of ${domain}`,
        ...owner,
        via: 'proxy',
        domain,
        minDaysLeft: TLS_DEFAULTS.minDaysLeft,
        ...base,
        intervalMs: Math.max(TLS_DEFAULTS.intervalMs, base.intervalMs),
      });
    }
  }
  return checks.sort((a, b) => naturalCompare(a.id, b.id));
}

/** Where a site's proxies take traffic: plain HTTP and, when they terminate TLS, HTTPS. */
export interface ProxyEndpoint {
  site: string;
  address: string;
  port: number;
  tlsPort?: number;
}

/**
 * The probes a prober at `site` runs: direct checks as they are, checks through the proxies
 * sent to the first proxy of the own site (or of any site when the own has none: the path
 * through another site's proxy is still a visitor's path). TLS checks need a proxy with TLS.
 */
export function resolveProbes(checks: readonly Check[], site: string, proxies: readonly ProxyEndpoint[]): Probe[] {
  const sorted = [...proxies].sort((a, b) => Number(b.site === site) - Number(a.site === site) || naturalCompare(a.site, b.site) || naturalCompare(a.address, b.address));
  const plain = sorted[0];
  const secure = sorted.find((p) => p.tlsPort !== undefined);
  const probes: Probe[] = [];
  for (const c of checks) {
    const timing = { intervalMs: c.intervalMs, timeoutMs: c.timeoutMs };
    if (c.via === 'direct') {
      probes.push({
        id: c.id,
        kind: c.kind,
        address: c.address!,
        port: c.port!,
        ...(c.path !== undefined ? { path: c.path } : {}),
        ...(c.expectStatus !== undefined ? { expectStatus: c.expectStatus } : {}),
        ...(c.keyword !== undefined ? { keyword: c.keyword } : {}),
        ...timing,
      });
    } else if (c.kind === 'tls') {
      if (secure) probes.push({ id: c.id, kind: 'tls', address: secure.address, port: secure.tlsPort!, host: c.domain!, minDaysLeft: c.minDaysLeft ?? TLS_DEFAULTS.minDaysLeft, ...timing });
    } else if (c.https ? secure : plain) {
      const proxy = c.https ? secure! : plain!;
      probes.push({
        id: c.id,
        kind: c.kind,
        address: proxy.address,
        port: c.https ? proxy.tlsPort! : proxy.port,
        ...(c.https ? { https: true } : {}),
        host: c.domain!,
        path: c.path ?? '/',
        expectStatus: c.expectStatus ?? 200,
        ...(c.keyword !== undefined ? { keyword: c.keyword } : {}),
        ...timing,
      });
    }
  }
  return probes;
}

/** Hash of a probe list: equal hash, nothing for a prober to change. */
export function probesHash(probes: readonly Probe[]): string {
  return contentHash(probes);
}
