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
    return service.plan(body(PlanBody, req).sources);
  });

  app.post('/v1/apply', async (req) => {
    const user = await requireRole(service.store, req, 'operator');
    const b = body(ApplyBody, req);
    return service.apply(b.sources, b.parent, user.name, b.message);
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
