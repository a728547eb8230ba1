/**
 * The controller's state behind one interface: fleet revisions (the desired state and its
 * audit log), host join tokens and credentials, API tokens, and the last status each agent
 * reported. SQLite implements it now, PostgreSQL later; both must pass the contract suite in
 * test/contract/store.ts.
 *
 * Every write that belongs together is one transaction: a revision is either stored whole or
 * not at all, a join token is consumed exactly when the host's credential is stored.
 * Tokens and credentials are stored only as hashes; app secrets only sealed (encrypted by the
 * controller before they reach the store, see controller/secrets.ts).
 */
import type { BackupRunBody, BackupTask, BackupTaskReport } from '../../client/client.js';
import type { Silence } from '../../core/alerting/alerts.js';
import type { MonitorEvent } from '../../core/monitor/status.js';
import type { HostReport } from '../../core/report/host-report.js';
import type { UptimeDay } from '../../core/monitor/uptime.js';
import type { Placement } from '../../core/placement/types.js';
import type { MigrationEvent, MigrationRecord } from '../../core/migration/consent.js';
import type { Rollout } from '../../core/plan/rollout.js';
import type { BackupTaskKind } from '../../core/render/backups.js';

export type Role = 'admin' | 'operator' | 'viewer';

export interface RevisionInput {
  /** The head the caller planned against (null for the first revision): the revision check. */
  parent: number | null;
  /** The fleet documents as data, exactly as applied. */
  fleet: unknown;
  placements: Placement[];
  /** What changed against the parent (apps added/changed/moved/removed per host). */
  diff: unknown;
  author: string;
  message?: string;
  /** ISO 8601 time of the apply. */
  createdAt: string;
  /** The IPAM allocation record the revision's addresses come from (the next revision keeps them). */
  allocations?: unknown;
  /** When given, the holds after this revision, replacing all (an apply to every host gives none). */
  holds?: readonly HostHold[];
  /** A staged rollout of this revision (its `revision` is the new number), stored with it. */
  rollout?: Rollout;
}

/** A host that keeps the desired state of an earlier revision: a staged rollout has not reached it, or sent it back. */
export interface HostHold {
  host: string;
  /** The revision whose state it keeps (0: no units, no firewall). */
  revision: number;
  since: string;
}

export interface RevisionSummary {
  number: number;
  parent: number | null;
  author: string;
  message?: string;
  createdAt: string;
}

export interface Revision extends RevisionSummary {
  fleet: unknown;
  placements: Placement[];
  diff: unknown;
  /** Its IPAM allocation record (revisions stored before hafen kept one have none). */
  allocations?: unknown;
}

export interface JoinToken {
  /** Hash of the one-time token (the token itself is shown once and never stored). */
  hash: string;
  host: string;
  expiresAt: string;
}

export interface ApiToken {
  id: string;
  name: string;
  role: Role;
  hash: string;
  createdAt: string;
  revokedAt?: string;
  /** Scoped to this customer: the token reads only the customer's apps, uptime and moves. */
  customer?: string;
  /** A login session's end (tokens an admin creates do not expire). */
  expiresAt?: string;
}

/** Someone who logs in with a password (for a session token) instead of holding an API token. */
export interface User {
  name: string;
  role: Role;
  customer?: string;
  /** scrypt$N$r$p$salt$hash (lib/password.ts); never leaves the controller. */
  passwordHash: string;
  createdAt: string;
  updatedAt: string;
}

export interface HostStatus {
  host: string;
  /** What the agent reported (units, health, firewall, moves), as the API validated it. */
  status: HostReport;
  reportedAt: string;
}

export interface SecretInput {
  name: string;
  /** Fingerprint of the key that sealed the value. */
  keyId: string;
  /** The encrypted value (lib/seal.ts); the store never sees the plaintext. */
  sealed: string;
  updatedAt: string;
  updatedBy: string;
}

export interface SecretInfo {
  name: string;
  /** Grows by one with every set, also across a delete and a new set: a version is never reused. */
  version: number;
  keyId: string;
  updatedAt: string;
  updatedBy: string;
}

export interface SecretRecord extends SecretInfo {
  sealed: string;
}

/** Requests through the edge proxies of one site for one app in one minute (as proxies report them). */
export interface TrafficSample {
  app: string;
  site: string;
  /** Start of the minute, ISO 8601 UTC ("2026-11-26T10:05:00.000Z"). */
  minute: string;
  requests: number;
  /** Answers with status 5xx or none at all. */
  errors: number;
}

