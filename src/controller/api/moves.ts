/**
 * Moves between sites: operators propose them (the controller plans on the newest revision),
 * read them with their events, record a customer's answer given another way, or cancel them;
 * customers answer through their link (GET shows the move, POST answers; the token in the path
 * is the only credential, and request logs never show it).
 */
import type { FastifyInstance } from 'fastify';
import { HafenError } from '../../lib/errors.js';
import { type Credentials, requireReader, requireRole } from './auth.js';
import { noteAudit } from '../audit.js';
import { consentPage } from './consent-page.js';
import { ConsentLinkBody, MoveConsentBody, MoveProposeBody } from './schemas.js';
import { body } from './validate.js';
import type { Store } from '../store/store.js';
import type { Moves } from '../moves.js';

/** What the move routes need: the moves and their events. */
export interface MovesApi {
  auth: Credentials;
  store: Pick<Store, 'moveEvents' | 'moves'>;
  moves: Pick<Moves, 'answerByOperator' | 'answerByToken' | 'byToken' | 'cancel' | 'control' | 'customerView' | 'get' | 'propose'>;
}

export function moveRoutes(app: FastifyInstance, api: MovesApi): void {
  const m = api.moves;
  app.post('/v1/migrations', async (req, reply) => {
    const who = await requireRole(api.auth, req, 'operator');
    const b = body(MoveProposeBody, req);
    const proposal = await m.propose({ to: b.to, ...(b.apps ? { apps: b.apps } : {}), ...(b.share !== undefined ? { share: b.share } : {}), ...(b.from ? { from: b.from } : {}), ...(b.start ? { start: b.start } : {}), ...(b.days ? { days: b.days } : {}) }, who.name);
    for (const x of proposal.migrations) noteAudit(req, { actor: who.name, action: 'move.propose', subject: x.id, customer: x.customer, detail: { app: x.app, to: b.to } });
    return reply.code(201).send(proposal);
  });

  app.get<{ Querystring: { open?: string; limit?: string } }>('/v1/migrations', async (req) => {
    const who = await requireReader(api.auth, req);
    const limit = Math.min(Math.max(Number(req.query.limit ?? 200) || 200, 1), 10_000);
    const all = await api.store.moves({ open: req.query.open === '1' || req.query.open === 'true', limit: who.customer === undefined ? limit : 10_000 });
    return { migrations: who.customer === undefined ? all : all.filter((x) => x.customer === who.customer).slice(0, limit) };
  });

  app.get<{ Params: { id: string } }>('/v1/migrations/:id', async (req) => {
    const who = await requireReader(api.auth, req);
    const migration = await m.get(req.params.id);
    // Another customer's move does not exist for a customer's token.
    if (who.customer !== undefined && migration.customer !== who.customer) throw new HafenError('HAFEN_MIGRATE_NOT_FOUND', `no migration ${req.params.id}`);
    return { migration, events: await api.store.moveEvents(req.params.id) };
  });

  app.post<{ Params: { id: string } }>('/v1/migrations/:id/consent', async (req) => {
    const who = await requireRole(api.auth, req, 'operator');
    const b = body(MoveConsentBody, req);
    const migration = await m.answerByOperator(req.params.id, { decision: b.decision, by: b.by, ...(b.note ? { note: b.note } : {}) }, who.name);
    noteAudit(req, { actor: who.name, action: 'move.consent', subject: migration.id, customer: migration.customer, detail: { decision: b.decision, by: b.by } });
    return { migration };
  });

  app.post<{ Params: { id: string } }>('/v1/migrations/:id/cancel', async (req) => {
    const who = await requireRole(api.auth, req, 'operator');
    const migration = await m.cancel(req.params.id, who.name);
    noteAudit(req, { actor: who.name, action: 'move.cancel', subject: migration.id, customer: migration.customer });
    return { migration };
  });

  for (const action of ['pause', 'resume', 'abort'] as const) {
    app.post<{ Params: { id: string } }>(`/v1/migrations/:id/${action}`, async (req) => {
      const who = await requireRole(api.auth, req, 'operator');
      const migration = await m.control(req.params.id, action, who.name);
      noteAudit(req, { actor: who.name, action: `move.${action}`, subject: migration.id, customer: migration.customer });
      return { migration };
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
    noteAudit(req, { actor: 'consent link', action: 'move.consent', subject: r.id, customer: r.customer, detail: { decision: b.decision, ...(b.by ? { by: b.by } : {}) } });
    const view = await m.customerView(r);
    if (req.headers['content-type']?.startsWith('application/x-www-form-urlencoded')) return reply.type('text/html; charset=utf-8').send(consentPage(view));
    return view;
  });
}
