/** The audit history's query and rows, the same SQL for both stores (`?` placeholders). */
import type { AuditEntry, AuditQuery } from './records.js';

export interface AuditRow {
  id: number | string;
  at: string;
  actor: string;
  action: string;
  subject: string;
  customer: string | null;
  detail: string | null;
}

export const AUDIT_INSERT = 'INSERT INTO audit (at, actor, action, subject, customer, detail) VALUES (?, ?, ?, ?, ?, ?)';

export function auditArgs(e: Omit<AuditEntry, 'id'>): (string | null)[] {
  return [e.at, e.actor, e.action, e.subject, e.customer ?? null, e.detail === undefined ? null : JSON.stringify(e.detail)];
}

/** The SELECT for a query, newest first; an action ending in "." matches every action it begins. */
export function auditSelect(q: AuditQuery): { sql: string; args: (string | number)[] } {
  const where: string[] = [];
  const args: (string | number)[] = [];
  const add = (clause: string, value: string | undefined) => {
    if (value === undefined) return;
    where.push(clause);
    args.push(value);
  };
  add('at >= ?', q.since);
  add('at < ?', q.until);
  add('actor = ?', q.actor);
  if (q.action?.endsWith('.')) {
    where.push('substr(action, 1, ?) = ?');
    args.push(q.action.length, q.action);
  } else add('action = ?', q.action);
  add('subject = ?', q.subject);
  add('customer = ?', q.customer);
  const limit = Math.min(Math.max(q.limit ?? 100, 1), 10_000);
  return { sql: `SELECT * FROM audit${where.length ? ` WHERE ${where.join(' AND ')}` : ''} ORDER BY id DESC LIMIT ?`, args: [...args, limit] };
}

export function auditEntry(r: AuditRow): AuditEntry {
  return {
    id: Number(r.id),
    at: r.at,
    actor: r.actor,
    action: r.action,
    subject: r.subject,
    ...(r.customer === null ? {} : { customer: r.customer }),
    ...(r.detail === null ? {} : { detail: JSON.parse(r.detail) as AuditEntry['detail'] & object }),
  };
}
