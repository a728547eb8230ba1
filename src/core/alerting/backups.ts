/**
 * Backup alerts (pure): from what the controller knows of each app's backups, the alerts
 * that fire:
 * - `backup-failed:<app>`: the last run failed (warning), with restic's reason;
 * - `backup-overdue:<app>`: the dead man's switch, no successful run when one was due (warning,
 *   critical for a critical app): a job that stopped running (its agent gone, its host off,
 *   its schedule never firing) says nothing, so silence itself must alert;
 * - `backup-setup:<app>`: the job cannot run at all (no repository at the target site, the
 *   app not placed), warning;
 * - `backup-drill:<app>`, `backup-check:<app>`: the newest restore drill or restic check failed
 *   (warning): a backup that does not restore, or a repository with damaged data, is the
 *   failure backups exist to prevent.
 * - `backup-space:<host>`: the disk holding a backup host's repositories is nearly full (85%
 *   used: warning; 95%: critical) or cannot be read; a full disk fails every backup there.
 * They are grouped by the repository's site (a backup host down fails every job that backs up
 * there at once: one notification) and carry the job's host, so a host that stopped reporting
 * explains them (see deriveAlerts).
 */
import { Cron } from 'croner';
import { formatBytes } from '../fleet/units.js';
import type { Severity } from '../fleet/schema/alerting.js';
import type { Alert } from './alerts.js';

export interface BackupState {
  app: string;
  customer: string;
  critical: boolean;
  /** The host whose agent runs the job; null when there is no job. */
  host: string | null;
  schedule: string;
  /** The site the repository is at (the app's `backup.to`). */
  repositorySite: string;
  /** Why the job cannot run, when it cannot. */
  problem?: string;
  lastRun: { startedAt: string; ok: boolean; error?: { kind: string; message: string } } | null;
  lastSuccess: { startedAt: string; finishedAt: string } | null;
  /** The first failed run since the last success (null when the last run succeeded). */
  failingSince: string | null;
  /** Since when the job is expected to run (its revision): the dead man's reference before a first success. */
  expectedSince: string;
  /** The newest finished restore drill and restic check (undefined or null: none yet). */
  lastDrill?: FinishedTask | null;
  lastCheck?: FinishedTask | null;
}

export interface FinishedTask {
  state: string;
  startedAt?: string;
  error?: { kind: string; message: string };
}

const HOUR = 3_600_000;
/** Sub-minute schedules (tests, demos) still get this much slack. */
const MIN_GRACE_MS = 30_000;

/** The longest gap between consecutive runs of `schedule` over its next runs from `from` (ms); undefined for a schedule that never runs. */
export function scheduleInterval(schedule: string, from: Date): number | undefined {
  const runs = new Cron(schedule, { timezone: 'UTC', paused: true }).nextRuns(9, from);
  if (runs.length < 2) return undefined;
  let gap = 0;
  for (let i = 1; i < runs.length; i++) gap = Math.max(gap, runs[i]!.getTime() - runs[i - 1]!.getTime());
  return gap;
}

/**
 * When a successful run is due by at the latest: the first scheduled time after the last
 * success (or after the job was configured) plus a grace for the run itself: an hour (at most
 * the interval), or twice the last successful run's duration when that is longer, and never
 * under 30 s. Undefined for a schedule that never fires.
 */
export function backupDeadline(s: Pick<BackupState, 'schedule' | 'lastSuccess' | 'expectedSince'>): Date | undefined {
  const reference = new Date(s.lastSuccess?.startedAt ?? s.expectedSince);
  const next = new Cron(s.schedule, { timezone: 'UTC', paused: true }).nextRun(reference);
  const interval = scheduleInterval(s.schedule, reference);
  if (!next || interval === undefined) return undefined;
  const lastDuration = s.lastSuccess ? Date.parse(s.lastSuccess.finishedAt) - Date.parse(s.lastSuccess.startedAt) : 0;
  const grace = Math.max(Math.min(interval, HOUR), 2 * lastDuration, MIN_GRACE_MS);
  return new Date(next.getTime() + grace);
}

