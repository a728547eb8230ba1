/** The SQLite store's rollouts and host holds (controller/store/store.ts), as functions on its statements. */
import type Database from 'better-sqlite3';
import type { HostHold, Rollout } from './store.js';

type Stmt = (sql: string) => Database.Statement;

export function readHolds(stmt: Stmt): HostHold[] {
  return stmt('SELECT host, revision, since FROM host_holds ORDER BY host').all() as HostHold[];
}

/** Replaces every hold; call inside a transaction. */
export function replaceHolds(stmt: Stmt, holds: readonly HostHold[]): void {
  stmt('DELETE FROM host_holds').run();
  for (const h of holds) stmt('INSERT INTO host_holds (host, revision, since) VALUES (?, ?, ?)').run(h.host, h.revision, h.since);
}

/** Inserts (id 0) or updates a rollout; call inside a transaction. Returns it with its id. */
export function writeRollout(stmt: Stmt, r: Rollout): Rollout {
  if (r.id === 0) {
    const { lastInsertRowid } = stmt('INSERT INTO rollouts (revision, site, state, data, updated_at) VALUES (?, ?, ?, ?, ?)').run(r.revision, r.site, r.state, '{}', r.updatedAt);
    r = { ...r, id: Number(lastInsertRowid) };
  }
  stmt('UPDATE rollouts SET state = ?, data = ?, updated_at = ? WHERE id = ?').run(r.state, JSON.stringify(r), r.updatedAt, r.id);
  return r;
}

export function readRollouts(stmt: Stmt, q: { id?: number; limit: number }): Rollout[] {
  const rows = (q.id === undefined ? stmt('SELECT data FROM rollouts ORDER BY id DESC LIMIT ?').all(q.limit) : stmt('SELECT data FROM rollouts WHERE id = ?').all(q.id)) as { data: string }[];
  return rows.map((r) => JSON.parse(r.data) as Rollout);
}
