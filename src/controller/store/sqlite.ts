/**
 * The SQLite store (better-sqlite3): one file under the data directory, WAL journal with
 * synchronous=FULL so a committed revision survives a crash or power loss, migrations on open.
 */
import { chmodSync, closeSync, existsSync, openSync } from 'node:fs';
import { dirWithMode } from '../../lib/fs.js';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import type { StandbyRecord } from '../../core/standby/roles.js';
import { HafenError } from '../../lib/errors.js';
import { SQLITE_MIGRATIONS } from './migrations.js';
import { readHolds, readRollouts, replaceHolds, writeRollout } from './sqlite-rollouts.js';
import * as access from './sqlite-access.js';
import * as alerting from './sqlite-alerting.js';
import * as tasks from './sqlite-backup-tasks.js';
import { readMoveEvents, readMoves, writeMoves } from './sqlite-moves.js';
import { readConnectionPeaks, readTraffic, writeTraffic } from './sqlite-traffic.js';
import { STORE_TABLES, type HostHold, type MoveCommit, type Rollout, type StoreRow } from './store.js';
import { insertSql, notEmpty } from './transfer.js';
import type { MoveEvent, MoveRecord } from '../../core/move/consent.js';
import type { ApiToken, AuditEntry, AuditQuery, User, HostStatus, JoinToken, Revision, RevisionInput, RevisionSummary, SecretInfo, SecretInput, SecretRecord, Store, TrafficSample, EventRecord, SilenceRecord, AlertingCommit, NotificationRecord, ConnectionSample, ConnectionRow, TrafficRow, TrafficResolution, UptimeRecord, StoredBackupRun, BackupTask, BackupTaskReport } from './store.js';
import { AUDIT_INSERT, auditArgs, auditEntry, auditSelect, type AuditRow } from './audit-rows.js';
import type { BackupRunBody } from '../../client/client.js';
import type { BackupTaskKind } from '../../core/render/backups.js';
import { notificationOf, secretInfo, storedRun, summary, type NotificationRow, type RevisionRow, type SecretRow, type SilenceRow } from './sqlite-rows.js';

export class SqliteStore implements Store {
  private readonly db: Database.Database;
  /** Prepared statements by SQL text: preparing costs more than running most of them. */
  private readonly statements = new Map<string, Database.Statement>();

  /** The statement cache as a function, for the table modules (sqlite-rollouts.ts, sqlite-backup-tasks.ts). */
  private readonly sql = (text: string): Database.Statement => this.stmt(text);

  private stmt(sql: string): Database.Statement {
    let st = this.statements.get(sql);
    if (!st) {
      st = this.db.prepare(sql);
      this.statements.set(sql, st);
    }
    return st;
  }

  /** Opens (creating if needed) the store at `path` (":memory:" for tests) and migrates it. */
  constructor(path: string) {
    if (path !== ':memory:') privateFiles(path);
    try {
      this.db = new Database(path);
      this.db.pragma('journal_mode = WAL');
      this.db.pragma('synchronous = FULL');
      this.db.pragma('foreign_keys = ON');
      this.db.pragma('busy_timeout = 5000');
      this.migrate();
    } catch (err) {
      if (err instanceof HafenError) throw err;
      throw new HafenError('HAFEN_STORE_OPEN', `cannot open the store at ${path}: ${(err as Error).message}`, { cause: err });
    }
  }

  private migrate(): void {
    const current = this.db.pragma('user_version', { simple: true }) as number;
    if (current > SQLITE_MIGRATIONS.length) {
      throw new HafenError('HAFEN_STORE_TOO_NEW', `the store has schema version ${current}, newer than this hafen knows (${SQLITE_MIGRATIONS.length}); upgrade hafen`);
    }
    for (let v = current; v < SQLITE_MIGRATIONS.length; v++) {
      this.db.transaction(() => {
        this.db.exec(SQLITE_MIGRATIONS[v]!);
        this.db.pragma(`user_version = ${v + 1}`);
      })();
    }
  }

  async head(): Promise<RevisionSummary | undefined> {
    const row = this.stmt('SELECT number, parent, author, message, created_at FROM revisions ORDER BY number DESC LIMIT 1').get() as RevisionRow | undefined;
    return row && summary(row);
  }