/** One proxy's most concurrent client connections in one minute. */
export interface ConnectionSample {
  site: string;
  proxy: string;
  minute: string;
  peak: number;
}

/**
 * The traffic history keeps three resolutions, written together as samples arrive: per minute
 * for 2 days, per hour for 90 days, per day for ever.
 */
export const TRAFFIC_RESOLUTIONS = ['minute', 'hour', 'day'] as const;
export type TrafficResolution = (typeof TRAFFIC_RESOLUTIONS)[number];
export const TRAFFIC_KEEP_MS: Record<TrafficResolution, number> = { minute: 2 * 86_400_000, hour: 90 * 86_400_000, day: Number.POSITIVE_INFINITY };

export interface TrafficRow {
  app: string;
  site: string;
  /** Start of the minute, hour or day (UTC). */
  at: string;
  requests: number;
  errors: number;
}

export interface ConnectionRow {
  site: string;
  proxy: string;
  at: string;
  peak: number;
}

/** Something that happened, for people and the alerting: a check changed state, a site was lost (core/monitor/status.ts). */
export type EventRecord = MonitorEvent;

/** A silence as stored; `reminded` once its end-reminder went out. */
export type SilenceRecord = Silence & { reminded: boolean };

/** A notification to one receiver, kept from the moment it is decided until it is delivered or given up. */
export interface NotificationRecord {
  /** The notification's id and the receiver: "customer:huber/firing/2026-…@ops-mail". */
  id: string;
  receiver: string;
  group: string;
  kind: string;
  severity: string;
  title: string;
  /** The whole notification as sent to the notifier (JSON). */
  body: unknown;
  createdAt: string;
  /** `sending` from its claim until the attempt's outcome is stored. */
  status: 'pending' | 'sending' | 'sent' | 'failed';
  attempts: number;
  nextAttemptAt: string;
  lastError?: string;
  sentAt?: string;
}

/** What one round of alerting decided, stored at once: group states, notifications to send, silences reminded. */
export interface AlertingCommit {
  groups: { key: string; state: unknown }[];
  outbox: Omit<NotificationRecord, 'status' | 'attempts' | 'lastError' | 'sentAt'>[];
  reminded: string[];
}

/** Site migrations (moves between sites) new or changed, what happened to them, and what to tell the customers, stored at once. */
export interface MigrationCommit {
  /** `tokenHash`: the customer's consent link, hashed (set once, when the move is proposed). */
  records: { record: MigrationRecord; tokenHash?: string }[];
  events: MigrationEvent[];
  outbox: AlertingCommit['outbox'];
}

/** Seconds an app was up, down and unknown on one day (UTC). */
export type UptimeRecord = UptimeDay;

export type { BackupTask, BackupTaskReport, Rollout };

/** A backup run as stored: what the agent reported, and which host reported it. */
export type StoredBackupRun = BackupRunBody & { host: string };

/**
 * Every table of the store (both stores have the same), in an order rows can be written in,
 * each with the columns its rows are exported in order of (its key): `hafen store export`.
 */
export const STORE_TABLES: readonly (readonly [table: string, orderBy: string])[] = [
  ['revisions', 'number'],
  ['join_tokens', 'hash'],
  ['host_credentials', 'hash'],
  ['api_tokens', 'id'],
  ['users', 'name'],
  ['host_status', 'host'],
  ['secrets', 'name'],
  ['traffic', 'app, site, hour'],
  ['traffic_minute', 'app, site, minute'],
  ['traffic_day', 'app, site, day'],
  ['connection_peaks', 'resolution, site, proxy, at'],
  ['events', 'id'],
  ['silences', 'id'],
  ['alert_groups', 'key'],
  ['notifications', 'id'],
  ['uptime', 'app, day'],
  ['unit_restarts', 'unit'],
  ['backup_runs', 'id'],
  ['backup_tasks', 'id'],
  ['rollouts', 'id'],
  ['host_holds', 'host'],
  ['site_migrations', 'id'],
  ['site_migration_events', 'id'],
];

/** A table's rows as stored: column → value (text, number or null). */
export type StoreRow = Record<string, string | number | null>;

