/**
 * The PostgreSQL store (the `pg` driver): the controller's state in a database replicated with
 * PostgreSQL's own streaming replication, shared by several controllers of which one leads
 * (postgres-leader.ts). A pool of connections; every write that belongs together is one
 * transaction on one connection, fenced by the leader's term once `fence` is called; where the
 * SQLite store takes its write lock up front (BEGIN IMMEDIATE) this one takes a
 * transaction-scoped advisory lock, so two controllers appending a revision at once cannot both
 * see the same head. Migrated on open (postgres-migrate.ts). Same contract as the SQLite store
 * (test/contract/store.ts).
 */
import pg from 'pg';
import type { BackupRunBody } from '../../client/client.js';
import type { MoveEvent, MoveRecord } from '../../core/move/consent.js';
import type { BackupTaskKind } from '../../core/render/backups.js';
import type { StandbyRecord } from '../../core/standby/roles.js';
import { HafenError } from '../../lib/errors.js';
import { checkTerm } from './postgres-leader.js';
import { migratePostgres } from './postgres-migrate.js';
import { primaryOf, queryOn, redact, types, type Q } from './postgres-query.js';
import * as t from './postgres-tables.js';
import * as rows from './postgres-rows.js';
import { notificationOf, secretInfo, summary, type NotificationRow, type RevisionRow, type SecretRow, type SilenceRow } from './sqlite-rows.js';
import type { StoreRow, AlertingCommit, ApiToken, AuditEntry, AuditQuery, BackupTask, BackupTaskReport, ConnectionRow, ConnectionSample, EventRecord, HostHold, HostStatus, JoinToken, MoveCommit, NotificationRecord, Revision, RevisionInput, RevisionSummary, Rollout, SecretInfo, SecretInput, SecretRecord, SilenceRecord, Store, StoredBackupRun, TrafficResolution, TrafficRow, TrafficSample, UptimeRecord, User } from './store.js';
import { AUDIT_INSERT, auditArgs, auditEntry, auditSelect, type AuditRow } from './audit-rows.js';

/** Transaction-scoped advisory lock keys ("hafen-re", "hafen-jo"): writers of revisions, of host credentials. */
const REVISION_LOCK = '7521981237479335269';
const JOIN_LOCK = '7521981237479338095';

export class PostgresStore implements Store {
  private readonly q: Q;
  /** The leader's term: write transactions check it is still the newest (fenced). */
  private term?: number;

  private constructor(
    private readonly pool: pg.Pool,
    /** The primary's URL (what several hosts in the store's URL came to). */
    readonly primary: string,
  ) {
    this.q = queryOn(pool);
  }

  /**
   * Connects to `url` (postgres://user@host:port[,host2:port]/database; password from the URL,
   * PGPASSWORD or ~/.pgpass) and migrates the database.
   */
  static async open(url: string, o: { max?: number } = {}): Promise<PostgresStore> {
    // Of several hosts (a primary, standbys) the primary; after a failover a restart finds the new one.
    const primary = await primaryOf(url);
    const pool = new pg.Pool({ connectionString: primary, max: o.max ?? 10, types, connectionTimeoutMillis: 10_000 });
    // An idle connection that breaks (a failover, a restart) is dropped from the pool, not thrown.
    pool.on('error', () => undefined);
    try {
      await migratePostgres(pool);
    } catch (err) {
      await pool.end();
      if (err instanceof HafenError) throw err;
      throw new HafenError('HAFEN_STORE_OPEN', `cannot open the PostgreSQL store at ${redact(url)}: ${(err as Error).message}`, { cause: err });
    }
    return new PostgresStore(pool, primary);
  }

  /** From now on every write transaction fails (HAFEN_STORE_NOT_LEADER) once another controller leads after `term`. */
  fence(term: number): void {
    this.term = term;
  }