  async appendRevision(input: RevisionInput): Promise<Revision & { rolloutId?: number }> {
    const append = this.db.transaction((): Revision & { rolloutId?: number } => {
      const head = this.stmt('SELECT max(number) AS n FROM revisions').get() as { n: number | null };
      if (head.n !== input.parent) {
        throw new HafenError(
          'HAFEN_STORE_REVISION_CONFLICT',
          `the fleet changed while you planned: revision ${head.n ?? 'none'} is now the newest, your plan was made against ${input.parent ?? 'none'}; plan and apply again`,
        );
      }
      const number = (head.n ?? 0) + 1;
      this.stmt('INSERT INTO revisions (number, parent, author, message, created_at, fleet, placements, diff, allocations) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)')
        .run(number, input.parent, input.author, input.message ?? null, input.createdAt, JSON.stringify(input.fleet), JSON.stringify(input.placements), JSON.stringify(input.diff), input.allocations === undefined ? null : JSON.stringify(input.allocations));
      const rev: Revision & { rolloutId?: number } = { number, parent: input.parent, author: input.author, createdAt: input.createdAt, fleet: input.fleet, placements: input.placements, diff: input.diff };
      if (input.message !== undefined) rev.message = input.message;
      if (input.allocations !== undefined) rev.allocations = input.allocations;
      if (input.holds) replaceHolds(this.sql, input.holds);
      if (input.rollout) rev.rolloutId = writeRollout(this.sql, { ...input.rollout, revision: number }).id;
      const blob = this.stmt('INSERT INTO blobs (digest, content, created_at) VALUES (?, ?, ?) ON CONFLICT (digest) DO NOTHING');
      for (const b of input.blobs ?? []) blob.run(b.digest, b.content, input.createdAt);
      return rev;
    });
    // IMMEDIATE: take the write lock before reading the head, so two writers cannot both see the same head.
    return append.immediate();
  }

  async getRevision(number: number): Promise<Revision | undefined> {
    const row = this.stmt('SELECT * FROM revisions WHERE number = ?').get(number) as RevisionRow | undefined;
    if (!row) return undefined;
    return { ...summary(row), fleet: JSON.parse(row.fleet!), placements: JSON.parse(row.placements!), diff: JSON.parse(row.diff!), ...(row.allocations ? { allocations: JSON.parse(row.allocations) } : {}) };
  }

  async blobs(digests: readonly string[]): Promise<Map<string, string>> {
    const get = this.stmt('SELECT content FROM blobs WHERE digest = ?');
    const out = new Map<string, string>();
    for (const d of new Set(digests)) {
      const row = get.get(d) as { content: string } | undefined;
      if (row) out.set(d, row.content);
    }
    return out;
  }

  async listRevisions(limit = 100): Promise<RevisionSummary[]> {
    const rows = this.stmt('SELECT number, parent, author, message, created_at FROM revisions ORDER BY number DESC LIMIT ?').all(limit) as RevisionRow[];
    return rows.map(summary);
  }

  async holds(): Promise<HostHold[]> {
    return readHolds(this.sql);
  }

  async saveRollout(rollout: Rollout, holds: readonly HostHold[]): Promise<Rollout> {
    return this.db.transaction(() => {
      replaceHolds(this.sql, holds);
      return writeRollout(this.sql, rollout);
    }).immediate();
  }

  async rollout(id: number): Promise<Rollout | undefined> {
    return readRollouts(this.sql, { id, limit: 1 })[0];
  }

  async rollouts(limit: number): Promise<Rollout[]> {
    return readRollouts(this.sql, { limit });
  }

  async saveMoves(c: MoveCommit): Promise<void> {
    this.db.transaction(() => writeMoves(this.sql, c))();
  }

  async move(id: string): Promise<MoveRecord | undefined> {
    return readMoves(this.sql, { id, limit: 1 })[0];
  }

  async moveByToken(tokenHash: string): Promise<MoveRecord | undefined> {
    return readMoves(this.sql, { tokenHash, limit: 1 })[0];
  }

