/**
 * Standby apps: GET /v1/standbys lists each one's term, writer and the freshness of its
 * standbys' copies (a customer's token: its own apps); POST /v1/apps/:app/failover starts a
 * switchover to the app's standby at a site (operators): the writer stops, a final copy, the
 * standby writes (controller/standbys.ts).
 */
import type { FastifyInstance } from 'fastify';
import type { Standbys } from '../standbys.js';
import { type Credentials, requireReader, requireRole } from './auth.js';
import { noteAudit } from '../audit.js';
import { FailoverBody } from './schemas.js';
import { body } from './validate.js';

export interface StandbysApi {
  auth: Credentials;
  standbys: Pick<Standbys, 'views' | 'switchover'>;
}

export function standbyRoutes(app: FastifyInstance, api: StandbysApi): void {
  app.get('/v1/standbys', async (req) => {
    const who = await requireReader(api.auth, req);
    const all = await api.standbys.views();
    return { standbys: who.customer === undefined ? all : all.filter((v) => v.customer === who.customer) };
  });

  app.post<{ Params: { app: string } }>('/v1/apps/:app/failover', async (req, reply) => {
    const who = await requireRole(api.auth, req, 'operator');
    const b = body(FailoverBody, req);
    const switchover = await api.standbys.switchover(req.params.app, b.to);
    noteAudit(req, { actor: who.name, action: 'app.switchover', subject: req.params.app, ...(b.to ? { detail: { to: b.to } } : {}) });
    return reply.code(202).send({ switchover });
  });
}