export interface Store {
  /** The newest revision, if any. */
  head(): Promise<RevisionSummary | undefined>;
  /**
   * Stores a new revision on top of `input.parent`. Fails with HAFEN_STORE_REVISION_CONFLICT
   * (nothing stored) when the head is no longer `input.parent`. The holds and the rollout
   * given with it are stored in the same transaction (the rollout's id is returned).
   */
  appendRevision(input: RevisionInput): Promise<Revision & { rolloutId?: number }>;
  getRevision(number: number): Promise<Revision | undefined>;
  /** Newest first. */
  listRevisions(limit?: number): Promise<RevisionSummary[]>;

  /** Hosts held at an earlier revision than the newest. */
  holds(): Promise<HostHold[]>;
  /** Stores a rollout (a new one when its id is 0: the store assigns the id) and replaces every hold, in one transaction. */
  saveRollout(rollout: Rollout, holds: readonly HostHold[]): Promise<Rollout>;
  rollout(id: number): Promise<Rollout | undefined>;
  /** Newest first. */
  rollouts(limit: number): Promise<Rollout[]>;

  /** Stores migration records, their events and notifications in one transaction. */
  saveMigrations(c: MigrationCommit): Promise<void>;
  migration(id: string): Promise<MigrationRecord | undefined>;
  /** The migration whose consent link has this hash. */
  migrationByToken(tokenHash: string): Promise<MigrationRecord | undefined>;
  /** Newest first; `open`: only those proposed, accepted or running. */
  migrations(q: { open?: boolean; limit: number }): Promise<MigrationRecord[]>;
  /** Oldest first. */
  migrationEvents(id: string): Promise<MigrationEvent[]>;

  createJoinToken(token: JoinToken): Promise<void>;
  /**
   * Consumes a join token that has not expired at `now` and stores `credentialHash` as the
   * host's credential, atomically; returns the host, or undefined (token unknown, used or expired).
   */
  redeemJoinToken(hash: string, now: string, credentialHash: string): Promise<string | undefined>;
  hostForCredential(credentialHash: string): Promise<string | undefined>;

  createApiToken(token: ApiToken): Promise<void>;
  /** The token with this hash, unless revoked. */
  apiTokenByHash(hash: string): Promise<ApiToken | undefined>;
  listApiTokens(): Promise<ApiToken[]>;
  revokeApiToken(id: string, at: string): Promise<boolean>;

  /** Adds a user, or replaces the role, customer and password hash of one. */
  putUser(user: User): Promise<void>;
  getUser(name: string): Promise<User | undefined>;
  listUsers(): Promise<User[]>;
  /** Deletes a user and revokes its login sessions; false when there is no such user. */
  deleteUser(name: string, at: string): Promise<boolean>;

  /** Stores a secret's new sealed value with the next version. */
  putSecret(input: SecretInput): Promise<SecretInfo>;
  getSecret(name: string): Promise<SecretRecord | undefined>;
  /** Every secret that is set, by name, without values. */
  listSecrets(): Promise<SecretInfo[]>;
  /** Deletes the value (its version number stays reserved); false when it was not set. */
  deleteSecret(name: string, at: string): Promise<boolean>;

  /**
   * Adds the counts to every resolution of the history (a sample older than a resolution
   * keeps is not written there) and the connection peaks (the most of each bucket), in one
   * transaction, and drops what the resolutions no longer keep at `now`.
   */
  addTraffic(samples: readonly TrafficSample[], connections: readonly ConnectionSample[], now: string): Promise<void>;
  /** Stored buckets of one resolution from `since` (inclusive) on, oldest first, optionally for some apps. */
  traffic(query: { since: string; resolution: TrafficResolution; apps?: readonly string[] }): Promise<TrafficRow[]>;
  /** Connection peaks of one resolution from `since` on, oldest first. */
  connectionPeaks(query: { since: string; resolution: TrafficResolution }): Promise<ConnectionRow[]>;

  /** Appends events in one transaction; ids are assigned in order. */
  addEvents(events: readonly Omit<EventRecord, 'id'>[]): Promise<void>;
  /** Newest first, at most `limit` (default 100), optionally from a time on and of one kind or subject. */
  events(query: { since?: string; kind?: string; subject?: string; limit?: number }): Promise<EventRecord[]>;

