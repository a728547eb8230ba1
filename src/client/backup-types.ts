/** The backup API's bodies and answers (runs, tasks, plans, the repository disks), shared by the controller, agents and CLI. */
import type { BackupTaskKind, BackupTaskOrder } from '../core/render/backups.js';
import type { RetentionPoint, SpaceEstimate } from '../core/retention/forecast.js';
import type { RepositorySpaceReport } from '../core/report/host-report.js';

export interface BackupRunBody {
  app: string;
  unit: string;
  repository: string;
  startedAt: string;
  finishedAt: string;
  ok: boolean;
  snapshotId?: string;
  filesNew?: number;
  filesChanged?: number;
  dataAdded?: number;
  totalBytes?: number;
  seconds?: number;
  forgotten?: number;
  pruned?: boolean;
  error?: { kind: string; message: string };
}

/** What a backup task produced: a snapshot (run), a restored directory (restore, drill), the part of the data read (check). */
export interface BackupTaskResult {
  snapshotId?: string;
  /** When the snapshot was made (restore, drill). */
  snapshotTime?: string;
  /** Where a restore put the files (on the job's host). */
  path?: string;
  files?: number;
  bytes?: number;
  /** How long the restore (drill: restore and verification) took: the measured RTO. */
  seconds?: number;
  /** The snapshot's age when the drill restored it: the RPO it proves. */
  dataAgeSeconds?: number;
  /** check: the part of the data read ("2/4"). */
  subset?: string;
  /** restore into the app: how long it was stopped, and where its data from before the restore was kept. */
  downtimeSeconds?: number;
  keptAside?: string[];
  /** drill: the declared verification command's last output lines. */
  verifyOutput?: string;
}

/** What an agent reports of a backup task (asked for, or scheduled: drills and checks). */
export interface BackupTaskReport {
  id: string;
  app: string;
  kind: BackupTaskKind;
  state: 'running' | 'done' | 'failed';
  startedAt: string;
  finishedAt?: string;
  result?: BackupTaskResult;
  error?: { kind: string; message: string };
}

/** What may be asked with a task: restore's snapshot, target (scratch space or the app), source (repository or copy) and host (`to`: another host than the job's; scratch space there). */
export type BackupTaskOptions = Pick<BackupTaskOrder, 'snapshot' | 'into' | 'from'> & { to?: string };

/** What a backup host's agent (--repositories DIR) reports of the disk holding the repositories (core/report/host-report.ts). */
export type { RepositorySpaceReport };

/** A backup task as the controller keeps it; `host` is the host whose agent runs it. */
export interface BackupTask extends Omit<BackupTaskOrder, 'job'> {
  host: string;
  /** Who asked (a token's name), or "schedule". */
  requestedBy: string;
  createdAt: string;
  /** expired: asked, but not taken up by the agent within an hour. */
  state: 'pending' | 'running' | 'done' | 'failed' | 'expired';
  startedAt?: string;
  finishedAt?: string;
  result?: BackupTaskResult;
  error?: { kind: string; message: string };
}

/** Retention and space ahead (GET /v1/backups/plan). */
export interface BackupPlanResponse {
  apps: {
    app: string;
    customer: string;
    schedule: string;
    keep: Record<string, number | string>;
    backupHost: string | null;
    repositorySite: string;
    retention: RetentionPoint[];
    space: SpaceEstimate;
  }[];
  hosts: { host: string; capacity: number | null; apps: string[]; bytes: { days: number; bytes: number; share: number | null }[] }[];
}

export interface BackupsResponse {
  /** Per app with a backup policy: where and when, and its last run and last success. */
  apps: {
    app: string;
    customer: string;
    host: string | null;
    schedule: string;
    repository: string | null;
    /** The copy's repository at the copyTo site (null without one). */
    copy: string | null;
    /** Why the app has no backup job. */
    problem?: string;
    lastRun: (BackupRunBody & { host: string }) | null;
    lastSuccess: (BackupRunBody & { host: string }) | null;
    /** The first failed run since the last success (null when the last run succeeded). */
    failingSince: string | null;
    /** When the next successful run is due by, at the latest (the backup-overdue alert fires after). */
    dueBy: string | null;
    /** The newest finished restore drill and restic check. */
    lastDrill: BackupTask | null;
    lastCheck: BackupTask | null;
  }[];
  /** Runs, newest first. */
  runs: (BackupRunBody & { host: string })[];
  /** The backup hosts' repository disks, as their agents (--repositories) report them. */
  disks: (RepositorySpaceReport & { host: string; site: string; since: string })[];
}