  async moves(q: { open?: boolean; limit: number }): Promise<MoveRecord[]> {
    return readMoves(this.sql, q);
  }

  async moveEvents(id: string): Promise<MoveEvent[]> {
    return readMoveEvents(this.sql, id);
  }

  async createJoinToken(t: JoinToken): Promise<void> {
    this.stmt('INSERT INTO join_tokens (hash, host, expires_at) VALUES (?, ?, ?)').run(t.hash, t.host, t.expiresAt);
  }

  async redeemJoinToken(hash: string, now: string, credentialHash: string): Promise<string | undefined> {
    const redeem = this.db.transaction((): string | undefined => {
      const row = this.stmt('SELECT host, expires_at, used_at FROM join_tokens WHERE hash = ?').get(hash) as { host: string; expires_at: string; used_at: string | null } | undefined;
      if (!row || row.used_at !== null || row.expires_at <= now) return undefined;
      this.stmt('UPDATE join_tokens SET used_at = ? WHERE hash = ?').run(now, hash);
      // A host that joins again gets a new credential; the old one stops working, and is kept so its agent is told why.
      this.stmt('INSERT INTO replaced_credentials (hash, host, replaced_at) SELECT hash, host, ? FROM host_credentials WHERE host = ? ON CONFLICT(hash) DO NOTHING').run(now, row.host);
      this.stmt('INSERT INTO host_credentials (hash, host, created_at) VALUES (?, ?, ?) ON CONFLICT(host) DO UPDATE SET hash = excluded.hash, created_at = excluded.created_at')
        .run(credentialHash, row.host, now);
      return row.host;
    });
    return redeem.immediate();
  }

  async hostForCredential(credentialHash: string): Promise<string | undefined> {
    const row = this.stmt('SELECT host FROM host_credentials WHERE hash = ?').get(credentialHash) as { host: string } | undefined;
    return row?.host;
  }

  async hostJoinedAt(host: string): Promise<string | undefined> {
    return (this.stmt('SELECT created_at FROM host_credentials WHERE host = ?').get(host) as { created_at: string } | undefined)?.created_at;
  }

  async replacedCredential(credentialHash: string): Promise<{ host: string; replacedAt: string } | undefined> {
    const row = this.stmt('SELECT host, replaced_at FROM replaced_credentials WHERE hash = ?').get(credentialHash) as { host: string; replaced_at: string } | undefined;
    return row && { host: row.host, replacedAt: row.replaced_at };
  }

  async addAudit(entries: readonly Omit<AuditEntry, 'id'>[]): Promise<void> {
    const add = this.stmt(AUDIT_INSERT);
    this.db.transaction(() => {
      for (const e of entries) add.run(...auditArgs(e));
    })();
  }

  async audit(query: AuditQuery): Promise<AuditEntry[]> {
    const { sql, args } = auditSelect(query);
    return (this.stmt(sql).all(...args) as AuditRow[]).map(auditEntry);
  }

  async createApiToken(t: ApiToken): Promise<void> {
    access.insertToken(this.sql, t);
  }

  async apiTokenByHash(hash: string): Promise<ApiToken | undefined> {
    return access.tokenByHash(this.sql, hash);
  }

  async listApiTokens(): Promise<ApiToken[]> {
    return access.listTokens(this.sql);
  }

  async revokeApiToken(id: string, at: string): Promise<boolean> {
    return access.revokeToken(this.sql, id, at);
  }

  async putUser(u: User): Promise<void> {
    access.writeUser(this.sql, u);
  }

  async getUser(name: string): Promise<User | undefined> {
    return access.readUser(this.sql, name);
  }

  async listUsers(): Promise<User[]> {
    return access.readUsers(this.sql);
  }

  async deleteUser(name: string, at: string): Promise<boolean> {
    return this.db.transaction(() => access.removeUser(this.sql, name, at))();
  }