  /** Runs `fn` in one transaction on one connection (after taking `lock`, when given); rolled back if it throws. */
  private async tx<T>(fn: (q: Q) => Promise<T>, lock?: string, mode = ''): Promise<T> {
    const client = await this.pool.connect();
    try {
      await client.query(`BEGIN ${mode}`);
      if (this.term !== undefined && !mode.includes('READ ONLY')) await checkTerm(queryOn(client), this.term);
      if (lock) await client.query('SELECT pg_advisory_xact_lock($1)', [lock]);
      const out = await fn(queryOn(client));
      await client.query('COMMIT');
      return out;
    } catch (err) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw err;
    } finally {
      client.release();
    }
  }

  async head(): Promise<RevisionSummary | undefined> {
    const row = (await this.q<RevisionRow>('SELECT number, parent, author, message, created_at FROM revisions ORDER BY number DESC LIMIT 1')).rows[0];
    return row && summary(row);
  }

  async appendRevision(input: RevisionInput): Promise<Revision & { rolloutId?: number }> {
    return this.tx(async (q) => {
      const n = (await q<{ n: number | null }>('SELECT max(number) AS n FROM revisions')).rows[0]!.n;
      if (n !== input.parent) {
        throw new HafenError('HAFEN_STORE_REVISION_CONFLICT', `the fleet changed while you planned: revision ${n ?? 'none'} is now the newest, your plan was made against ${input.parent ?? 'none'}; plan and apply again`);
      }
      const number = (n ?? 0) + 1;
      await q('INSERT INTO revisions (number, parent, author, message, created_at, fleet, placements, diff, allocations) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)', [
        number,
        input.parent,
        input.author,
        input.message ?? null,
        input.createdAt,
        JSON.stringify(input.fleet),
        JSON.stringify(input.placements),
        JSON.stringify(input.diff),
        input.allocations === undefined ? null : JSON.stringify(input.allocations),
      ]);
      const rev: Revision & { rolloutId?: number } = { number, parent: input.parent, author: input.author, createdAt: input.createdAt, fleet: input.fleet, placements: input.placements, diff: input.diff };
      if (input.message !== undefined) rev.message = input.message;
      if (input.allocations !== undefined) rev.allocations = input.allocations;
      if (input.holds) await t.replaceHolds(q, input.holds);
      if (input.rollout) rev.rolloutId = (await t.writeRollout(q, { ...input.rollout, revision: number })).id;
      for (const b of input.blobs ?? []) await q('INSERT INTO blobs (digest, content, created_at) VALUES (?, ?, ?) ON CONFLICT (digest) DO NOTHING', [b.digest, b.content, input.createdAt]);
      return rev;
    }, REVISION_LOCK);
  }

  async blobs(digests: readonly string[]): Promise<Map<string, string>> {
    const wanted = [...new Set(digests)];
    if (wanted.length === 0) return new Map();
    const rows = (await this.q<{ digest: string; content: string }>('SELECT digest, content FROM blobs WHERE digest = ANY(?)', [wanted])).rows;
    return new Map(rows.map((r) => [r.digest, r.content]));
  }

  async getRevision(number: number): Promise<Revision | undefined> {
    const row = (await this.q<RevisionRow>('SELECT * FROM revisions WHERE number = ?', [number])).rows[0];
    if (!row) return undefined;
    return { ...summary(row), fleet: JSON.parse(row.fleet!), placements: JSON.parse(row.placements!), diff: JSON.parse(row.diff!), ...(row.allocations ? { allocations: JSON.parse(row.allocations) } : {}) };
  }

  async listRevisions(limit = 100): Promise<RevisionSummary[]> {
    return (await this.q<RevisionRow>('SELECT number, parent, author, message, created_at FROM revisions ORDER BY number DESC LIMIT ?', [limit])).rows.map(summary);
  }

  async holds(): Promise<HostHold[]> {
    return t.readHolds(this.q);
  }

  async saveRollout(rollout: Rollout, holds: readonly HostHold[]): Promise<Rollout> {
    return this.tx(async (q) => {
      await t.replaceHolds(q, holds);
      return t.writeRollout(q, rollout);
    }, REVISION_LOCK);
  }

  async rollout(id: number): Promise<Rollout | undefined> {
    return (await t.readRollouts(this.q, { id, limit: 1 }))[0];
  }

  async rollouts(limit: number): Promise<Rollout[]> {
    return t.readRollouts(this.q, { limit });
  }

  async saveMoves(c: MoveCommit): Promise<void> {
    await this.tx((q) => t.writeMoves(q, c));
  }

  async move(id: string): Promise<MoveRecord | undefined> {
    return (await t.readMoves(this.q, { id, limit: 1 }))[0];
  }

  async moveByToken(tokenHash: string): Promise<MoveRecord | undefined> {
    return (await t.readMoves(this.q, { tokenHash, limit: 1 }))[0];
  }

  async moves(w: { open?: boolean; limit: number }): Promise<MoveRecord[]> {
    return t.readMoves(this.q, w);
  }

  async moveEvents(id: string): Promise<MoveEvent[]> {
    return t.readMoveEvents(this.q, id);
  }

  async createJoinToken(j: JoinToken): Promise<void> {
    await this.q('INSERT INTO join_tokens (hash, host, expires_at) VALUES (?, ?, ?)', [j.hash, j.host, j.expiresAt]);
  }

  async redeemJoinToken(hash: string, now: string, credentialHash: string): Promise<string | undefined> {
    return this.tx(async (q) => {
      const row = (await q<{ host: string; expires_at: string; used_at: string | null }>('SELECT host, expires_at, used_at FROM join_tokens WHERE hash = ? FOR UPDATE', [hash])).rows[0];
      if (!row || row.used_at !== null || row.expires_at <= now) return undefined;
      await q('UPDATE join_tokens SET used_at = ? WHERE hash = ?', [now, hash]);
      // A host that joins again gets a new credential; the old one stops working, and is kept so its agent is told why.
      await q('INSERT INTO replaced_credentials (hash, host, replaced_at) SELECT hash, host, ? FROM host_credentials WHERE host = ? ON CONFLICT (hash) DO NOTHING', [now, row.host]);
      await q('INSERT INTO host_credentials (hash, host, created_at) VALUES (?, ?, ?) ON CONFLICT (host) DO UPDATE SET hash = excluded.hash, created_at = excluded.created_at', [credentialHash, row.host, now]);
      return row.host;
    }, JOIN_LOCK);
  }

  async hostForCredential(credentialHash: string): Promise<string | undefined> {
    return (await this.q<{ host: string }>('SELECT host FROM host_credentials WHERE hash = ?', [credentialHash])).rows[0]?.host;
  }

  async hostJoinedAt(host: string): Promise<string | undefined> {
    return (await this.q<{ created_at: string }>('SELECT created_at FROM host_credentials WHERE host = ?', [host])).rows[0]?.created_at;
  }

  async replacedCredential(credentialHash: string): Promise<{ host: string; replacedAt: string } | undefined> {
    const row = (await this.q<{ host: string; replaced_at: string }>('SELECT host, replaced_at FROM replaced_credentials WHERE hash = ?', [credentialHash])).rows[0];
    return row && { host: row.host, replacedAt: row.replaced_at };
  }

  async addAudit(entries: readonly Omit<AuditEntry, 'id'>[]): Promise<void> {
    await this.tx(async (q) => {
      for (const e of entries) await q(AUDIT_INSERT, auditArgs(e));
    });
  }

  async audit(query: AuditQuery): Promise<AuditEntry[]> {
    const { sql, args } = auditSelect(query);
    return (await this.q<AuditRow>(sql, args)).rows.map(auditEntry);
  }

  createApiToken(token: ApiToken): Promise<void> {
    return rows.insertToken(this.q, token);
  }

  apiTokenByHash(hash: string): Promise<ApiToken | undefined> {
    return rows.tokenByHash(this.q, hash);
  }

  listApiTokens(): Promise<ApiToken[]> {
    return rows.listTokens(this.q);
  }

  revokeApiToken(id: string, at: string): Promise<boolean> {
    return rows.revokeToken(this.q, id, at);
  }

  putUser(u: User): Promise<void> {
    return rows.writeUser(this.q, u);
  }

  getUser(name: string): Promise<User | undefined> {
    return rows.readUser(this.q, name);
  }

  listUsers(): Promise<User[]> {
    return rows.readUsers(this.q);
  }

  deleteUser(name: string, at: string): Promise<boolean> {
    return this.tx((q) => rows.removeUser(q, name, at));
  }

  async putSecret(input: SecretInput): Promise<SecretInfo> {
    const row = (
      await this.q<SecretRow>(
        `INSERT INTO secrets (name, version, key_id, sealed, updated_at, updated_by) VALUES (?, 1, ?, ?, ?, ?)
         ON CONFLICT (name) DO UPDATE SET version = secrets.version + 1, key_id = excluded.key_id, sealed = excluded.sealed,
           updated_at = excluded.updated_at, updated_by = excluded.updated_by, deleted_at = NULL
         RETURNING *`,
        [input.name, input.keyId, input.sealed, input.updatedAt, input.updatedBy],
      )
    ).rows[0]!;
    return secretInfo(row);
  }

  async getSecret(name: string): Promise<SecretRecord | undefined> {
    const row = (await this.q<SecretRow>('SELECT * FROM secrets WHERE name = ? AND deleted_at IS NULL', [name])).rows[0];
    return row && { ...secretInfo(row), sealed: row.sealed };
  }

  async listSecrets(): Promise<SecretInfo[]> {
    return (await this.q<SecretRow>('SELECT * FROM secrets WHERE deleted_at IS NULL ORDER BY name')).rows.map(secretInfo);
  }

  async deleteSecret(name: string, at: string): Promise<boolean> {
    return (await this.q('UPDATE secrets SET sealed = NULL, key_id = NULL, deleted_at = ? WHERE name = ? AND deleted_at IS NULL', [at, name])).count === 1;
  }

  async addTraffic(samples: readonly TrafficSample[], connections: readonly ConnectionSample[], now: string): Promise<void> {
    await this.tx((q) => t.writeTraffic(q, samples, connections, now));
  }

  traffic(w: { since: string; resolution: TrafficResolution; apps?: readonly string[] }): Promise<TrafficRow[]> {
    return t.readTraffic(this.q, w);
  }

  connectionPeaks(w: { since: string; resolution: TrafficResolution }): Promise<ConnectionRow[]> {
    return t.readConnectionPeaks(this.q, w);
  }

  async addEvents(events: readonly Omit<EventRecord, 'id'>[]): Promise<void> {
    await this.tx(async (q) => {
      for (const e of events) await q('INSERT INTO events (at, kind, subject, state, message, data) VALUES (?, ?, ?, ?, ?, ?)', [e.at, e.kind, e.subject, e.state, e.message, e.data === undefined ? null : JSON.stringify(e.data)]);
    });
  }

  async events(w: { since?: string; kind?: string; subject?: string; limit?: number }): Promise<EventRecord[]> {
    const where: string[] = [];
    const args: (string | number)[] = [];
    for (const [column, value] of [['at >=', w.since], ['kind =', w.kind], ['subject =', w.subject]] as const) {
      if (value === undefined) continue;
      where.push(`${column} ?`);
      args.push(value);
    }
    const sql = `SELECT * FROM events${where.length ? ` WHERE ${where.join(' AND ')}` : ''} ORDER BY id DESC LIMIT ?`;
    const found = await this.q<{ id: number; at: string; kind: string; subject: string; state: string; message: string; data: string | null }>(sql, [...args, Math.min(Math.max(w.limit ?? 100, 1), 10_000)]);
    return found.rows.map((r) => ({ id: r.id, at: r.at, kind: r.kind, subject: r.subject, state: r.state, message: r.message, ...(r.data === null ? {} : { data: JSON.parse(r.data) as unknown }) }));
  }

  async putSilence(s: SilenceRecord): Promise<void> {
    await this.q('INSERT INTO silences (id, matchers, starts_at, ends_at, comment, created_by, reminded) VALUES (?, ?, ?, ?, ?, ?, ?)', [s.id, JSON.stringify(s.matchers), s.startsAt, s.endsAt, s.comment, s.createdBy, s.reminded ? 1 : 0]);
  }

  async silences(w: { activeAt?: string } = {}): Promise<SilenceRecord[]> {
    const found = w.activeAt === undefined ? await this.q<SilenceRow>('SELECT * FROM silences ORDER BY ends_at, id') : await this.q<SilenceRow>('SELECT * FROM silences WHERE ends_at > ? ORDER BY ends_at, id', [w.activeAt]);
    return found.rows.map((r) => ({ id: r.id, matchers: JSON.parse(r.matchers) as SilenceRecord['matchers'], startsAt: r.starts_at, endsAt: r.ends_at, comment: r.comment, createdBy: r.created_by, reminded: r.reminded === 1 }));
  }

  async endSilence(id: string, at: string): Promise<boolean> {
    return (await this.q('UPDATE silences SET ends_at = ? WHERE id = ? AND ends_at > ?', [at, id, at])).count === 1;
  }

  async alertGroups(): Promise<{ key: string; state: unknown }[]> {
    return (await this.q<{ key: string; state: string }>('SELECT key, state FROM alert_groups ORDER BY key')).rows.map((r) => ({ key: r.key, state: JSON.parse(r.state) as unknown }));
  }

  async commitAlerting(c: AlertingCommit): Promise<void> {
    await this.tx((q) => t.writeAlerting(q, c));
  }

  async dueNotifications(now: string, limit: number): Promise<NotificationRecord[]> {
    return (await this.q<NotificationRow>("SELECT * FROM notifications WHERE status = 'pending' AND next_attempt_at <= ? ORDER BY created_at, id LIMIT ?", [now, limit])).rows.map(notificationOf);
  }

  async updateNotification(id: string, change: Pick<NotificationRecord, 'status' | 'attempts' | 'nextAttemptAt'> & { lastError?: string; sentAt?: string }): Promise<void> {
    await this.q('UPDATE notifications SET status = ?, attempts = ?, next_attempt_at = ?, last_error = ?, sent_at = ? WHERE id = ?', [change.status, change.attempts, change.nextAttemptAt, change.lastError ?? null, change.sentAt ?? null, id]);
  }

  async claimNotification(id: string): Promise<boolean> {
    return (await this.tx((q) => q("UPDATE notifications SET status = 'sending' WHERE id = ? AND status = 'pending'", [id]))).count === 1;
  }

  async abandonSending(reason: string): Promise<string[]> {
    return (await this.tx((q) => q<{ id: string }>("UPDATE notifications SET status = 'failed', last_error = ? WHERE status = 'sending' RETURNING id", [reason]))).rows.map((r) => r.id);
  }

  async notifications(limit: number): Promise<NotificationRecord[]> {
    return (await this.q<NotificationRow>('SELECT * FROM notifications ORDER BY created_at DESC, id DESC LIMIT ?', [limit])).rows.map(notificationOf);
  }

  async addUptime(days: readonly UptimeRecord[]): Promise<void> {
    await this.tx((q) => t.addUptime(q, days));
  }

  async uptime(w: { from: string; to: string; apps?: readonly string[] }): Promise<UptimeRecord[]> {
    const found = await this.q<{ app: string; customer: string; day: string; up_seconds: number; down_seconds: number; unknown_seconds: number }>('SELECT * FROM uptime WHERE day >= ? AND day < ? ORDER BY app, day', [w.from, w.to]);
    const apps = w.apps ? new Set(w.apps) : undefined;
    return found.rows.filter((r) => !apps || apps.has(r.app)).map((r) => ({ app: r.app, customer: r.customer, day: r.day, upSeconds: r.up_seconds, downSeconds: r.down_seconds, unknownSeconds: r.unknown_seconds }));
  }

  async restartUnit(unit: string, at: string): Promise<number> {
    const found = await this.q<{ generation: number }>('INSERT INTO unit_restarts (unit, generation, last_at) VALUES (?, 1, ?) ON CONFLICT (unit) DO UPDATE SET generation = unit_restarts.generation + 1, last_at = excluded.last_at RETURNING generation', [unit, at]);
    return found.rows[0]!.generation;
  }

  async unitRestarts(): Promise<{ unit: string; generation: number; lastAt: string }[]> {
    return (await this.q<{ unit: string; generation: number; last_at: string }>('SELECT unit, generation, last_at FROM unit_restarts ORDER BY unit')).rows.map((r) => ({ unit: r.unit, generation: r.generation, lastAt: r.last_at }));
  }

  async standbyRoles(): Promise<StandbyRecord[]> {
    return (await this.q<{ data: string }>('SELECT data FROM standby_roles ORDER BY app')).rows.map((r) => JSON.parse(r.data) as StandbyRecord);
  }

  async putStandbyRole(record: StandbyRecord, expectTerm: number | null): Promise<boolean> {
    const data = JSON.stringify(record);
    // In a transaction: fenced by the leader's term, so a deposed controller cannot promote.
    return this.tx(async (q) => {
      const found =
        expectTerm === null
          ? await q<{ app: string }>('INSERT INTO standby_roles (app, term, data, updated_at) VALUES (?, ?, ?, ?) ON CONFLICT (app) DO NOTHING RETURNING app', [record.app, record.term, data, record.since])
          : await q<{ app: string }>('UPDATE standby_roles SET term = ?, data = ?, updated_at = ? WHERE app = ? AND term = ? AND ? >= term RETURNING app', [record.term, data, record.since, record.app, expectTerm, record.term]);
      return found.rows.length === 1;
    });
  }

  async addBackupRuns(host: string, runs: readonly BackupRunBody[]): Promise<void> {
    await this.tx(async (q) => {
      for (const r of runs) await q('INSERT INTO backup_runs (host, app, started_at, finished_at, ok, run) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING', [host, r.app, r.startedAt, r.finishedAt, r.ok ? 1 : 0, JSON.stringify(r)]);
    });
  }

  backupRuns(w: { app?: string; limit: number }): Promise<StoredBackupRun[]> {
    return rows.backupRuns(this.q, w);
  }

  lastBackupRuns(): Promise<{ app: string; lastRun: StoredBackupRun; lastSuccess: StoredBackupRun | null; failingSince: string | null }[]> {
    return rows.lastBackupRuns(this.q);
  }

  addBackupTask(task: BackupTask): Promise<void> {
    return t.addTask(this.q, task);
  }

  backupTask(id: string): Promise<BackupTask | undefined> {
    return t.getTask(this.q, id);
  }

  backupTasks(w: { app?: string; host?: string; kind?: BackupTaskKind; open?: boolean; limit: number }): Promise<BackupTask[]> {
    return t.listTasks(this.q, w);
  }

  async reportBackupTasks(host: string, reports: readonly BackupTaskReport[]): Promise<void> {
    await this.tx((q) => t.reportTasks(q, host, reports));
  }

  expireBackupTasks(before: string): Promise<number> {
    return this.tx((q) => t.expireTasks(q, before));
  }

  lastBackupTasks(kind: BackupTaskKind): Promise<BackupTask[]> {
    return t.lastFinishedTasks(this.q, kind);
  }

  async putHostStatuses(statuses: readonly HostStatus[]): Promise<void> {
    await this.tx(async (q) => {
      for (const s of statuses) await q('INSERT INTO host_status (host, status, reported_at) VALUES (?, ?, ?) ON CONFLICT (host) DO UPDATE SET status = excluded.status, reported_at = excluded.reported_at', [s.host, JSON.stringify(s.status), s.reportedAt]);
    });
  }

  async hostStatuses(): Promise<HostStatus[]> {
    return (await this.q<{ host: string; status: string; reported_at: string }>('SELECT host, status, reported_at FROM host_status ORDER BY host')).rows.map((r) => ({ host: r.host, status: JSON.parse(r.status), reportedAt: r.reported_at }));
  }

  exportRows(): Promise<{ table: string; rows: StoreRow[] }[]> {
    return this.tx((q) => rows.exportRows(q), undefined, 'ISOLATION LEVEL REPEATABLE READ READ ONLY');
  }

  async importRows(tables: readonly { table: string; rows: readonly StoreRow[] }[]): Promise<void> {
    await this.tx((q) => rows.importRows(q, tables), REVISION_LOCK);
  }

  async close(): Promise<void> {
    await this.pool.end();
  }
}