  putSilence(s: SilenceRecord): Promise<void>;
  /** Silences not deleted, optionally only those not ended at `activeAt`; by end time. */
  silences(query?: { activeAt?: string }): Promise<SilenceRecord[]>;
  /** Ends a silence now (keeps it for the record); false when unknown or already ended. */
  endSilence(id: string, at: string): Promise<boolean>;

  /** The alert groups' last states (kept so a restart neither repeats nor forgets a notification). */
  alertGroups(): Promise<{ key: string; state: unknown }[]>;
  /** Replaces the group states, queues the notifications and marks reminded silences, in one transaction. */
  commitAlerting(c: AlertingCommit): Promise<void>;
  /** Notifications still to send whose next attempt is due at `now`, oldest first. */
  dueNotifications(now: string, limit: number): Promise<NotificationRecord[]>;
  updateNotification(id: string, change: Pick<NotificationRecord, 'status' | 'attempts' | 'nextAttemptAt'> & { lastError?: string; sentAt?: string }): Promise<void>;
  /** Marks a pending notification `sending` before an attempt; false when it was not pending (another took it, or it went). */
  claimNotification(id: string): Promise<boolean>;
  /**
   * Notifications left `sending` by a controller that stopped mid-attempt become `failed` with
   * `reason`: they may have gone out, and are not sent again (never twice). Returns their ids.
   */
  abandonSending(reason: string): Promise<string[]>;
  /** Newest first. */
  notifications(limit: number): Promise<NotificationRecord[]>;

  /** Adds the seconds to each (app, day), in one transaction. */
  addUptime(days: readonly UptimeRecord[]): Promise<void>;
  /** Days from `from` (inclusive) to `to` (exclusive), by app and day, optionally for some apps. */
  uptime(query: { from: string; to: string; apps?: readonly string[] }): Promise<UptimeRecord[]>;

  /** Counts one more restart of a unit asked by the controller; returns the unit's new restart generation. */
  restartUnit(unit: string, at: string): Promise<number>;
  /** Every unit the controller had restarted, with its restart generation. */
  unitRestarts(): Promise<{ unit: string; generation: number; lastAt: string }[]>;
  /** Stores backup runs of a host; a run already stored (same host, app and start) is skipped. */
  addBackupRuns(host: string, runs: readonly BackupRunBody[]): Promise<void>;
  /** Backup runs, newest first (of one app, or all). */
  backupRuns(q: { app?: string; limit: number }): Promise<StoredBackupRun[]>;
  /** Per app: its newest run, its newest successful run, and the start of the first failure since that success (null when none failed). */
  lastBackupRuns(): Promise<{ app: string; lastRun: StoredBackupRun; lastSuccess: StoredBackupRun | null; failingSince: string | null }[]>;

  /** Stores a backup task asked for (state pending). */
  addBackupTask(task: BackupTask): Promise<void>;
  backupTask(id: string): Promise<BackupTask | undefined>;
  /** Backup tasks, newest first; `open`: only those pending or running. */
  backupTasks(q: { app?: string; host?: string; kind?: BackupTaskKind; open?: boolean; limit: number }): Promise<BackupTask[]>;
  /**
   * Records what a host's agent reports of its tasks: tasks of that host are updated (a
   * finished task never goes back to running); tasks the agent started on its own (scheduled
   * drills and checks) are added as asked by "schedule". Reports for another host's task are ignored.
   */
  reportBackupTasks(host: string, reports: readonly BackupTaskReport[]): Promise<void>;
  /** Marks the tasks still pending that were asked for before `before` as expired (never sent again); returns how many. */
  expireBackupTasks(before: string): Promise<number>;
  /** Per app, its newest finished task of `kind`. */
  lastBackupTasks(kind: BackupTaskKind): Promise<BackupTask[]>;

  /** Stores the last report of each host given, in one transaction (the controller batches heartbeats). */
  putHostStatuses(statuses: readonly HostStatus[]): Promise<void>;
  hostStatuses(): Promise<HostStatus[]>;

  /** Every row of every table (STORE_TABLES order, each in its key order), as of one moment (for moving a store: `hafen store export`). */
  exportRows(): Promise<{ table: string; rows: StoreRow[] }[]>;
  /**
   * Writes rows exported from a store into this one, in one transaction; refused
   * (HAFEN_STORE_NOT_EMPTY) unless every table is empty, so nothing is ever merged.
   */
  importRows(tables: readonly { table: string; rows: readonly StoreRow[] }[]): Promise<void>;

  close(): Promise<void>;
}
