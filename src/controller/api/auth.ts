/**
 * Who is calling: an API token (admin, operator or viewer) or a host credential (an agent,
 * which may only read and report its own host). Tokens arrive as "Authorization: Bearer …"
 * and are looked up by hash; they never appear in logs or errors.
 */
import type { FastifyRequest } from 'fastify';
import { HafenError } from '../../lib/errors.js';
import { hashToken } from '../../lib/secrets.js';
import type { Role, Store } from '../store/store.js';

export type Principal = { kind: 'user'; name: string; role: Role } | { kind: 'host'; host: string };

const RANK: Record<Role, number> = { viewer: 1, operator: 2, admin: 3 };

function bearer(req: FastifyRequest): string | undefined {
  const h = req.headers.authorization;
  if (!h?.startsWith('Bearer ')) return undefined;
  return h.slice(7).trim() || undefined;
}

export async function principal(store: Store, req: FastifyRequest): Promise<Principal> {
  const token = bearer(req);
  if (!token) throw new HafenError('HAFEN_AUTH_MISSING', 'this request needs "Authorization: Bearer <token>"');
  const hash = hashToken(token);
  const api = await store.apiTokenByHash(hash);
  if (api) return { kind: 'user', name: api.name, role: api.role };
  const host = await store.hostForCredential(hash);
  if (host) return { kind: 'host', host };
  throw new HafenError('HAFEN_AUTH_INVALID', 'the token is unknown or revoked');
}

/** The calling user, if their role is at least `role`. */
export async function requireRole(store: Store, req: FastifyRequest, role: Role): Promise<{ name: string; role: Role }> {
  const p = await principal(store, req);
  if (p.kind !== 'user' || RANK[p.role] < RANK[role]) {
    throw new HafenError('HAFEN_AUTH_FORBIDDEN', `this needs the ${role} role${p.kind === 'host' ? '; host credentials only reach /v1/agent' : ''}`);
  }
  return p;
}

/** The calling agent's host. */
export async function requireHost(store: Store, req: FastifyRequest): Promise<string> {
  const p = await principal(store, req);
  if (p.kind !== 'host') throw new HafenError('HAFEN_AUTH_FORBIDDEN', 'only a host credential (from hafen agent --join-token) may use /v1/agent');
  return p.host;
}
