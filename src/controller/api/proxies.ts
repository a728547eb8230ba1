/**
 * The edge proxies: each follows the route table (a long-poll, like agents follow their
 * desired state) with the credential of the host it runs on, and reports the replica health
 * it sees, which `hafen status` shows per proxy.
 */
import type { FastifyInstance } from 'fastify';
import type { ControllerService } from '../service.js';
import { requireHost } from './auth.js';
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
    const b = body(ProxyStatusBody, req);
    service.proxyViews.set(host, { ...b, reportedAt: now().toISOString() });
    return reply.code(204).send();
  });
}
