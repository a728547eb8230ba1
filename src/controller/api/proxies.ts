/**
 * The edge proxies: each follows the route table (a long-poll, like agents follow their
 * desired state) with the credential of the host it runs on, and reports the replica health
 * it sees (shown by `hafen status`) and the requests it counted per app and hour (the
 * traffic history, GET /v1/traffic).
 */
import type { FastifyInstance } from 'fastify';
import type { ControllerService } from '../service.js';
import { HafenError } from '../../lib/errors.js';
import { requireHost, requireRole } from './auth.js';
import { ProxyStatusBody } from './schemas.js';
import { body } from './validate.js';

const MAX_WAIT_S = 30;

export function proxyRoutes(app: FastifyInstance, service: ControllerService, now: () => Date): void {
  app.get<{ Querystring: { after?: string; wait?: string } }>('/v1/proxy/routes', async (req) => {
    const host = await requireHost(service.store, req);
    const wait = Math.min(Math.max(Number(req.query.wait ?? 0) || 0, 0), MAX_WAIT_S);
    const res = wait > 0 ? await service.waitForRoutes(req.query.after, wait * 1000) : { ...(await service.routes()), changed: true };
    const site = (await service.current())?.fleet.hosts.find((h) => h.id === host)?.site ?? null;
    return { hash: res.hash, changed: res.changed, site, table: res.table };
  });

  app.post('/v1/proxy/status', async (req, reply) => {
    const host = await requireHost(service.store, req);
    const { traffic, ...view } = body(ProxyStatusBody, req);
    service.recordProxyView(host, { ...view, reportedAt: now().toISOString() });
    if (traffic?.length) await service.store.addTraffic(traffic.map((t) => ({ ...t, site: view.site })));
    return reply.code(204).send();
  });

  app.get<{ Querystring: { since?: string; app?: string } }>('/v1/traffic', async (req) => {
    await requireRole(service.store, req, 'viewer');
    const since = req.query.since ?? new Date(now().getTime() - 24 * 3600 * 1000).toISOString();
    if (Number.isNaN(Date.parse(since))) throw new HafenError('HAFEN_API_BAD_REQUEST', `since must be an ISO 8601 time, not "${since}"`);
    return { traffic: await service.store.traffic({ since: new Date(since).toISOString(), ...(req.query.app ? { app: req.query.app } : {}) }) };
  });
}
