/** The PostgreSQL store's API tokens, users and backup runs (controller/store/store.ts), on a query function. */
import type { Q } from './postgres-query.js';
import { storedRun, token, user, type TokenRow, type UserRow } from './sqlite-rows.js';
import type { ApiToken, StoredBackupRun, User } from './store.js';

export async function insertToken(q: Q, x: ApiToken): Promise<void> {
  await q('INSERT INTO api_tokens (id, name, role, hash, created_at, revoked_at, customer, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)', [x.id, x.name, x.role, x.hash, x.createdAt, x.revokedAt ?? null, x.customer ?? null, x.expiresAt ?? null]);
}

export async function tokenByHash(q: Q, hash: string): Promise<ApiToken | undefined> {
  const row = (await q<TokenRow>('SELECT * FROM api_tokens WHERE hash = ? AND revoked_at IS NULL', [hash])).rows[0];
  return row && token(row);
}

export async function listTokens(q: Q): Promise<ApiToken[]> {
  return (await q<TokenRow>('SELECT * FROM api_tokens ORDER BY created_at, id')).rows.map(token);
}

export async function revokeToken(q: Q, id: string, at: string): Promise<boolean> {
  return (await q('UPDATE api_tokens SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL', [at, id])).count === 1;
}

/** Inserts a user or replaces its role, customer and password hash (keeping when it was created). */
export async function writeUser(q: Q, u: User): Promise<void> {
  await q(
    `INSERT INTO users (name, role, customer, password_hash, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?)
     ON CONFLICT (name) DO UPDATE SET role = excluded.role, customer = excluded.customer, password_hash = excluded.password_hash, updated_at = excluded.updated_at`,
    [u.name, u.role, u.customer ?? null, u.passwordHash, u.createdAt, u.updatedAt],
  );
}

export async function readUser(q: Q, name: string): Promise<User | undefined> {
  const row = (await q<UserRow>('SELECT * FROM users WHERE name = ?', [name])).rows[0];
  return row && user(row);
}

export async function readUsers(q: Q): Promise<User[]> {
  return (await q<UserRow>('SELECT * FROM users ORDER BY name')).rows.map(user);
}

/** Deletes a user and revokes its login sessions (tokens with an expiry issued to it); call inside a transaction. */
export async function removeUser(q: Q, name: string, at: string): Promise<boolean> {
  await q('UPDATE api_tokens SET revoked_at = ? WHERE name = ? AND expires_at IS NOT NULL AND revoked_at IS NULL', [at, `user:${name}`]);
  return (await q('DELETE FROM users WHERE name = ?', [name])).count === 1;
}

export async function backupRuns(q: Q, w: { app?: string; limit: number }): Promise<StoredBackupRun[]> {
  const { rows } = w.app === undefined ? await q<{ host: string; run: string }>('SELECT host, run FROM backup_runs ORDER BY id DESC LIMIT ?', [w.limit]) : await q<{ host: string; run: string }>('SELECT host, run FROM backup_runs WHERE app = ? ORDER BY id DESC LIMIT ?', [w.app, w.limit]);
  return rows.map(storedRun);
}

export async function lastBackupRuns(q: Q): Promise<{ app: string; lastRun: StoredBackupRun; lastSuccess: StoredBackupRun | null; failingSince: string | null }[]> {
  const last = (await q<{ app: string; host: string; run: string }>('SELECT app, host, run FROM backup_runs WHERE id IN (SELECT MAX(id) FROM backup_runs GROUP BY app) ORDER BY app')).rows;
  const ok = new Map((await q<{ app: string; host: string; run: string }>('SELECT app, host, run FROM backup_runs WHERE id IN (SELECT MAX(id) FROM backup_runs WHERE ok = 1 GROUP BY app)')).rows.map((r) => [r.app, storedRun(r)]));
  const failing = new Map(
    (await q<{ app: string; since: string }>('SELECT app, MIN(started_at) AS since FROM backup_runs b WHERE ok = 0 AND id > COALESCE((SELECT MAX(id) FROM backup_runs WHERE app = b.app AND ok = 1), 0) GROUP BY app')).rows.map((r) => [r.app, r.since]),
  );
  return last.map((r) => {
    const lastRun = storedRun(r);
    return { app: r.app, lastRun, lastSuccess: ok.get(r.app) ?? null, failingSince: lastRun.ok ? null : (failing.get(r.app) ?? null) };
  });
}