  async putSecret(input: SecretInput): Promise<SecretInfo> {
    const put = this.db.transaction((): SecretInfo => {
      const row = this.stmt(
          `INSERT INTO secrets (name, version, key_id, sealed, updated_at, updated_by) VALUES (?, 1, ?, ?, ?, ?)
           ON CONFLICT(name) DO UPDATE SET version = version + 1, key_id = excluded.key_id, sealed = excluded.sealed,
             updated_at = excluded.updated_at, updated_by = excluded.updated_by, deleted_at = NULL
           RETURNING *`,
        )
        .get(input.name, input.keyId, input.sealed, input.updatedAt, input.updatedBy) as SecretRow;
      return secretInfo(row);
    });
    return put.immediate();
  }

  async getSecret(name: string): Promise<SecretRecord | undefined> {
    const row = this.stmt('SELECT * FROM secrets WHERE name = ? AND deleted_at IS NULL').get(name) as SecretRow | undefined;
    return row && { ...secretInfo(row), sealed: row.sealed };
  }

  async listSecrets(): Promise<SecretInfo[]> {
    return (this.stmt('SELECT * FROM secrets WHERE deleted_at IS NULL ORDER BY name').all() as SecretRow[]).map(secretInfo);
  }

  async deleteSecret(name: string, at: string): Promise<boolean> {
    return this.stmt('UPDATE secrets SET sealed = NULL, key_id = NULL, deleted_at = ? WHERE name = ? AND deleted_at IS NULL').run(at, name).changes === 1;
  }

  async addTraffic(samples: readonly TrafficSample[], connections: readonly ConnectionSample[], now: string): Promise<void> {
    this.db.transaction(() => writeTraffic(this.sql, samples, connections, now))();
  }

  async traffic(query: { since: string; resolution: TrafficResolution; apps?: readonly string[] }): Promise<TrafficRow[]> {
    return readTraffic(this.sql, query);
  }

  async connectionPeaks(query: { since: string; resolution: TrafficResolution }): Promise<ConnectionRow[]> {
    return readConnectionPeaks(this.sql, query);
  }

  async addEvents(events: readonly Omit<EventRecord, 'id'>[]): Promise<void> {
    const add = this.stmt('INSERT INTO events (at, kind, subject, state, message, data) VALUES (?, ?, ?, ?, ?, ?)');
    this.db.transaction(() => {
      for (const e of events) add.run(e.at, e.kind, e.subject, e.state, e.message, e.data === undefined ? null : JSON.stringify(e.data));
    })();
  }

  async events(query: { since?: string; kind?: string; subject?: string; limit?: number }): Promise<EventRecord[]> {
    const where: string[] = [];
    const args: (string | number)[] = [];
    for (const [column, value] of [['at >=', query.since], ['kind =', query.kind], ['subject =', query.subject]] as const) {
      if (value === undefined) continue;
      where.push(`${column} ?`);
      args.push(value);
    }
    const sql = `SELECT * FROM events${where.length ? ` WHERE ${where.join(' AND ')}` : ''} ORDER BY id DESC LIMIT ?`;
    const rows = this.stmt(sql).all(...args, Math.min(Math.max(query.limit ?? 100, 1), 10_000)) as { id: number; at: string; kind: string; subject: string; state: string; message: string; data: string | null }[];
    return rows.map((r) => ({ id: r.id, at: r.at, kind: r.kind, subject: r.subject, state: r.state, message: r.message, ...(r.data === null ? {} : { data: JSON.parse(r.data) as unknown }) }));
  }

  async putSilence(s: SilenceRecord): Promise<void> {
    this.stmt('INSERT INTO silences (id, matchers, starts_at, ends_at, comment, created_by, reminded) VALUES (?, ?, ?, ?, ?, ?, ?)').run(s.id, JSON.stringify(s.matchers), s.startsAt, s.endsAt, s.comment, s.createdBy, s.reminded ? 1 : 0);
  }

  async silences(query: { activeAt?: string } = {}): Promise<SilenceRecord[]> {
    const rows = (query.activeAt === undefined ? this.stmt('SELECT * FROM silences ORDER BY ends_at, id').all() : this.stmt('SELECT * FROM silences WHERE ends_at > ? ORDER BY ends_at, id').all(query.activeAt)) as SilenceRow[];
    return rows.map((r) => ({ id: r.id, matchers: JSON.parse(r.matchers) as SilenceRecord['matchers'], startsAt: r.starts_at, endsAt: r.ends_at, comment: r.comment, createdBy: r.created_by, reminded: r.reminded === 1 }));
  }

