/** The audit history (who did what when): GET /v1/audit with filters; a customer-scoped token sees only its customer's entries. */
import type { FastifyInstance } from 'fastify';
import { HafenError } from '../../lib/errors.js';
import { customerScope, requireReader, type Credentials } from './auth.js';
import type { Store } from '../store/store.js';

export interface AuditApi {
  auth: Credentials;
  store: Pick<Store, 'audit'>;
}

type AuditQueryString = { since?: string; until?: string; actor?: string; action?: string; subject?: string; customer?: string; limit?: string };

function time(name: string, value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  if (Number.isNaN(Date.parse(value))) throw new HafenError('HAFEN_API_BAD_REQUEST', `${name} must be an ISO 8601 time, not "${value.slice(0, 100)}"`);
  return new Date(value).toISOString();
}

export function auditRoutes(app: FastifyInstance, api: AuditApi): void {
  app.get<{ Querystring: AuditQueryString }>('/v1/audit', async (req) => {
    const who = await requireReader(api.auth, req);
    const q = req.query;
    const limit = q.limit === undefined ? 100 : Number(q.limit);
    if (!Number.isInteger(limit) || limit < 1 || limit > 10_000) throw new HafenError('HAFEN_API_BAD_REQUEST', `limit must be a whole number from 1 to 10000, not "${String(q.limit).slice(0, 100)}"`);
    const customer = customerScope(who, q.customer);
    const since = time('since', q.since);
    const until = time('until', q.until);
    const entries = await api.store.audit({
      ...(since ? { since } : {}),
      ...(until ? { until } : {}),
      ...(q.actor ? { actor: q.actor } : {}),
      ...(q.action ? { action: q.action } : {}),
      ...(q.subject ? { subject: q.subject } : {}),
      ...(customer !== undefined ? { customer } : {}),
      limit,
    });
    return { entries };
  });
}
