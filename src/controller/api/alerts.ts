/**
 * Alerts, silences and the notification record. Silences are how people say "we know" or
 * "planned work": matched on customer, app, site or check, always with an end and a reason.
 */
import { randomUUID } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { HafenError } from '../../lib/errors.js';
import { type Credentials, requireRole } from './auth.js';
import { noteAudit } from '../audit.js';
import { SilenceBody } from './schemas.js';
import { body } from './validate.js';
import type { Store } from '../store/store.js';
import type { Alerting } from '../alerting.js';

/** What the alert routes need: silences and notifications, and the alerts as they stand. */
export interface AlertsApi {
  auth: Credentials;
  store: Pick<Store, 'endSilence' | 'notifications' | 'putSilence' | 'silences'>;
  alerts: Alerting['alerts'];
}

const UNIT_MS = { m: 60_000, h: 3_600_000, d: 86_400_000 } as const;

export function alertRoutes(app: FastifyInstance, api: AlertsApi, now: () => Date): void {
  app.get('/v1/alerts', async (req) => {
    await requireRole(api.auth, req, 'viewer');
    return { alerts: api.alerts() };
  });

  app.get<{ Querystring: { all?: string } }>('/v1/silences', async (req) => {
    await requireRole(api.auth, req, 'viewer');
    return { silences: await api.store.silences(req.query.all === 'true' ? {} : { activeAt: now().toISOString() }) };
  });

  app.post('/v1/silences', async (req, reply) => {
    const who = await requireRole(api.auth, req, 'operator');
    const b = body(SilenceBody, req);
    const startsAt = b.startsAt ? new Date(b.startsAt) : now();
    let endsAt: Date;
    if (b.duration) {
      const m = /^\s*(\d+)\s*(m|h|d)\s*$/.exec(b.duration)!;
      endsAt = new Date(startsAt.getTime() + Number(m[1]) * UNIT_MS[m[2] as keyof typeof UNIT_MS]);
    } else endsAt = new Date(b.endsAt!);
    if (endsAt.getTime() <= Math.max(startsAt.getTime(), now().getTime())) throw new HafenError('HAFEN_API_BAD_REQUEST', `the silence would end (${endsAt.toISOString()}) before it starts or in the past`);
    const silence = { id: randomUUID().slice(0, 8), matchers: b.matchers, startsAt: startsAt.toISOString(), endsAt: endsAt.toISOString(), comment: b.comment, createdBy: who.name, reminded: false };
    await api.store.putSilence(silence);
    noteAudit(req, { actor: who.name, action: 'silence.create', subject: silence.id, detail: { endsAt: silence.endsAt, comment: silence.comment, matchers: Object.entries(silence.matchers).map(([k, v]) => `${k}=${v}`).join(' ') } });
    return reply.code(201).send(silence);
  });

  app.delete<{ Params: { id: string } }>('/v1/silences/:id', async (req) => {
    const who = await requireRole(api.auth, req, 'operator');
    if (!(await api.store.endSilence(req.params.id, now().toISOString()))) throw new HafenError('HAFEN_SILENCE_NOT_FOUND', `no active silence ${req.params.id} (hafen silence list shows them)`);
    noteAudit(req, { actor: who.name, action: 'silence.end', subject: req.params.id });
    return { ended: req.params.id };
  });

  app.get<{ Querystring: { limit?: string } }>('/v1/notifications', async (req) => {
    await requireRole(api.auth, req, 'viewer');
    const limit = req.query.limit === undefined ? 100 : Number(req.query.limit);
    if (!Number.isInteger(limit) || limit < 1 || limit > 10_000) throw new HafenError('HAFEN_API_BAD_REQUEST', `limit must be a whole number from 1 to 10000, not "${req.query.limit}"`);
    // What was sent, to whom, when, and why not: never the receivers' addresses or secrets.
    return { notifications: (await api.store.notifications(limit)).map(({ body: _body, ...n }) => n) };
  });
}
