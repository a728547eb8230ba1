/**
 * Alerts, silences and the notification record. Silences are how people say "we know" or
 * "planned work": matched on customer, app, site or check, always with an end and a reason.
 */
import { randomUUID } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import type { ControllerService } from '../service.js';
import { HafenError } from '../../lib/errors.js';
import { requireRole } from './auth.js';
import { SilenceBody } from './schemas.js';
import { body } from './validate.js';

const UNIT_MS = { m: 60_000, h: 3_600_000, d: 86_400_000 } as const;

export function alertRoutes(app: FastifyInstance, service: ControllerService, now: () => Date): void {
  app.get('/v1/alerts', async (req) => {
    await requireRole(service.store, req, 'viewer');
    return { alerts: service.watch.alerting.alerts() };
  });

  app.get<{ Querystring: { all?: string } }>('/v1/silences', async (req) => {
    await requireRole(service.store, req, 'viewer');
    return { silences: await service.store.silences(req.query.all === 'true' ? {} : { activeAt: now().toISOString() }) };
  });

  app.post('/v1/silences', async (req, reply) => {
    const who = await requireRole(service.store, req, 'operator');
    const b = body(SilenceBody, req);
    const startsAt = b.startsAt ? new Date(b.startsAt) : now();
    let endsAt: Date;
    if (b.duration) {
      const m = /^\s*(\d+)\s*(m|h|d)\s*$/.exec(b.duration)!;
      endsAt = new Date(startsAt.getTime() + Number(m[1]) * UNIT_MS[m[2] as keyof typeof UNIT_MS]);
    } else endsAt = new Date(b.endsAt!);
    if (endsAt.getTime() <= Math.max(startsAt.getTime(), now().getTime())) throw new HafenError('HAFEN_API_BAD_REQUEST', `the silence would end (${endsAt.toISOString()}) before it starts or in the past`);
    const silence = { id: randomUUID().slice(0, 8), matchers: b.matchers, startsAt: startsAt.toISOString(), endsAt: endsAt.toISOString(), comment: b.comment, createdBy: who.name, reminded: false };
    await service.store.putSilence(silence);
    return reply.code(201).send(silence);
  });

  app.delete<{ Params: { id: string } }>('/v1/silences/:id', async (req) => {
    await requireRole(service.store, req, 'operator');
    if (!(await service.store.endSilence(req.params.id, now().toISOString()))) throw new HafenError('HAFEN_SILENCE_NOT_FOUND', `no active silence ${req.params.id} (hafen silence list shows them)`);
    return { ended: req.params.id };
  });

  app.get<{ Querystring: { limit?: string } }>('/v1/notifications', async (req) => {
    await requireRole(service.store, req, 'viewer');
    const limit = req.query.limit === undefined ? 100 : Number(req.query.limit);
    if (!Number.isInteger(limit) || limit < 1 || limit > 10_000) throw new HafenError('HAFEN_API_BAD_REQUEST', `limit must be a whole number from 1 to 10000, not "${req.query.limit}"`);
    // What was sent, to whom, when, and why not: never the receivers' addresses or secrets.
    return { notifications: (await service.store.notifications(limit)).map(({ body: _body, ...n }) => n) };
  });
}
