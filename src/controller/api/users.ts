/**
 * Users who log in with a password instead of holding an API token: an admin sets them up
 * (role, optional customer scope, password kept as a scrypt hash); POST /v1/login trades a name
 * and password for a session token that ends after SESSION_HOURS or at POST /v1/logout.
 * Failed logins are slowed per client address and per name, attempts in flight counted
 * (login-throttle.ts); the answer never says whether the name exists.
 */
import { randomUUID } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { HafenError } from '../../lib/errors.js';
import { DECOY_HASH, hashPassword, MIN_PASSWORD, verifyPassword } from '../../lib/password.js';
import { hashToken, newToken } from '../../lib/secrets.js';
import { clientAddress } from '../forward.js';
import { LoginThrottle } from '../login-throttle.js';
import type { User } from '../store/store.js';
import { type Credentials, requireReader, requireRole } from './auth.js';
import { noteAudit } from '../audit.js';
import { LoginBody, UserBody } from './schemas.js';
import { checkScope } from './scope.js';
import { body } from './validate.js';
import type { Store } from '../store/store.js';
import type { Snapshot } from '../snapshot.js';
import type { Secrets } from '../secrets.js';

/** What the user routes need: users and their sessions (API tokens), and the customers of the newest revision (scopes). */
export interface UsersApi {
  auth: Credentials;
  store: Pick<Store, 'createApiToken' | 'deleteUser' | 'getUser' | 'listUsers' | 'putUser' | 'revokeApiToken'>;
  current(): Promise<Snapshot | undefined>;
  secrets: Pick<Secrets, 'derive'>;
}

const SESSION_HOURS = 8;
/** Failed logins a client address, or a user name, may have in FAIL_WINDOW before it must wait. */
const MAX_FAILS = 10;
const FAIL_WINDOW_MS = 10 * 60_000;
const NAME = /^[a-z0-9][a-z0-9._@-]{0,99}$/i;

const shown = ({ passwordHash: _hash, ...u }: User) => u;

export function userRoutes(app: FastifyInstance, api: UsersApi, now: () => Date): void {
  const throttle = new LoginThrottle(MAX_FAILS, FAIL_WINDOW_MS);

  app.get('/v1/whoami', async (req) => {
    const { tokenId: _id, ...who } = await requireReader(api.auth, req);
    return who;
  });

  app.post('/v1/login', async (req) => {
    // JSON only: a form on another site cannot post a login (browsers send forms cross-site without asking).
    if (!req.headers['content-type']?.startsWith('application/json')) throw new HafenError('HAFEN_API_BAD_REQUEST', 'a login is JSON (Content-Type: application/json): {"name": …, "password": …}');
    const b = body(LoginBody, req);
    const t = now().getTime();
    const ip = clientAddress(req, (label) => api.secrets.derive(label));
    const attempt = throttle.begin([`address ${ip}`, `name ${b.name.toLowerCase()}`], t);
    if (!attempt.ok) throw new HafenError('HAFEN_AUTH_THROTTLED', `too many failed logins from this address or for this name; try again in ${Math.ceil(attempt.waitMs / 60_000)} min`);
    const user = await api.store.getUser(b.name);
    // An unknown name costs as long as a wrong password.
    const ok = await verifyPassword(b.password, user?.passwordHash ?? DECOY_HASH);
    if (!user || !ok) throw new HafenError('HAFEN_AUTH_INVALID', 'wrong name or password');
    attempt.succeeded();
    const token = newToken('hfs_');
    const expiresAt = new Date(t + SESSION_HOURS * 3_600_000).toISOString();
    const scope = user.customer !== undefined ? { customer: user.customer } : {};
    await api.store.createApiToken({ id: randomUUID(), name: `user:${user.name}`, role: user.role, hash: hashToken(token), createdAt: new Date(t).toISOString(), expiresAt, ...scope });
    noteAudit(req, { actor: `user:${user.name}`, action: 'user.login', subject: user.name, ...scope, detail: { address: ip } });
    return { name: user.name, role: user.role, ...scope, token, expiresAt };
  });

  app.post('/v1/logout', async (req) => {
    const who = await requireReader(api.auth, req);
    if (who.expiresAt === undefined) throw new HafenError('HAFEN_API_BAD_REQUEST', 'this is an API token, not a login session: revoke it with hafen token revoke');
    await api.store.revokeApiToken(who.tokenId, now().toISOString());
    noteAudit(req, { actor: who.name, action: 'user.logout', subject: who.name.replace(/^user:/, ''), ...(who.customer !== undefined ? { customer: who.customer } : {}) });
    return { ended: true };
  });

  app.get('/v1/users', async (req) => {
    await requireRole(api.auth, req, 'admin');
    return { users: (await api.store.listUsers()).map(shown) };
  });

  app.put<{ Params: { name: string } }>('/v1/users/:name', async (req) => {
    const who = await requireRole(api.auth, req, 'admin');
    const name = req.params.name;
    if (!NAME.test(name)) throw new HafenError('HAFEN_API_BAD_REQUEST', `user name "${name.slice(0, 100)}" must be 1 to 100 letters, digits, ".", "_", "@" or "-", starting with a letter or digit`);
    const b = body(UserBody, req);
    if ([...b.password].length < MIN_PASSWORD) throw new HafenError('HAFEN_API_BAD_REQUEST', `the password must have at least ${MIN_PASSWORD} characters`);
    await checkScope(api.current, b.role, b.customer);
    const at = now().toISOString();
    const had = await api.store.getUser(name);
    const user: User = { name, role: b.role, ...(b.customer !== undefined ? { customer: b.customer } : {}), passwordHash: await hashPassword(b.password), createdAt: had?.createdAt ?? at, updatedAt: at };
    await api.store.putUser(user);
    noteAudit(req, { actor: who.name, action: had ? 'user.update' : 'user.create', subject: name, ...(b.customer !== undefined ? { customer: b.customer } : {}), detail: { role: b.role, ...(b.customer !== undefined ? { customer: b.customer } : {}) } });
    return shown(user);
  });

  app.delete<{ Params: { name: string } }>('/v1/users/:name', async (req) => {
    const who = await requireRole(api.auth, req, 'admin');
    if (!(await api.store.deleteUser(req.params.name, now().toISOString()))) throw new HafenError('HAFEN_USER_NOT_FOUND', `no user "${req.params.name.slice(0, 100)}"`);
    noteAudit(req, { actor: who.name, action: 'user.delete', subject: req.params.name });
    return { deleted: req.params.name };
  });
}
