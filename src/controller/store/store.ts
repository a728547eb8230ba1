/**
 * The controller's state behind one interface: fleet revisions (the desired state and its
 * audit log), host join tokens and credentials, API tokens, and the last status each agent
 * reported, and the rest listed in records.ts. SQLite and PostgreSQL implement it; both pass
 * the contract suite in test/contract/store.ts.
 *
 * Every write that belongs together is one transaction: a revision is either stored whole or
 * not at all, a join token is consumed exactly when the host's credential is stored.
 * Tokens and credentials are stored only as hashes; app secrets only sealed (encrypted by the
 * controller before they reach the store, see controller/secrets.ts).
 */
import type { AlertingCommit, ApiToken, AuditEntry, AuditQuery, BackupTask, BackupTaskReport, ConnectionRow, ConnectionSample, EventRecord, HostHold, HostStatus, JoinToken, MoveCommit, NotificationRecord, Revision, RevisionInput, RevisionSummary, Rollout, SecretInfo, SecretInput, SecretRecord, SilenceRecord, StoredBackupRun, TrafficResolution, TrafficRow, TrafficSample, UptimeRecord, User } from './records.js';
import type { StandbyRecord } from '../../core/standby/roles.js';

import type { MoveEvent, MoveRecord } from '../../core/move/consent.js';
import type { BackupRunBody } from '../../client/client.js';
import type { BackupTaskKind } from '../../core/render/backups.js';

export * from './records.js';

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
  ['blobs', 'digest'],
  ['standby_roles', 'app'],
  ['audit', 'id'],
  ['replaced_credentials', 'hash'],
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
  /** The blobs stored with revisions, by digest; a digest not stored is missing from the map. */
  blobs(digests: readonly string[]): Promise<Map<string, string>>;
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
  saveMoves(c: MoveCommit): Promise<void>;
  move(id: string): Promise<MoveRecord | undefined>;
  /** The migration whose consent link has this hash. */
  moveByToken(tokenHash: string): Promise<MoveRecord | undefined>;
  /** Newest first; `open`: only those proposed, accepted or running. */
  moves(q: { open?: boolean; limit: number }): Promise<MoveRecord[]>;
  /** Oldest first. */
  moveEvents(id: string): Promise<MoveEvent[]>;

  createJoinToken(token: JoinToken): Promise<void>;
  /**
   * Consumes a join token that has not expired at `now` and stores `credentialHash` as the
   * host's credential, atomically; returns the host, or undefined (token unknown, used or expired).
   */
  redeemJoinToken(hash: string, now: string, credentialHash: string): Promise<string | undefined>;
  hostForCredential(credentialHash: string): Promise<string | undefined>;
  /** When the host's current credential was issued (it joined), or undefined when it has none. */
  hostJoinedAt(host: string): Promise<string | undefined>;
  /** A credential a later join of its host replaced (redeemJoinToken keeps it here), so its agent can be told. */
  replacedCredential(credentialHash: string): Promise<{ host: string; replacedAt: string } | undefined>;

  /** Appends to the audit history in one transaction; ids in order. */
  addAudit(entries: readonly Omit<AuditEntry, 'id'>[]): Promise<void>;
  /** Newest first, at most `limit` (default 100, at most 10,000). */
  audit(query: AuditQuery): Promise<AuditEntry[]>;

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
  /** Every standby app's writer that changed (failover, switchover), by app. */
  standbyRoles(): Promise<StandbyRecord[]>;
  /**
   * Writes an app's writer if its stored term is still `expectTerm` (null: none stored yet);
   * false when another writer of the store got there first. Terms only go up.
   */
  putStandbyRole(record: StandbyRecord, expectTerm: number | null): Promise<boolean>;
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
