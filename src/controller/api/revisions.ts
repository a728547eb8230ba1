/** Fleet revisions: plan, apply, list, read, roll back. */
import type { FastifyInstance } from 'fastify';
import { HafenError } from '../../lib/errors.js';
import type { ControllerService } from '../service.js';
import { requireRole } from './auth.js';
import { ApplyBody, PlanBody, RollbackBody } from './schemas.js';
import { body } from './validate.js';


export function revisionRoutes(app: FastifyInstance, service: ControllerService): void {
  app.post('/v1/plan', async (req) => {
    await requireRole(service.store, req, 'operator');
    const b = body(PlanBody, req);
    return service.plan(b.sources, b.site, b.allocations);
  });

  app.post('/v1/apply', async (req) => {
    const user = await requireRole(service.store, req, 'operator');
    const b = body(ApplyBody, req);
    const site = b.site === undefined ? undefined : { site: b.site, ...(b.batch !== undefined ? { batch: b.batch } : {}), ...(b.gateTimeoutSeconds !== undefined ? { gateTimeoutMs: b.gateTimeoutSeconds * 1000 } : {}) };
    return service.apply(b.sources, b.parent, user.name, b.message, site, b.allocations);
  });

  app.get<{ Querystring: { limit?: string } }>('/v1/rollouts', async (req) => {
    await requireRole(service.store, req, 'viewer');
    const limit = Math.min(Math.max(Number(req.query.limit ?? 20) || 20, 1), 500);
    return { rollouts: await service.store.rollouts(limit) };
  });

  app.get<{ Params: { id: string } }>('/v1/rollouts/:id', async (req) => {
    await requireRole(service.store, req, 'viewer');
    const r = await service.store.rollout(Number(req.params.id));
    if (!r) throw new HafenError('HAFEN_ROLLOUT_NOT_FOUND', `there is no rollout ${req.params.id}`);
    return r;
  });

  app.post<{ Params: { id: string } }>('/v1/rollouts/:id/abort', async (req) => {
    const user = await requireRole(service.store, req, 'operator');
    return service.rollouts.abort(Number(req.params.id), user.name);
  });

  app.post('/v1/rollback', async (req) => {
    const user = await requireRole(service.store, req, 'operator');
    return service.rollback(body(RollbackBody, req).to, user.name);
  });

  app.get('/v1/revisions', async (req) => {
    await requireRole(service.store, req, 'viewer');
    return { revisions: await service.store.listRevisions() };
  });

  app.get<{ Params: { number: string } }>('/v1/revisions/:number', async (req) => {
    await requireRole(service.store, req, 'viewer');
    const rev = await service.store.getRevision(Number(req.params.number));
    if (!rev) throw new HafenError('HAFEN_REVISION_NOT_FOUND', `there is no revision ${req.params.number}`);
    return rev;
  });
}
