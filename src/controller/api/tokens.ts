/** API tokens: created by admins (possibly scoped to one customer), shown once, stored as hashes. */
import { randomUUID } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { HafenError } from '../../lib/errors.js';
import { hashToken, newToken } from '../../lib/secrets.js';
import { type Credentials, requireRole } from './auth.js';
import { noteAudit } from '../audit.js';
import { checkScope } from './scope.js';
import { TokenBody } from './schemas.js';
import { body } from './validate.js';
import type { Store } from '../store/store.js';
import type { Snapshot } from '../snapshot.js';

/** What the token routes need: API tokens, and the customers of the newest revision (scopes). */
export interface TokensApi {
  auth: Credentials;
  store: Pick<Store, 'createApiToken' | 'listApiTokens' | 'revokeApiToken'>;
  current(): Promise<Snapshot | undefined>;
}


export function tokenRoutes(app: FastifyInstance, api: TokensApi, now: () => Date): void {
  app.post('/v1/tokens', async (req) => {
    const who = await requireRole(api.auth, req, 'admin');
    const b = body(TokenBody, req);
    await checkScope(api.current, b.role, b.customer);
    const token = newToken('hfa_');
    const id = randomUUID();
    const scope: { customer?: string } = b.customer !== undefined ? { customer: b.customer } : {};
    await api.store.createApiToken({ id, name: b.name, role: b.role, hash: hashToken(token), createdAt: now().toISOString(), ...scope });
    noteAudit(req, { actor: who.name, action: 'token.create', subject: b.name, ...scope, detail: { id, role: b.role, ...(b.customer !== undefined ? { customer: b.customer } : {}) } });
    return { id, name: b.name, role: b.role, ...scope, token };
  });

  app.get('/v1/tokens', async (req) => {
    await requireRole(api.auth, req, 'admin');
    return { tokens: (await api.store.listApiTokens()).map(({ hash: _hash, ...t }) => t) };
  });

  app.delete<{ Params: { id: string } }>('/v1/tokens/:id', async (req) => {
    const who = await requireRole(api.auth, req, 'admin');
    if (!(await api.store.revokeApiToken(req.params.id, now().toISOString()))) throw new HafenError('HAFEN_TOKEN_NOT_FOUND', `no active token ${req.params.id}`);
    noteAudit(req, { actor: who.name, action: 'token.revoke', subject: req.params.id });
    return { revoked: req.params.id };
  });
}
