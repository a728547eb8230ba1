/**
 * Moves between sites: operators propose them (the controller plans on the newest revision),
 * read them with their events, record a customer's answer given another way, or cancel them;
 * customers answer through their link (GET shows the move, POST answers; the token in the path
 * is the only credential, and request logs never show it).
 */
import type { FastifyInstance } from 'fastify';
import { HafenError } from '../../lib/errors.js';
import type { ControllerService } from '../service.js';
import { requireReader, requireRole } from './auth.js';
import { consentPage } from './consent-page.js';
import { ConsentLinkBody, MigrationConsentBody, MigrationProposeBody } from './schemas.js';
import { body } from './validate.js';

export function migrationRoutes(app: FastifyInstance, service: ControllerService): void {
  const m = service.migrations;
  app.post('/v1/migrations', async (req, reply) => {
    const who = await requireRole(service.store, req, 'operator');
    const b = body(MigrationProposeBody, req);
    const proposal = await m.propose({ to: b.to, ...(b.apps ? { apps: b.apps } : {}), ...(b.share !== undefined ? { share: b.share } : {}), ...(b.from ? { from: b.from } : {}), ...(b.start ? { start: b.start } : {}), ...(b.days ? { days: b.days } : {}) }, who.name);
    return reply.code(201).send(proposal);
  });

  app.get<{ Querystring: { open?: string; limit?: string } }>('/v1/migrations', async (req) => {
    const who = await requireReader(service.store, req);
    const limit = Math.min(Math.max(Number(req.query.limit ?? 200) || 200, 1), 10_000);
    const all = await service.store.migrations({ open: req.query.open === '1' || req.query.open === 'true', limit: who.customer === undefined ? limit : 10_000 });
    return { migrations: who.customer === undefined ? all : all.filter((x) => x.customer === who.customer).slice(0, limit) };
  });

  app.get<{ Params: { id: string } }>('/v1/migrations/:id', async (req) => {
    const who = await requireReader(service.store, req);
    const migration = await m.get(req.params.id);
    // Another customer's move does not exist for a customer's token.
    if (who.customer !== undefined && migration.customer !== who.customer) throw new HafenError('HAFEN_MIGRATE_NOT_FOUND', `no migration ${req.params.id}`);
    return { migration, events: await service.store.migrationEvents(req.params.id) };
  });

  app.post<{ Params: { id: string } }>('/v1/migrations/:id/consent', async (req) => {
    const who = await requireRole(service.store, req, 'operator');
    const b = body(MigrationConsentBody, req);
    return { migration: await m.answerByOperator(req.params.id, { decision: b.decision, by: b.by, ...(b.note ? { note: b.note } : {}) }, who.name) };
  });

  app.post<{ Params: { id: string } }>('/v1/migrations/:id/cancel', async (req) => {
    const who = await requireRole(service.store, req, 'operator');
    return { migration: await m.cancel(req.params.id, who.name) };
  });

  for (const action of ['pause', 'resume', 'abort'] as const) {
    app.post<{ Params: { id: string } }>(`/v1/migrations/:id/${action}`, async (req) => {
      const who = await requireRole(service.store, req, 'operator');
      return { migration: await m.control(req.params.id, action, who.name) };
    });
  }

  // The customer's page. HTML for a browser, JSON for a program; the form posts back here.
  app.get<{ Params: { token: string } }>('/v1/consent/:token', async (req, reply) => {
    const r = await m.byToken(req.params.token);
    if (!r) throw new HafenError('HAFEN_MIGRATE_LINK_NOT_FOUND', 'this link is not (or no longer) valid');
    const view = await m.customerView(r);
    if (/text\/html/.test(req.headers.accept ?? '')) return reply.type('text/html; charset=utf-8').send(consentPage(view));
    return view;
  });

  app.post<{ Params: { token: string } }>('/v1/consent/:token', async (req, reply) => {
    const b = body(ConsentLinkBody, req);
    const r = await m.answerByToken(req.params.token, { decision: b.decision, ...(b.by ? { by: b.by } : {}), ...(b.note ? { note: b.note } : {}) });
    const view = await m.customerView(r);
    if (req.headers['content-type']?.startsWith('application/x-www-form-urlencoded')) return reply.type('text/html; charset=utf-8').send(consentPage(view));
    return view;
  });
}