  async endSilence(id: string, at: string): Promise<boolean> {
    return this.stmt('UPDATE silences SET ends_at = ? WHERE id = ? AND ends_at > ?').run(at, id, at).changes === 1;
  }

  async alertGroups(): Promise<{ key: string; state: unknown }[]> {
    return (this.stmt('SELECT key, state FROM alert_groups ORDER BY key').all() as { key: string; state: string }[]).map((r) => ({ key: r.key, state: JSON.parse(r.state) as unknown }));
  }

  async commitAlerting(c: AlertingCommit): Promise<void> {
    this.db.transaction(() => alerting.writeAlerting(this.sql, c))();
  }

  async dueNotifications(now: string, limit: number): Promise<NotificationRecord[]> {
    return alerting.dueNotifications(this.sql, now, limit);
  }

  async updateNotification(id: string, change: Pick<NotificationRecord, 'status' | 'attempts' | 'nextAttemptAt'> & { lastError?: string; sentAt?: string }): Promise<void> {
    alerting.updateNotification(this.sql, id, change);
  }

  async claimNotification(id: string): Promise<boolean> {
    return alerting.claimNotification(this.sql, id);
  }

  async abandonSending(reason: string): Promise<string[]> {
    return alerting.abandonSending(this.sql, reason);
  }

  async notifications(limit: number): Promise<NotificationRecord[]> {
    return (this.stmt('SELECT * FROM notifications ORDER BY created_at DESC, id DESC LIMIT ?').all(limit) as NotificationRow[]).map(notificationOf);
  }

  async addUptime(days: readonly UptimeRecord[]): Promise<void> {
    this.db.transaction(() => alerting.addUptime(this.sql, days))();
  }

  async uptime(query: { from: string; to: string; apps?: readonly string[] }): Promise<UptimeRecord[]> {
    const rows = this.stmt('SELECT * FROM uptime WHERE day >= ? AND day < ? ORDER BY app, day').all(query.from, query.to) as { app: string; customer: string; day: string; up_seconds: number; down_seconds: number; unknown_seconds: number }[];
    const apps = query.apps ? new Set(query.apps) : undefined;
    return rows.filter((r) => !apps || apps.has(r.app)).map((r) => ({ app: r.app, customer: r.customer, day: r.day, upSeconds: r.up_seconds, downSeconds: r.down_seconds, unknownSeconds: r.unknown_seconds }));
  }

  async restartUnit(unit: string, at: string): Promise<number> {
    const row = this.stmt('INSERT INTO unit_restarts (unit, generation, last_at) VALUES (?, 1, ?) ON CONFLICT(unit) DO UPDATE SET generation = generation + 1, last_at = excluded.last_at RETURNING generation').get(unit, at) as { generation: number };
    return row.generation;
  }

  async unitRestarts(): Promise<{ unit: string; generation: number; lastAt: string }[]> {
    return (this.stmt('SELECT unit, generation, last_at FROM unit_restarts ORDER BY unit').all() as { unit: string; generation: number; last_at: string }[]).map((r) => ({ unit: r.unit, generation: r.generation, lastAt: r.last_at }));
  }
  async standbyRoles(): Promise<StandbyRecord[]> {
    return (this.stmt('SELECT data FROM standby_roles ORDER BY app').all() as { data: string }[]).map((r) => JSON.parse(r.data) as StandbyRecord);
  }

  async putStandbyRole(record: StandbyRecord, expectTerm: number | null): Promise<boolean> {
    const data = JSON.stringify(record);
    const changes =
      expectTerm === null
        ? this.stmt('INSERT INTO standby_roles (app, term, data, updated_at) VALUES (?, ?, ?, ?) ON CONFLICT(app) DO NOTHING').run(record.app, record.term, data, record.since).changes
        : this.stmt('UPDATE standby_roles SET term = ?, data = ?, updated_at = ? WHERE app = ? AND term = ? AND ? >= term').run(record.term, data, record.since, record.app, expectTerm, record.term).changes;
    return changes === 1;
  }

