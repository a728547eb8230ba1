/** The PostgreSQL store's API tokens, users and backup runs (controller/store/store.ts), on a query function. */
import type { Q } from './postgres-query.js';
import { LAST_RUNS_SQL, lastRunsOf, storedRun, token, user, type TokenRow, type UserRow } from './sqlite-rows.js';
import { STORE_TABLES, type ApiToken, type StoredBackupRun, type StoreRow, type User } from './store.js';
import { insertSql, notEmpty } from './transfer.js';

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
  const [last, ok, failing] = await Promise.all([q<{ app: string; host: string; run: string }>(LAST_RUNS_SQL.last), q<{ app: string; host: string; run: string }>(LAST_RUNS_SQL.ok), q<{ app: string; since: string }>(LAST_RUNS_SQL.failing)]);
  return lastRunsOf(last.rows, ok.rows, failing.rows);
}

/** Every row of every table, in its key order; call inside a REPEATABLE READ transaction (one moment for all). */
export async function exportRows(q: Q): Promise<{ table: string; rows: StoreRow[] }[]> {
  const out: { table: string; rows: StoreRow[] }[] = [];
  for (const [table, order] of STORE_TABLES) out.push({ table, rows: (await q<StoreRow>(`SELECT * FROM ${table} ORDER BY ${order}`)).rows });
  return out;
}

/** Writes exported rows into the empty store; call inside a transaction. */
export async function importRows(q: Q, tables: readonly { table: string; rows: readonly StoreRow[] }[]): Promise<void> {
  for (const [t] of STORE_TABLES) if ((await q(`SELECT 1 FROM ${t} LIMIT 1`)).rows.length > 0) throw notEmpty(t);
  for (const { table, rows } of tables) for (const row of rows) await q(insertSql(table, Object.keys(row)), Object.values(row));
  // Ids given on import: the identity columns go on from the highest.
  for (const t of ['events', 'backup_runs', 'rollouts', 'site_migration_events']) await q(`SELECT setval(pg_get_serial_sequence('${t}', 'id'), COALESCE(MAX(id), 1), MAX(id) IS NOT NULL) FROM ${t}`);
}
