/** The SQLite store's backup tasks (controller/store/store.ts), as functions on its statements; callers own the transactions. */
import type Database from 'better-sqlite3';
import type { BackupTaskKind } from '../../core/render/backups.js';
import { LAST_RUNS_SQL, lastRunsOf, reportedTask } from './sqlite-rows.js';
import type { BackupTask, BackupTaskReport, StoredBackupRun } from './store.js';

type Stmt = (sql: string) => Database.Statement;

export function add(stmt: Stmt, task: BackupTask): void {
  stmt('INSERT INTO backup_tasks (id, app, host, kind, state, created_at, task) VALUES (?, ?, ?, ?, ?, ?, ?)').run(task.id, task.app, task.host, task.kind, task.state, task.createdAt, JSON.stringify(task));
}

export function get(stmt: Stmt, id: string): BackupTask | undefined {
  const row = stmt('SELECT task FROM backup_tasks WHERE id = ?').get(id) as { task: string } | undefined;
  return row && (JSON.parse(row.task) as BackupTask);
}

export function list(stmt: Stmt, q: { app?: string; host?: string; kind?: BackupTaskKind; open?: boolean; limit: number }): BackupTask[] {
  const filters = Object.entries({ app: q.app, host: q.host, kind: q.kind }).filter((e): e is [string, string] => e[1] !== undefined);
  const where = filters.map(([column]) => `${column} = ?`);
  const args = filters.map(([, value]) => value);
  if (q.open) where.push("state IN ('pending', 'running')");
  const rows = stmt(`SELECT task FROM backup_tasks ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY created_at DESC, id DESC LIMIT ?`).all(...args, q.limit) as { task: string }[];
  return rows.map((r) => JSON.parse(r.task) as BackupTask);
}

/** Call inside a transaction. */
export function report(stmt: Stmt, host: string, reports: readonly BackupTaskReport[]): void {
  const get = stmt('SELECT host, state, task FROM backup_tasks WHERE id = ?');
  const insert = stmt('INSERT INTO backup_tasks (id, app, host, kind, state, created_at, task) VALUES (?, ?, ?, ?, ?, ?, ?)');
  const update = stmt('UPDATE backup_tasks SET state = ?, task = ? WHERE id = ?');
  for (const r of reports) {
    const next = reportedTask(host, r, get.get(r.id) as { host: string; state: string; task: string } | undefined);
    if (next?.isNew) insert.run(r.id, r.app, host, r.kind, r.state, r.startedAt, JSON.stringify(next.task));
    else if (next) update.run(r.state, JSON.stringify(next.task), r.id);
  }
}

/** Call inside a transaction; returns how many were marked expired. */
export function expire(stmt: Stmt, before: string): number {
  const rows = stmt("SELECT id, task FROM backup_tasks WHERE state = 'pending' AND created_at < ?").all(before) as { id: string; task: string }[];
  const update = stmt("UPDATE backup_tasks SET state = 'expired', task = ? WHERE id = ? AND state = 'pending'");
  for (const r of rows) update.run(JSON.stringify({ ...(JSON.parse(r.task) as BackupTask), state: 'expired' }), r.id);
  return rows.length;
}

export function lastFinished(stmt: Stmt, kind: BackupTaskKind): BackupTask[] {
  const rows = stmt(
    "SELECT task FROM backup_tasks t WHERE kind = ? AND state IN ('done', 'failed') AND created_at = (SELECT MAX(created_at) FROM backup_tasks WHERE app = t.app AND kind = t.kind AND state IN ('done', 'failed')) ORDER BY app",
  ).all(kind) as { task: string }[];
  return rows.map((r) => JSON.parse(r.task) as BackupTask);
}

/** Per app: its newest backup run, newest success, and when it began failing since. */
export function lastRuns(stmt: Stmt): { app: string; lastRun: StoredBackupRun; lastSuccess: StoredBackupRun | null; failingSince: string | null }[] {
  const all = <T>(sql: string) => stmt(sql).all() as T[];
  return lastRunsOf(all(LAST_RUNS_SQL.last), all(LAST_RUNS_SQL.ok), all(LAST_RUNS_SQL.failing));
}