/** Share of a repository disk used from which backup-space warns, and from which it is critical. */
export const SPACE_WARNING = 0.85;
export const SPACE_CRITICAL = 0.95;

/** What a backup host's agent reported of the disk holding its repositories. */
export interface RepositoryDisk {
  host: string;
  site: string;
  path: string;
  total?: number;
  free?: number;
  /** Why its size cannot be read. */
  error?: string;
  /** Since when it is at its present level (warning, critical, unknown), for the alert. */
  since: string;
}

/** How full a repository disk is: ok, warning, critical, or unknown (not readable). */
export function spaceLevel(d: Pick<RepositoryDisk, 'total' | 'free' | 'error'>): 'ok' | 'warning' | 'critical' | 'unknown' {
  if (d.error || d.total === undefined || d.free === undefined || d.total <= 0) return 'unknown';
  const used = 1 - d.free / d.total;
  return used >= SPACE_CRITICAL ? 'critical' : used >= SPACE_WARNING ? 'warning' : 'ok';
}

/** backup-space alerts of the backup hosts' repository disks. */
export function backupSpaceAlerts(disks: readonly RepositoryDisk[]): Alert[] {
  return disks.flatMap((d): Alert[] => {
    const level = spaceLevel(d);
    if (level === 'ok') return [];
    const base = { key: `backup-space:${d.host}`, group: `backup:${d.site}`, labels: { site: d.site, host: d.host }, since: d.since };
    if (level === 'unknown') return [{ ...base, severity: 'warning', summary: `the free space of the repositories on ${d.host} (${d.path}) cannot be read: ${d.error ?? 'no size reported'}` }];
    const used = Math.round((1 - d.free! / d.total!) * 100);
    return [{ ...base, severity: level, summary: `the repositories on ${d.host} (${d.path}) are ${used}% full: ${formatBytes(d.free!)} of ${formatBytes(d.total!)} free; backups there fail when it is full` }];
  });
}

export function backupAlerts(states: readonly BackupState[], now: Date): Alert[] {
  const alerts: Alert[] = [];
  for (const s of states) {
    const labels = { customer: s.customer, app: s.app, site: s.repositorySite, ...(s.host ? { host: s.host } : {}) };
    const group = `backup:${s.repositorySite}`;
    if (s.problem) {
      alerts.push({ key: `backup-setup:${s.app}`, severity: 'warning', group, summary: `backups of ${s.app} cannot run: ${s.problem}`, labels, since: s.expectedSince });
      continue;
    }
    if (s.lastRun && !s.lastRun.ok) {
      const why = s.lastRun.error ? `${s.lastRun.error.kind}: ${s.lastRun.error.message}` : 'no reason given';
      alerts.push({ key: `backup-failed:${s.app}`, severity: 'warning', group, summary: `backup of ${s.app} on ${s.host ?? '?'} failed (${why})`, labels, since: s.failingSince ?? s.lastRun.startedAt });
    }
    for (const [what, task] of [['drill', s.lastDrill], ['check', s.lastCheck]] as const) {
      if (task?.state !== 'failed') continue;
      const why = task.error ? `${task.error.kind}: ${task.error.message}` : 'no reason given';
      const title = what === 'drill' ? `the restore drill of ${s.app}` : `restic check of the repository of ${s.app}`;
      alerts.push({ key: `backup-${what}:${s.app}`, severity: 'warning', group, summary: `${title} failed (${why})`, labels, since: task.startedAt ?? s.expectedSince });
    }
    const deadline = backupDeadline(s);
    if (deadline && now.getTime() > deadline.getTime()) {
      const severity: Severity = s.critical ? 'critical' : 'warning';
      const last = s.lastSuccess ? `since ${s.lastSuccess.startedAt}` : 'yet';
      alerts.push({ key: `backup-overdue:${s.app}`, severity, group, summary: `no successful backup of ${s.app} ${last}: one was due by ${deadline.toISOString()} (schedule "${s.schedule}" on ${s.host ?? '?'})`, labels, since: deadline.toISOString() });
    }
  }
  return alerts;
}
