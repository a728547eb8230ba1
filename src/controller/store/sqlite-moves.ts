/**
 * The SQLite store's site migrations (controller/store/store.ts), as functions on its
 * statements. ("site migrations": moves of apps between sites, not schema migrations.)
 */
import type Database from 'better-sqlite3';
import type { MoveEvent, MoveRecord } from '../../core/move/consent.js';
import type { MoveCommit } from './store.js';

type Stmt = (sql: string) => Database.Statement;

/** Writes records (new or changed), events and notifications; call inside a transaction. */
export function writeMoves(stmt: Stmt, c: MoveCommit): void {
  const put = stmt(
    `INSERT INTO site_migrations (id, app, customer, state, token_hash, data, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)
     ON CONFLICT(id) DO UPDATE SET state = excluded.state, data = excluded.data, token_hash = COALESCE(excluded.token_hash, site_migrations.token_hash)`,
  );
  for (const { record: r, tokenHash } of c.records) put.run(r.id, r.app, r.customer, r.state, tokenHash ?? null, JSON.stringify(r), r.createdAt);
  const event = stmt('INSERT INTO site_migration_events (migration, at, kind, detail) VALUES (?, ?, ?, ?)');
  for (const e of c.events) event.run(e.migration, e.at, e.kind, e.detail);
  const queue = stmt(
    `INSERT INTO notifications (id, receiver, group_key, kind, severity, title, body, created_at, status, attempts, next_attempt_at)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'pending', 0, ?) ON CONFLICT(id) DO NOTHING`,
  );
  for (const n of c.outbox) queue.run(n.id, n.receiver, n.group, n.kind, n.severity, n.title, JSON.stringify(n.body), n.createdAt, n.nextAttemptAt);
}

/** Moves not over yet: waiting for an answer, for their time, or running. */
const OPEN = ['proposed', 'accepted', 'running'];

export function readMoves(stmt: Stmt, q: { id?: string; tokenHash?: string; open?: boolean; limit: number }): MoveRecord[] {
  let rows: { data: string }[];
  if (q.id !== undefined) rows = stmt('SELECT data FROM site_migrations WHERE id = ?').all(q.id) as { data: string }[];
  else if (q.tokenHash !== undefined) rows = stmt('SELECT data FROM site_migrations WHERE token_hash = ?').all(q.tokenHash) as { data: string }[];
  else if (q.open) rows = stmt(`SELECT data FROM site_migrations WHERE state IN (${OPEN.map(() => '?').join(', ')}) ORDER BY created_at DESC, id LIMIT ?`).all(...OPEN, q.limit) as { data: string }[];
  else rows = stmt('SELECT data FROM site_migrations ORDER BY created_at DESC, id LIMIT ?').all(q.limit) as { data: string }[];
  return rows.map((r) => JSON.parse(r.data) as MoveRecord);
}

export function readMoveEvents(stmt: Stmt, migration: string): MoveEvent[] {
  return stmt('SELECT migration, at, kind, detail FROM site_migration_events WHERE migration = ? ORDER BY id').all(migration) as MoveEvent[];
}