  async addBackupRuns(host: string, runs: readonly BackupRunBody[]): Promise<void> {
    const insert = this.stmt('INSERT OR IGNORE INTO backup_runs (host, app, started_at, finished_at, ok, run) VALUES (?, ?, ?, ?, ?, ?)');
    this.db.transaction(() => {
      for (const r of runs) insert.run(host, r.app, r.startedAt, r.finishedAt, r.ok ? 1 : 0, JSON.stringify(r));
    })();
  }

  async backupRuns(q: { app?: string; limit: number }): Promise<StoredBackupRun[]> {
    const rows = (q.app === undefined
      ? this.stmt('SELECT host, run FROM backup_runs ORDER BY id DESC LIMIT ?').all(q.limit)
      : this.stmt('SELECT host, run FROM backup_runs WHERE app = ? ORDER BY id DESC LIMIT ?').all(q.app, q.limit)) as { host: string; run: string }[];
    return rows.map(storedRun);
  }

  async lastBackupRuns(): Promise<{ app: string; lastRun: StoredBackupRun; lastSuccess: StoredBackupRun | null; failingSince: string | null }[]> {
    return tasks.lastRuns(this.sql);
  }

  async addBackupTask(task: BackupTask): Promise<void> {
    tasks.add(this.sql, task);
  }

  async backupTask(id: string): Promise<BackupTask | undefined> {
    return tasks.get(this.sql, id);
  }

  async backupTasks(q: { app?: string; host?: string; kind?: BackupTaskKind; open?: boolean; limit: number }): Promise<BackupTask[]> {
    return tasks.list(this.sql, q);
  }

  async reportBackupTasks(host: string, reports: readonly BackupTaskReport[]): Promise<void> {
    this.db.transaction(() => tasks.report(this.sql, host, reports))();
  }

  async expireBackupTasks(before: string): Promise<number> {
    return this.db.transaction(() => tasks.expire(this.sql, before))();
  }

  async lastBackupTasks(kind: BackupTaskKind): Promise<BackupTask[]> {
    return tasks.lastFinished(this.sql, kind);
  }

  async putHostStatuses(statuses: readonly HostStatus[]): Promise<void> {
    const put = this.stmt('INSERT INTO host_status (host, status, reported_at) VALUES (?, ?, ?) ON CONFLICT(host) DO UPDATE SET status = excluded.status, reported_at = excluded.reported_at');
    this.db.transaction(() => {
      for (const s of statuses) put.run(s.host, JSON.stringify(s.status), s.reportedAt);
    })();
  }

  async hostStatuses(): Promise<HostStatus[]> {
    const rows = this.stmt('SELECT host, status, reported_at FROM host_status ORDER BY host').all() as { host: string; status: string; reported_at: string }[];
    return rows.map((r) => ({ host: r.host, status: JSON.parse(r.status), reportedAt: r.reported_at }));
  }

  async exportRows(): Promise<{ table: string; rows: StoreRow[] }[]> {
    // One read transaction: every table as of the same moment.
    return this.db.transaction(() => STORE_TABLES.map(([table, order]) => ({ table, rows: this.db.prepare(`SELECT * FROM ${table} ORDER BY ${order}`).all() as StoreRow[] })))();
  }

  async importRows(tables: readonly { table: string; rows: readonly StoreRow[] }[]): Promise<void> {
    this.db.transaction(() => {
      for (const [t] of STORE_TABLES) if (this.db.prepare(`SELECT 1 FROM ${t} LIMIT 1`).get()) throw notEmpty(t);
      for (const { table, rows } of tables) for (const row of rows) this.stmt(insertSql(table, Object.keys(row))).run(...Object.values(row));
    }).immediate();
  }

  async close(): Promise<void> {
    this.db.close();
  }
}

/**
 * The store is the controller's alone, whoever starts it: its directory 0700, the database 0600
 * before SQLite opens it (SQLite gives its -wal and -shm files the database file's mode).
 */
function privateFiles(path: string): void {
  dirWithMode(dirname(path), 0o700);
  if (!existsSync(path)) closeSync(openSync(path, 'a', 0o600));
  for (const f of [path, `${path}-wal`, `${path}-shm`]) if (existsSync(f)) chmodSync(f, 0o600);
}
