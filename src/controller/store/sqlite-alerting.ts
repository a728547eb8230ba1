/** The SQLite store's alert groups, notifications and uptime (controller/store/store.ts), as functions on its statements. */
import type Database from 'better-sqlite3';
import { notificationOf, type NotificationRow } from './sqlite-rows.js';
import type { AlertingCommit, NotificationRecord, UptimeRecord } from './store.js';

type Stmt = (sql: string) => Database.Statement;

/** Replaces the group states, queues the notifications, marks the silences reminded; call inside a transaction. */
export function writeAlerting(stmt: Stmt, c: AlertingCommit): void {
  stmt('DELETE FROM alert_groups').run();
  for (const g of c.groups) stmt('INSERT INTO alert_groups (key, state) VALUES (?, ?)').run(g.key, JSON.stringify(g.state));
  const queue = stmt(
    `INSERT INTO notifications (id, receiver, group_key, kind, severity, title, body, created_at, status, attempts, next_attempt_at)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'pending', 0, ?) ON CONFLICT(id) DO NOTHING`,
  );
  for (const n of c.outbox) queue.run(n.id, n.receiver, n.group, n.kind, n.severity, n.title, JSON.stringify(n.body), n.createdAt, n.nextAttemptAt);
  for (const id of c.reminded) stmt('UPDATE silences SET reminded = 1 WHERE id = ?').run(id);
}

export function dueNotifications(stmt: Stmt, now: string, limit: number): NotificationRecord[] {
  return (stmt("SELECT * FROM notifications WHERE status = 'pending' AND next_attempt_at <= ? ORDER BY created_at, id LIMIT ?").all(now, limit) as NotificationRow[]).map(notificationOf);
}

export function updateNotification(stmt: Stmt, id: string, change: Pick<NotificationRecord, 'status' | 'attempts' | 'nextAttemptAt'> & { lastError?: string; sentAt?: string }): void {
  stmt('UPDATE notifications SET status = ?, attempts = ?, next_attempt_at = ?, last_error = ?, sent_at = ? WHERE id = ?').run(change.status, change.attempts, change.nextAttemptAt, change.lastError ?? null, change.sentAt ?? null, id);
}

export function claimNotification(stmt: Stmt, id: string): boolean {
  return stmt("UPDATE notifications SET status = 'sending' WHERE id = ? AND status = 'pending'").run(id).changes === 1;
}

export function abandonSending(stmt: Stmt, reason: string): string[] {
  return (stmt("UPDATE notifications SET status = 'failed', last_error = ? WHERE status = 'sending' RETURNING id").all(reason) as { id: string }[]).map((r) => r.id);
}

/** Adds the seconds to each (app, day); call inside a transaction. */
export function addUptime(stmt: Stmt, days: readonly UptimeRecord[]): void {
  const add = stmt(
    `INSERT INTO uptime (app, customer, day, up_seconds, down_seconds, unknown_seconds) VALUES (?, ?, ?, ?, ?, ?)
     ON CONFLICT(app, day) DO UPDATE SET customer = excluded.customer, up_seconds = up_seconds + excluded.up_seconds,
       down_seconds = down_seconds + excluded.down_seconds, unknown_seconds = unknown_seconds + excluded.unknown_seconds`,
  );
  for (const d of days) add.run(d.app, d.customer, d.day, d.upSeconds, d.downSeconds, d.unknownSeconds);
}
