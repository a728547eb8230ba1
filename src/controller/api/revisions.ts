/** Fleet revisions: plan, apply, list, read, roll back. */
import type { FastifyInstance } from 'fastify';
import { HafenError } from '../../lib/errors.js';
import { type Credentials, requireRole } from './auth.js';
import { noteAudit } from '../audit.js';
import { receiveProjects } from '../projects.js';
import { ApplyBody, RollbackBody } from './schemas.js';
import { body } from './validate.js';
import type { Store } from '../store/store.js';
import type { ApplyResult, RevisionKeeper } from '../revisions.js';
import type { Rollouts } from '../rollouts.js';

/** What the revision routes need: plan, apply, rollback, and the stored revisions and rollouts. */
export interface RevisionsApi {
  auth: Credentials;
  store: Pick<Store, 'getRevision' | 'listRevisions' | 'rollout' | 'rollouts'>;
  planBody: RevisionKeeper['planBody'];
  apply: RevisionKeeper['apply'];
  rollback: RevisionKeeper['rollback'];
  rollouts: Pick<Rollouts, 'abort'>;
}


/** What the history keeps of an apply: its message, the staged rollout and holds, what it destroyed when allowed to. */
function applyDetail(r: ApplyResult, message: string | undefined, allowDestroy: boolean): Record<string, string | number | boolean> {
  return {
    ...(message ? { message } : {}),
    ...(r.rollout ? { rollout: r.rollout.id, site: r.rollout.site } : {}),
    ...(r.held?.length ? { held: r.held.length } : {}),
    ...(allowDestroy ? { allowDestroy: true } : {}),
  };
}

export function revisionRoutes(app: FastifyInstance, api: RevisionsApi): void {
  // The body as bytes: the planner's worker parses and checks it (a 30 MB fleet's JSON would hold the event loop).
  app.register(async (scope) => {
    scope.addContentTypeParser('application/json', { parseAs: 'buffer' }, (_req, raw, done) => done(null, raw));
    scope.post('/v1/plan', async (req, reply) => {
      await requireRole(api.auth, req, 'operator');
      if (!Buffer.isBuffer(req.body)) throw new HafenError('HAFEN_API_BAD_REQUEST', 'a plan is JSON (Content-Type: application/json): {"sources": [{"name", "text"}], …}');
      const answer = await api.planBody(req.body);
      // The plan's JSON as the worker wrote it: sent as it is.
      if (answer instanceof Uint8Array) return reply.type('application/json; charset=utf-8').send(Buffer.from(answer.buffer, answer.byteOffset, answer.byteLength));
      return answer;
    });
  });

  app.post('/v1/apply', async (req) => {
    const user = await requireRole(api.auth, req, 'operator');
    const b = body(ApplyBody, req);
    const site = b.site === undefined ? undefined : { site: b.site, ...(b.batch !== undefined ? { batch: b.batch } : {}), ...(b.gateTimeoutSeconds !== undefined ? { gateTimeoutMs: b.gateTimeoutSeconds * 1000 } : {}) };
    const result = await api.apply({ sources: b.sources, projects: receiveProjects(b.projects), parent: b.parent, author: user.name, message: b.message, site, lock: b.allocations, ...(b.allowDestroy ? { allowDestroy: true } : {}) });
    noteAudit(req, { actor: user.name, action: 'apply', subject: String(result.revision), detail: applyDetail(result, b.message, b.allowDestroy === true) });
    return result;
  });

  app.get<{ Querystring: { limit?: string } }>('/v1/rollouts', async (req) => {
    await requireRole(api.auth, req, 'viewer');
    const limit = Math.min(Math.max(Number(req.query.limit ?? 20) || 20, 1), 500);
    return { rollouts: await api.store.rollouts(limit) };
  });

  app.get<{ Params: { id: string } }>('/v1/rollouts/:id', async (req) => {
    await requireRole(api.auth, req, 'viewer');
    const r = await api.store.rollout(Number(req.params.id));
    if (!r) throw new HafenError('HAFEN_ROLLOUT_NOT_FOUND', `there is no rollout ${req.params.id}`);
    return r;
  });

  app.post<{ Params: { id: string } }>('/v1/rollouts/:id/abort', async (req) => {
    const user = await requireRole(api.auth, req, 'operator');
    const aborted = await api.rollouts.abort(Number(req.params.id), user.name);
    noteAudit(req, { actor: user.name, action: 'rollout.abort', subject: req.params.id });
    return aborted;
  });

  app.post('/v1/rollback', async (req) => {
    const user = await requireRole(api.auth, req, 'operator');
    const b = body(RollbackBody, req);
    const result = await api.rollback(b.to, user.name, b.allowDestroy === true);
    noteAudit(req, { actor: user.name, action: 'rollback', subject: String(result.revision), detail: { ...applyDetail(result, undefined, b.allowDestroy === true), to: b.to } });
    return result;
  });

  app.get('/v1/revisions', async (req) => {
    await requireRole(api.auth, req, 'viewer');
    return { revisions: await api.store.listRevisions() };
  });

  app.get<{ Params: { number: string } }>('/v1/revisions/:number', async (req) => {
    await requireRole(api.auth, req, 'viewer');
    const rev = await api.store.getRevision(Number(req.params.number));
    if (!rev) throw new HafenError('HAFEN_REVISION_NOT_FOUND', `there is no revision ${req.params.number}`);
    return rev;
  });
}
