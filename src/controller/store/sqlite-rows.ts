/** Rows of the stores (SQLite and PostgreSQL: the same tables) as the database returns them, and their conversion to the Store's records. */
import type { BackupRunBody } from '../../client/client.js';
import type { ApiToken, BackupTask, BackupTaskReport, NotificationRecord, RevisionSummary, Role, SecretInfo, StoredBackupRun, TrafficResolution, User } from './store.js';

export interface RevisionRow {
  number: number;
  parent: number | null;
  author: string;
  message: string | null;
  created_at: string;
  fleet?: string;
  placements?: string;
  diff?: string;
  allocations?: string | null;
}

export interface SecretRow {
  name: string;
  version: number;
  key_id: string;
  sealed: string;
  updated_at: string;
  updated_by: string;
}

export function secretInfo(row: SecretRow): SecretInfo {
  return { name: row.name, version: row.version, keyId: row.key_id, updatedAt: row.updated_at, updatedBy: row.updated_by };
}

export function summary(row: RevisionRow): RevisionSummary {
  const s: RevisionSummary = { number: row.number, parent: row.parent, author: row.author, createdAt: row.created_at };
  if (row.message !== null) s.message = row.message;
  return s;
}

export const TRAFFIC_TABLES: Record<TrafficResolution, [string, string]> = { minute: ['traffic_minute', 'minute'], hour: ['traffic', 'hour'], day: ['traffic_day', 'day'] };

/** The start of the hour or day (UTC) a minute falls in. */
export function bucketOf(minute: string, r: TrafficResolution): string {
  if (r === 'minute') return new Date(minute).toISOString();
  const d = new Date(minute);
  d.setUTCMinutes(0, 0, 0);
  if (r === 'day') d.setUTCHours(0);
  return d.toISOString();
}

export interface SilenceRow {
  id: string;
  matchers: string;
  starts_at: string;
  ends_at: string;
  comment: string;
  created_by: string;
  reminded: number;
}

export interface NotificationRow {
  id: string;
  receiver: string;
  group_key: string;
  kind: string;
  severity: string;
  title: string;
  body: string;
  created_at: string;
  status: NotificationRecord['status'];
  attempts: number;
  next_attempt_at: string;
  last_error: string | null;
  sent_at: string | null;
}

export function notificationOf(r: NotificationRow): NotificationRecord {
  return {
    id: r.id,
    receiver: r.receiver,
    group: r.group_key,
    kind: r.kind,
    severity: r.severity,
    title: r.title,
    body: JSON.parse(r.body) as unknown,
    createdAt: r.created_at,
    status: r.status,
    attempts: r.attempts,
    nextAttemptAt: r.next_attempt_at,
    ...(r.last_error !== null ? { lastError: r.last_error } : {}),
    ...(r.sent_at !== null ? { sentAt: r.sent_at } : {}),
  };
}

/** A backup run row: the run as the agent sent it, and the host that sent it. */
export function storedRun(r: { host: string; run: string }): StoredBackupRun {
  return { ...(JSON.parse(r.run) as BackupRunBody), host: r.host };
}

export interface TokenRow {
  id: string;
  name: string;
  role: Role;
  hash: string;
  created_at: string;
  revoked_at: string | null;
  customer: string | null;
  expires_at: string | null;
}

export interface UserRow {
  name: string;
  role: Role;
  customer: string | null;
  password_hash: string;
  created_at: string;
  updated_at: string;
}

export function token(row: TokenRow): ApiToken {
  return {
    id: row.id,
    name: row.name,
    role: row.role,
    hash: row.hash,
    createdAt: row.created_at,
    ...(row.revoked_at !== null ? { revokedAt: row.revoked_at } : {}),
    ...(row.customer !== null ? { customer: row.customer } : {}),
    ...(row.expires_at !== null ? { expiresAt: row.expires_at } : {}),
  };
}

export const user = (row: UserRow): User => ({
  name: row.name,
  role: row.role,
  ...(row.customer !== null ? { customer: row.customer } : {}),
  passwordHash: row.password_hash,
  createdAt: row.created_at,
  updatedAt: row.updated_at,
});

/** The three queries behind lastBackupRuns (the same on both stores), and how their rows combine. */
export const LAST_RUNS_SQL = {
  last: 'SELECT app, host, run FROM backup_runs WHERE id IN (SELECT MAX(id) FROM backup_runs GROUP BY app) ORDER BY app',
  ok: 'SELECT app, host, run FROM backup_runs WHERE id IN (SELECT MAX(id) FROM backup_runs WHERE ok = 1 GROUP BY app)',
  failing: 'SELECT app, MIN(started_at) AS since FROM backup_runs b WHERE ok = 0 AND id > COALESCE((SELECT MAX(id) FROM backup_runs WHERE app = b.app AND ok = 1), 0) GROUP BY app',
};

type RunRow = { app: string; host: string; run: string };

export function lastRunsOf(last: readonly RunRow[], ok: readonly RunRow[], failing: readonly { app: string; since: string }[]): { app: string; lastRun: StoredBackupRun; lastSuccess: StoredBackupRun | null; failingSince: string | null }[] {
  const success = new Map(ok.map((r) => [r.app, storedRun(r)]));
  const since = new Map(failing.map((r) => [r.app, r.since]));
  return last.map((r) => {
    const lastRun = storedRun(r);
    return { app: r.app, lastRun, lastSuccess: success.get(r.app) ?? null, failingSince: lastRun.ok ? null : (since.get(r.app) ?? null) };
  });
}

/**
 * What a host's report does to a backup task (the same on both stores): a task the agent
 * started on its own is new (asked by "schedule"); a task of that host is updated, except that a
 * finished one never goes back to running; another host's task is left alone (undefined).
 */
export function reportedTask(host: string, r: BackupTaskReport, row: { host: string; state: string; task: string } | undefined): { task: BackupTask; isNew: boolean } | undefined {
  const { id, app, kind, state, startedAt, finishedAt, result, error } = r;
  const outcome = { state, startedAt, ...(finishedAt ? { finishedAt } : {}), ...(result ? { result } : {}), ...(error ? { error } : {}) };
  if (!row) return { task: { id, app, kind, host, requestedBy: 'schedule', createdAt: startedAt, ...outcome }, isNew: true };
  if (row.host !== host || (FINISHED_TASK.has(row.state) && state === 'running')) return undefined;
  return { task: { ...(JSON.parse(row.task) as BackupTask), ...outcome }, isNew: false };
}

/** Backup task states that are final. */
const FINISHED_TASK = new Set(['done', 'failed']);
