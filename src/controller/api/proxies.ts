/**
 * The edge proxies: each follows the route table (a long-poll, like agents follow their
 * desired state) with the credential of the host it runs on, and reports the replica health
 * it sees (shown by `hafen status`) and the requests it counted per app and hour (the
 * traffic history, GET /v1/traffic).
 */
import type { FastifyInstance } from 'fastify';
import { HafenError } from '../../lib/errors.js';
import { trafficReport } from '../../core/traffic/report.js';
import { TRAFFIC_RESOLUTIONS, type Store, type TrafficResolution } from '../store/store.js';
import { type Credentials, customerScope, requireHost, requireReader } from './auth.js';
import { ProxyStatusBody } from './schemas.js';
import { body } from './validate.js';
import type { Snapshot } from '../snapshot.js';
import type { Pulls } from '../pulls.js';

/** What the proxies' routes need: the route table they pull, their reports, and traffic. */
export interface ProxiesApi {
  auth: Credentials;
  store: Pick<Store, 'addTraffic' | 'connectionPeaks' | 'traffic'>;
  current(): Promise<Snapshot | undefined>;
  routes: Pulls['routes'];
  waitForRoutes: Pulls['waitForRoutes'];
  recordProxyView: Pulls['recordProxyView'];
}

const MAX_WAIT_S = 30;

export function proxyRoutes(app: FastifyInstance, api: ProxiesApi, now: () => Date): void {
  app.get<{ Querystring: { after?: string; wait?: string } }>('/v1/proxy/routes', async (req) => {
    const host = await requireHost(api.auth, req);
    const wait = Math.min(Math.max(Number(req.query.wait ?? 0) || 0, 0), MAX_WAIT_S);
    const res = wait > 0 ? await api.waitForRoutes(req.query.after, wait * 1000) : { ...(await api.routes()), changed: true };
    const site = (await api.current())?.fleet.hosts.find((h) => h.id === host)?.site ?? null;
    return { hash: res.hash, changed: res.changed, site, table: res.table };
  });

  // A proxy reports for its own host's site only, from a proxy (or edge) host where the site has
  // them, and traffic only of apps the fleet has: no host can make up another's numbers.
  app.post('/v1/proxy/status', async (req, reply) => {
    const host = await requireHost(api.auth, req);
    const { traffic, connections, ...view } = body(ProxyStatusBody, req);
    const fleet = (await api.current())?.fleet;
    const spec = fleet?.hosts.find((h) => h.id === host);
    if (!fleet || !spec) throw new HafenError('HAFEN_HOST_NOT_FOUND', `host ${host} is not in the fleet's newest revision`);
    if (view.site !== spec.site) throw new HafenError('HAFEN_AUTH_FORBIDDEN', `host ${host} is at site ${spec.site}: its proxy reports for that site, not for ${view.site}`);
    const proxyHosts = fleet.hosts.filter((h) => h.site === spec.site && (h.role === 'proxy' || h.role === 'edge')).map((h) => h.id);
    if (proxyHosts.length > 0 && !proxyHosts.includes(host)) throw new HafenError('HAFEN_AUTH_FORBIDDEN', `site ${spec.site}'s proxies run on ${proxyHosts.join(', ')}; host ${host} (role ${spec.role}) reports no proxy status`);
    const apps = new Set(fleet.apps.map((a) => a.id));
    const counted = (traffic ?? []).filter((t) => apps.has(t.app));
    api.recordProxyView(host, { ...view, reportedAt: now().toISOString() });
    if (counted.length || connections?.length) {
      await api.store.addTraffic(
        counted.map((t) => ({ ...t, site: view.site })),
        (connections ?? []).map((c) => ({ ...c, site: view.site, proxy: host })),
        now().toISOString(),
      );
    }
    return reply.code(204).send();
  });

  app.get<{ Querystring: { since?: string; app?: string; customer?: string; resolution?: string } }>('/v1/traffic', async (req) => {
    const who = await requireReader(api.auth, req);
    const q = { ...req.query, customer: customerScope(who, req.query.customer) };
    const resolution = (q.resolution ?? 'hour') as TrafficResolution;
    if (!TRAFFIC_RESOLUTIONS.includes(resolution)) throw new HafenError('HAFEN_API_BAD_REQUEST', `resolution must be one of ${TRAFFIC_RESOLUTIONS.join(', ')}, not "${q.resolution}"`);
    const since = q.since ?? new Date(now().getTime() - 24 * 3600 * 1000).toISOString();
    if (Number.isNaN(Date.parse(since))) throw new HafenError('HAFEN_API_BAD_REQUEST', `since must be an ISO 8601 time, not "${since}"`);
    const apps = await appsOf(api, q.app, q.customer);
    return { resolution, traffic: await api.store.traffic({ since: new Date(since).toISOString(), resolution, ...(apps ? { apps } : {}) }) };
  });

  app.get<{ Querystring: { days?: string; app?: string; customer?: string } }>('/v1/traffic/report', async (req) => {
    const who = await requireReader(api.auth, req);
    const q = { ...req.query, customer: customerScope(who, req.query.customer) };
    const days = q.days === undefined ? 30 : Number(q.days);
    if (!Number.isInteger(days) || days < 1 || days > 3660) throw new HafenError('HAFEN_API_BAD_REQUEST', `days must be a whole number from 1 to 3660, not "${q.days}"`);
    const t = now();
    const since = new Date(Date.UTC(t.getUTCFullYear(), t.getUTCMonth(), t.getUTCDate()) - (days - 1) * 86_400_000).toISOString();
    const apps = await appsOf(api, q.app, q.customer);
    const rows = await api.store.traffic({ since, resolution: 'day', ...(apps ? { apps } : {}) });
    // Connection peaks are the proxies' (all apps): only in a report of the whole fleet.
    const peaks = apps ? [] : await api.store.connectionPeaks({ since, resolution: 'day' });
    return { ...(q.app ? { app: q.app } : {}), ...(q.customer ? { customer: q.customer } : {}), ...trafficReport(rows, peaks, t, days) };
  });
}

/** The apps a query names: one app (of the customer, when one is named), a customer's apps, or undefined for all. */
async function appsOf(api: ProxiesApi, app: string | undefined, customer: string | undefined): Promise<string[] | undefined> {
  const fleet = (await api.current())?.fleet;
  if (app && customer && fleet?.apps.find((a) => a.id === app)?.customer !== customer) throw new HafenError('HAFEN_APP_NOT_FOUND', `customer "${customer}" has no app "${app}"`);
  if (app) return [app];
  if (!customer) return undefined;
  if (!fleet?.customers.some((c) => c.id === customer)) throw new HafenError('HAFEN_CUSTOMER_NOT_FOUND', `no customer "${customer}" in the newest revision`);
  return fleet.apps.filter((a) => a.customer === customer).map((a) => a.id);
}
