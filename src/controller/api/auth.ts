/**
 * Who is calling: an API token (admin, operator or viewer; possibly scoped to one customer, or
 * a user's login session that expires) or a host credential (an agent, which may only read and
 * report its own host). Tokens arrive as "Authorization: Bearer …" and are looked up by hash;
 * they never appear in logs or errors. A customer-scoped token is refused everywhere except the
 * routes that take it on purpose (requireReader) and show it only its customer's part.
 */
import type { FastifyRequest } from 'fastify';
import { HafenError } from '../../lib/errors.js';
import { hashToken } from '../../lib/secrets.js';
import type { Role, Store } from '../store/store.js';

/** What authentication reads: API tokens and host credentials, by hash. */
export type Credentials = Pick<Store, 'apiTokenByHash' | 'hostForCredential' | 'replacedCredential'>;

export interface User {
  name: string;
  role: Role;
  /** The token's id (a session ends by revoking it). */
  tokenId: string;
  /** Only this customer's apps, uptime, traffic and moves. */
  customer?: string;
  /** A login session's end. */
  expiresAt?: string;
}

export type Principal = ({ kind: 'user' } & User) | { kind: 'host'; host: string };

const RANK: Record<Role, number> = { viewer: 1, operator: 2, admin: 3 };

function bearer(req: FastifyRequest): string | undefined {
  const h = req.headers.authorization;
  if (!h?.startsWith('Bearer ')) return undefined;
  return h.slice(7).trim() || undefined;
}

export async function principal(store: Credentials, req: FastifyRequest): Promise<Principal> {
  const token = bearer(req);
  if (!token) throw new HafenError('HAFEN_AUTH_MISSING', 'this request needs "Authorization: Bearer <token>"');
  const hash = hashToken(token);
  const api = await store.apiTokenByHash(hash);
  if (api && api.expiresAt !== undefined && Date.parse(api.expiresAt) <= Date.now()) throw new HafenError('HAFEN_AUTH_EXPIRED', 'the login session has ended; log in again');
  if (api) return { kind: 'user', name: api.name, role: api.role, tokenId: api.id, ...(api.customer !== undefined ? { customer: api.customer } : {}), ...(api.expiresAt !== undefined ? { expiresAt: api.expiresAt } : {}) };
  const host = await store.hostForCredential(hash);
  if (host) return { kind: 'host', host };
  // An agent whose host joined again elsewhere learns that, instead of failing on without a reason.
  const replaced = await store.replacedCredential(hash);
  if (replaced) throw new HafenError('HAFEN_AUTH_REPLACED', `host ${replaced.host} joined again at ${replaced.replacedAt}: this agent's credential was replaced and it no longer speaks for the host (join it again with a new token from hafen host join ${replaced.host} if it should)`);
  throw new HafenError('HAFEN_AUTH_INVALID', 'the token is unknown or revoked');
}

/** The calling user, if their role is at least `role` and the token is not scoped to a customer. */
export async function requireRole(store: Credentials, req: FastifyRequest, role: Role): Promise<User> {
  const p = await requireReader(store, req);
  if (p.customer !== undefined) throw new HafenError('HAFEN_AUTH_FORBIDDEN', `this token is scoped to customer "${p.customer}": it reads only that customer's apps, uptime, traffic and moves`);
  if (RANK[p.role] < RANK[role]) throw new HafenError('HAFEN_AUTH_FORBIDDEN', `this needs the ${role} role`);
  return p;
}

/**
 * Any user, customer-scoped or not: for the routes that narrow what they answer to
 * `customer` when it is set. A route that calls this must filter by it.
 */
export async function requireReader(store: Credentials, req: FastifyRequest): Promise<User> {
  const p = await principal(store, req);
  if (p.kind !== 'user') throw new HafenError('HAFEN_AUTH_FORBIDDEN', 'host credentials only reach /v1/agent');
  const { kind: _kind, ...user } = p;
  return user;
}

/** The customer a reader may see: its own when scoped (asking for another is forbidden), else what it asked for. */
export function customerScope(who: User, asked: string | undefined): string | undefined {
  if (who.customer === undefined) return asked;
  if (asked !== undefined && asked !== who.customer) throw new HafenError('HAFEN_AUTH_FORBIDDEN', `this token is scoped to customer "${who.customer}"`);
  return who.customer;
}

/** The calling agent's host. */
export async function requireHost(store: Credentials, req: FastifyRequest): Promise<string> {
  const p = await principal(store, req);
  if (p.kind !== 'host') throw new HafenError('HAFEN_AUTH_FORBIDDEN', 'only a host credential (from hafen agent --join-token) may use /v1/agent');
  return p.host;
}
