/** The SQLite store's API tokens and users (controller/store/store.ts), as functions on its statements. */
import type Database from 'better-sqlite3';
import { token, user, type TokenRow, type UserRow } from './sqlite-rows.js';
import type { ApiToken, User } from './store.js';

type Stmt = (sql: string) => Database.Statement;

export function insertToken(stmt: Stmt, t: ApiToken): void {
  stmt('INSERT INTO api_tokens (id, name, role, hash, created_at, revoked_at, customer, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)').run(t.id, t.name, t.role, t.hash, t.createdAt, t.revokedAt ?? null, t.customer ?? null, t.expiresAt ?? null);
}

export function tokenByHash(stmt: Stmt, hash: string): ApiToken | undefined {
  const row = stmt('SELECT * FROM api_tokens WHERE hash = ? AND revoked_at IS NULL').get(hash) as TokenRow | undefined;
  return row && token(row);
}

export function listTokens(stmt: Stmt): ApiToken[] {
  return (stmt('SELECT * FROM api_tokens ORDER BY created_at, id').all() as TokenRow[]).map(token);
}

export function revokeToken(stmt: Stmt, id: string, at: string): boolean {
  return stmt('UPDATE api_tokens SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL').run(at, id).changes === 1;
}

/** Inserts a user or replaces its role, customer and password hash (keeping when it was created). */
export function writeUser(stmt: Stmt, u: User): void {
  stmt(
    `INSERT INTO users (name, role, customer, password_hash, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?)
     ON CONFLICT (name) DO UPDATE SET role = excluded.role, customer = excluded.customer, password_hash = excluded.password_hash, updated_at = excluded.updated_at`,
  ).run(u.name, u.role, u.customer ?? null, u.passwordHash, u.createdAt, u.updatedAt);
}

export function readUser(stmt: Stmt, name: string): User | undefined {
  const row = stmt('SELECT * FROM users WHERE name = ?').get(name) as UserRow | undefined;
  return row && user(row);
}

export function readUsers(stmt: Stmt): User[] {
  return (stmt('SELECT * FROM users ORDER BY name').all() as UserRow[]).map(user);
}

/** Deletes a user and revokes its login sessions (tokens with an expiry issued to it). */
export function removeUser(stmt: Stmt, name: string, at: string): boolean {
  stmt('UPDATE api_tokens SET revoked_at = ? WHERE name = ? AND expires_at IS NOT NULL AND revoked_at IS NULL').run(at, `user:${name}`);
  return stmt('DELETE FROM users WHERE name = ?').run(name).changes === 1;
}
