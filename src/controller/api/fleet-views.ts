/**
 * The newest revision seen whole, for the dashboard and scripts: capacity per site and host
 * (allocated, usable, N+1), the blast radius of every single failure against the policy, and a
 * site's blueprint (segments, addresses, hosts). Computed once per revision (pure core
 * functions over the stored plan), never from what agents report.
 */
import type { FastifyInstance } from 'fastify';
import { capacityReport, type CapacityReport } from '../../core/placement/capacity.js';
import { siteReport, type SiteReport } from '../../core/render/site-report.js';
import { analyseRisk, type RiskReport } from '../../core/risk/scenarios.js';
import { HafenError } from '../../lib/errors.js';
import type { Snapshot } from '../snapshot.js';
import { type Credentials, requireRole } from './auth.js';

/** What the fleet views need: the newest revision. */
export interface FleetViewsApi {
  auth: Credentials;
  current(): Promise<Snapshot | undefined>;
}

interface Views {
  capacity?: CapacityReport;
  risk?: RiskReport;
  sites: Map<string, SiteReport | undefined>;
}

export function fleetViewRoutes(app: FastifyInstance, api: FleetViewsApi): void {
  // One snapshot per revision (and secret change): its views live as long as it does.
  const cache = new WeakMap<Snapshot, Views>();
  const views = (cur: Snapshot): Views => {
    let v = cache.get(cur);
    if (!v) cache.set(cur, (v = { sites: new Map() }));
    return v;
  };
  const newest = async (): Promise<Snapshot> => {
    const cur = await api.current();
    if (!cur) throw new HafenError('HAFEN_REVISION_NOT_FOUND', 'no fleet has been applied yet (hafen apply)');
    return cur;
  };

  app.get('/v1/capacity', async (req) => {
    await requireRole(api.auth, req, 'viewer');
    const cur = await newest();
    const v = views(cur);
    v.capacity ??= capacityReport(cur.fleet, cur.placements);
    return { revision: cur.revision, ...v.capacity };
  });

  app.get('/v1/risk', async (req) => {
    await requireRole(api.auth, req, 'viewer');
    const cur = await newest();
    const v = views(cur);
    v.risk ??= analyseRisk(cur.fleet, cur.placements);
    return { revision: cur.revision, limit: cur.fleet.policies.maxCustomerShare, ...v.risk };
  });

  app.get<{ Params: { site: string } }>('/v1/sites/:site', async (req) => {
    await requireRole(api.auth, req, 'viewer');
    const cur = await newest();
    const sites = views(cur).sites;
    // Rendering every host's ruleset for its rule count is the costly part: once per revision and site.
    if (!sites.has(req.params.site) && cur.fleet.sites.some((s) => s.id === req.params.site)) sites.set(req.params.site, siteReport(cur.fleet, cur.ipam ?? { segments: [], hosts: [] }, cur.placements, req.params.site));
    const report = sites.get(req.params.site);
    if (!report) throw new HafenError('HAFEN_SITE_NOT_FOUND', `no site "${req.params.site}" in revision ${cur.revision} (sites: ${cur.fleet.sites.map((s) => s.id).join(', ')})`);
    return { revision: cur.revision, ...report };
  });
}
