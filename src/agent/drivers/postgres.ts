/**
 * The postgres driver: runs each unit as a PostgreSQL cluster (Debian's PostgreSQL, on a host
 * whose runtime is postgres), and for standby apps keeps one writer and hot standbys with
 * PostgreSQL's own streaming replication (core/standby/postgres.ts):
 *
 * - the writer (role active, or an app without roles): made with initdb the first time (its
 *   database and user with it), started, and promoted in place when it was a standby — a new
 *   timeline, no restart; a synchronous app's writer waits for any one of the standbys it is
 *   told (reloaded, no restart);
 * - a standby: made with pg_basebackup from the writer, run read-only (hot) streaming from it,
 *   reported as `standby` with when it last streamed from the writer (its copy's age, as a file
 *   copy reports it: core/standby/view.ts);
 * - a writer told it is a standby (fenced after a failover, or handing over in a switchover):
 *   stopped by apply() itself, cleanly, so its standbys get all it wrote; then — only once the
 *   agent says its data may be replaced (`allowRebuild`, after fencing kept it aside) — rewound
 *   onto the new writer with pg_rewind, or made afresh with a base backup when that fails, and
 *   started as a standby.
 *
 * Work on a unit runs one step at a time in a loop (once a second), never two at once; a step
 * that fails is tried again with growing backoff and reported. Clusters outlive the agent: a new
 * agent finds them on disk and running (pg_ctl status).
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { PG_PASSWORD_ENV, type DesiredUnit } from '../../core/render/desired.js';
import type { MoveAgentReport } from '../../core/report/host-report.js';
import { copyId } from '../../core/standby/replication.js';
import { writeFileAtomic } from '../../lib/fs.js';
import { unsupportedStatus, type Driver, type UnitState, type UnitStatus } from './driver.js';
import { findPgBin, pgRunAs, unreachableFor, type RunAs } from '../../lib/postgres.js';
import { PgCluster, sqlLiteral, type PgConfig } from './postgres-cluster.js';

export interface PostgresDriverOptions {
  stateDir: string;
  /** The host's address: the servers listen there (default 127.0.0.1). */
  address?: string;
  /** PostgreSQL's programs (default: findPgBin()). */
  bin?: string;
  /** How often each unit is looked after (default 1000 ms). */
  tickMs?: number;
  log?: (line: string) => void;
}

interface Managed {
  unit: DesiredUnit;
  cluster: PgCluster;
  state: UnitState;
  restarts: number;
  failures: number;
  nextTryAt: number;
  since?: number;
  lastError?: string;
  busy: boolean;
  held: boolean;
  /** A stopped writer's last checkpoint, a standby's WAL received (LSN; reported for switchovers). */
  wal?: string;
  /** The controller had the unit restarted (self-healing: a new restart generation): done at its next step. */
  restartWanted?: boolean;
  /** The passwords and names roles() last made sure of (a digest). */
  rolesDone?: string;
  /** A standby's stream of its writer in this term: when it was last seen streaming, or why it cannot. */
  copy?: { term: number; copiedAt?: string; error?: string };
}

/** Where a standby was last started to stream from (kept beside its cluster: a new agent knows). */
interface Following {
  address: string;
  port: number;
}

/** How long a standby just started may take to connect to its writer before it is reported as not streaming. */
const CONNECT_GRACE_MS = 15_000;

const key = (p: Following | undefined) => (p ? `${p.address}:${p.port}` : '');

export class PostgresDriver implements Driver {
  readonly kind = 'postgres';
  private readonly units = new Map<string, Managed>();
  private readonly unsupported = new Map<string, DesiredUnit>();
  private rebuildable: ReadonlySet<string> = new Set();
  private timer: NodeJS.Timeout | undefined;
  private readonly log: (line: string) => void;
  private readonly root: string;

  private constructor(
    private readonly opts: PostgresDriverOptions,
    private readonly bin: string,
    private readonly user: RunAs | undefined,
  ) {
    this.log = opts.log ?? (() => {});
    this.root = join(opts.stateDir, 'postgres');
  }

  /** Opens the driver: PostgreSQL's programs must be installed, and its user must reach the state directory. */
  static open(opts: PostgresDriverOptions): PostgresDriver {
    const bin = opts.bin ?? findPgBin();
    if (!bin) throw new Error("the postgres driver needs PostgreSQL's programs: install Debian's postgresql package, or set HAFEN_PG_BIN to their directory");
    const user = pgRunAs();
    const d = new PostgresDriver(opts, bin, user);
    // Searchable, not readable, for the clusters' user: each cluster's own directory is its alone.
    mkdirSync(d.root, { recursive: true, mode: 0o711 });
    const blocked = unreachableFor(join(d.root, 'x'), user);
    if (blocked) throw new Error(`PostgreSQL runs as ${user!.name}, who cannot reach ${blocked}: make it searchable for that user (chmod o+x, or a group of it) or put the agent's --data elsewhere`);
    return d;
  }

  private cluster(name: string): PgCluster {
    return new PgCluster(join(this.root, name), this.bin, this.user);
  }

  async apply(units: readonly DesiredUnit[]): Promise<void> {
    const wanted = new Map(units.map((u) => [u.name, u]));
    this.unsupported.clear();
    for (const [name, m] of [...this.units]) {
      if (wanted.get(name)?.kind === 'postgres') continue;
      this.units.delete(name);
      // Its data stays on disk (as a process unit's data directory does).
      await this.exclusive(m, () => m.cluster.stop()).catch((err) => this.log(`postgres ${name}: could not stop: ${(err as Error).message}`));
    }
    for (const u of units) {
      if (u.kind !== 'postgres' || !u.postgres) {
        this.unsupported.set(u.name, u);
        continue;
      }
      const m = this.units.get(u.name) ?? { unit: u, cluster: this.cluster(u.name), state: 'starting', restarts: 0, failures: 0, nextTryAt: 0, busy: false, held: false };
      if ((m.unit.restart ?? 0) !== (u.restart ?? 0) && this.units.has(u.name)) m.restartWanted = true;
      m.unit = u;
      m.nextTryAt = 0;
      this.units.set(u.name, m);
      // A writer told it is a standby stops in this apply: fencing keeps its data aside next.
      if (u.standby?.role === 'standby' && m.cluster.initialized() && !m.cluster.standbySignal()) {
        await this.exclusive(m, async () => {
          if (!(await m.cluster.running())) return;
          this.log(`postgres ${u.name}: no longer the writer (term ${u.standby!.term}): stopping it`);
          await m.cluster.stop();
        });
        m.state = 'standby';
      }
    }
    this.timer ??= setInterval(() => this.tick(), this.opts.tickMs ?? 1000);
    this.timer.unref();
    this.tick();
  }

  /** Standby units whose data may now be replaced from their writer (a fenced writer's was kept aside first). */
  allowRebuild(units: ReadonlySet<string>): void {
    this.rebuildable = units;
    this.tick();
  }

  /** Waits for a unit's step under way. */
  private async idle(m: Managed): Promise<void> {
    while (m.busy) await new Promise((r) => setTimeout(r, 50));
  }

  /** Runs `fn` on a unit with no step of the loop under way or starting meanwhile. */
  private async exclusive<T>(m: Managed, fn: () => Promise<T>): Promise<T> {
    await this.idle(m);
    m.busy = true;
    try {
      return await fn();
    } finally {
      m.busy = false;
    }
  }

  private tick(): void {
    const now = Date.now();
    for (const m of this.units.values()) {
      if (m.busy || m.held || now < m.nextTryAt) continue;
      m.busy = true;
      void this.step(m)
        .then(() => {
          // A stream's own error (not streaming) stays until it streams again (streaming()).
          m.failures = 0;
          m.lastError = undefined;
        })
        .catch((err: Error) => this.failed(m, err.message))
        .finally(() => {
          m.busy = false;
        });
    }
  }

  private failed(m: Managed, why: string): void {
    m.failures++;
    m.lastError = why;
    m.nextTryAt = Date.now() + Math.min(60_000, 1000 * 2 ** Math.min(6, m.failures - 1));
    const standby = m.unit.standby?.role === 'standby';
    if (standby && m.unit.standby) m.copy = { term: m.unit.standby.term, ...(m.copy?.term === m.unit.standby.term && m.copy.copiedAt ? { copiedAt: m.copy.copiedAt } : {}), error: why };
    else m.state = m.failures >= 3 ? 'failed' : 'backoff';
    if (m.failures === 1 || m.failures % 10 === 0) this.log(`postgres ${m.unit.name}: ${why} (attempt ${m.failures})`);
  }

  private config(m: Managed, primary?: Following): PgConfig {
    const pg = m.unit.postgres!;
    return { unit: m.unit.name, address: this.opts.address ?? '127.0.0.1', port: m.unit.port ?? 5432, settings: pg.settings, ...(pg.sync ? { sync: pg.sync } : {}), ...(primary ? { primary } : {}) };
  }

  /** One step towards what the unit should be. */
  private async step(m: Managed): Promise<void> {
    const u = m.unit;
    const password = u.secretValues?.[PG_PASSWORD_ENV];
    if (!password) throw new Error(`no password: the secret the fleet names in workload.postgres.password did not reach this agent (hafen secret set)`);
    const c = m.cluster;
    c.prepare();
    await c.writePassword(password);
    if (u.standby?.role === 'standby') return this.standby(m);
    if (!c.initialized()) {
      this.log(`postgres ${u.name}: making a new cluster`);
      await c.initdb(password);
      await c.configure(this.config(m), false);
      await c.start();
      await this.roles(m, password);
      return this.started(m);
    }
    const wasStandby = c.standbySignal();
    const running = await c.running();
    const changed = await c.configure(this.config(m), wasStandby);
    if (!running) {
      await c.start();
      if (!wasStandby) {
        await this.roles(m, password);
        return this.started(m);
      }
    } else if (!wasStandby) {
      await this.reconfigured(m, changed);
      await this.roles(m, password);
      m.state = 'running';
      return;
    }
    // A standby becomes the writer: promoted in place, on a new timeline.
    this.log(`postgres ${u.name}: promoted to writer (term ${u.standby?.term ?? '-'})`);
    await c.promote();
    // The new timeline reaches the control file with a checkpoint: until then pg_rewind, run
    // against this writer by a former one, would find nothing to undo.
    await c.sql(m.unit.port ?? 5432, 'CHECKPOINT;');
    await this.following(m, undefined);
    await this.roles(m, password);
    this.started(m);
  }

  /**
   * A running server after its configuration was written: reloaded when it changed, and
   * restarted when a changed setting takes a restart (shared_buffers, port, …: PostgreSQL says
   * so in pg_settings.pending_restart) or the controller asked for one (self-healing).
   */
  private async reconfigured(m: Managed, changed: boolean): Promise<void> {
    if (changed) await m.cluster.reload();
    const pending = changed && (await m.cluster.pendingRestart(m.unit.port ?? 5432));
    if (!pending && !m.restartWanted) return;
    this.log(`postgres ${m.unit.name}: restarting (${m.restartWanted ? 'asked for by the controller' : `settings that take a restart changed: ${pending}`})`);
    await m.cluster.stop();
    await m.cluster.start();
    m.restartWanted = false;
    m.restarts++;
    m.since = Date.now();
  }

  private started(m: Managed): void {
    m.restartWanted = false;
    if (m.state !== 'running') {
      m.since = Date.now();
      if (m.state !== 'starting') m.restarts++;
    }
    m.state = 'running';
  }

  /**
   * On the writer: the `hafen` role's and the fleet's user's password as the secret says now (a
   * rotated secret reaches the standbys through the writer's WAL), the user and database made
   * when missing. Done again only when the password or the names change.
   */
  private async roles(m: Managed, password: string): Promise<void> {
    const pg = m.unit.postgres!;
    const done = createHash('sha256').update(JSON.stringify([password, pg.user ?? '', pg.database ?? ''])).digest('hex');
    if (m.rolesDone === done) return;
    const port = m.unit.port ?? 5432;
    const sql = [`ALTER ROLE hafen PASSWORD ${sqlLiteral(password)};`];
    if (pg.user) {
      const exists = (await m.cluster.sql(port, `SELECT 1 FROM pg_roles WHERE rolname = ${sqlLiteral(pg.user)};`)).length > 0;
      sql.push(`${exists ? 'ALTER' : 'CREATE'} ROLE "${pg.user}" LOGIN PASSWORD ${sqlLiteral(password)};`);
    }
    await m.cluster.sql(port, sql.join('\n'));
    if (pg.database && (await m.cluster.sql(port, `SELECT 1 FROM pg_database WHERE datname = ${sqlLiteral(pg.database)};`)).length === 0) {
      await m.cluster.sql(port, `CREATE DATABASE "${pg.database}"${pg.user ? ` OWNER "${pg.user}"` : ''};`);
    }
    m.rolesDone = done;
  }

  private async standby(m: Managed): Promise<void> {
    const u = m.unit;
    const c = m.cluster;
    const term = u.standby!.term;
    if (m.copy?.term !== term) m.copy = { term };
    m.state = 'standby';
    const primary = u.postgres!.primary;
    const running = await c.running();
    m.wal = await this.wal(m, running);
    // Nothing to follow (a switchover's middle), or its data may not be replaced yet (fencing first).
    if (!primary || !this.rebuildable.has(u.name)) return;
    const was = this.readFollowing(m);
    if (c.initialized() && c.standbySignal() && running && key(was) === key(primary)) {
      await this.reconfigured(m, await c.configure(this.config(m, primary), true));
      return this.streaming(m, primary);
    }
    if (running) await c.stop();
    if (!c.initialized()) {
      this.log(`postgres ${u.name}: base backup from the writer at ${key(primary)}`);
      await c.baseBackup(primary);
    } else if (!c.standbySignal() || key(was) !== key(primary)) {
      // A former writer, or a standby of a former writer: undo what its history has that the new writer's has not.
      const r = await c.rewind(primary);
      if (r.ok) this.log(`postgres ${u.name}: rewound onto the writer at ${key(primary)}: ${r.output}`);
      else {
        this.log(`postgres ${u.name}: pg_rewind could not (${r.output}); a fresh base backup from ${key(primary)}`);
        await c.baseBackup(primary);
      }
    }
    await c.configure(this.config(m, primary), true);
    await c.start();
    m.restartWanted = false;
    await this.following(m, primary);
    m.since = Date.now();
    await this.streaming(m, primary);
  }

  /** What of the writer's WAL the unit has: received (a running standby), or its last checkpoint (stopped). */
  private async wal(m: Managed, running: boolean): Promise<string | undefined> {
    if (!m.cluster.initialized()) return undefined;
    if (!running) return m.cluster.checkpointLsn();
    const rows = await m.cluster.sql(m.unit.port ?? 5432, 'SELECT coalesce(pg_last_wal_receive_lsn(), pg_last_wal_replay_lsn());');
    return rows[0]?.[0] || undefined;
  }

  /**
   * Whether the standby streams from its writer now (pg_stat_wal_receiver): then its copy is as of
   * now — the receiver drops a connection its writer left silent for 10 s (wal_receiver_timeout) —
   * and its age, as a file copy's, grows from the last time it did.
   */
  private async streaming(m: Managed, primary: Following): Promise<void> {
    const rows = await m.cluster.sql(m.unit.port ?? 5432, "SELECT status, coalesce(sender_host, '') FROM pg_stat_wal_receiver;");
    const [status, sender] = rows[0] ?? [];
    if (status === 'streaming' && sender === primary.address) {
      m.copy = { term: m.unit.standby!.term, copiedAt: new Date().toISOString() };
    } else if (m.copy && Date.now() - (m.since ?? 0) > CONNECT_GRACE_MS) {
      m.copy.error = status ? `not streaming from the writer at ${key(primary)} (${status})` : `not connected to the writer at ${key(primary)}${m.cluster.logTail(1) ? `: ${m.cluster.logTail(1)}` : ''}`;
    }
  }

  private readFollowing(m: Managed): Following | undefined {
    try {
      return JSON.parse(readFileSync(join(m.cluster.dir, 'following.json'), 'utf8')) as Following;
    } catch {
      return undefined;
    }
  }

  private async following(m: Managed, p: Following | undefined): Promise<void> {
    await writeFileAtomic(join(m.cluster.dir, 'following.json'), JSON.stringify(p ?? null), 0o600);
  }

  /** Standbys' streams, as copies of this term's writer (core/standby/view.ts reads them like file copies). */
  copies(): MoveAgentReport['copies'] {
    const out: MoveAgentReport['copies'] = [];
    for (const m of this.units.values()) {
      if (m.unit.standby?.role !== 'standby' || !m.copy || m.copy.term !== m.unit.standby.term) continue;
      const id = copyId(m.unit.app, m.copy.term);
      out.push({ id, unit: m.unit.name, state: m.copy.error && !m.copy.copiedAt ? 'failed' : 'running', ...(m.copy.copiedAt ? { copiedAt: m.copy.copiedAt } : {}), ...(m.copy.error ? { error: m.copy.error } : {}) });
    }
    return out;
  }

  async status(): Promise<UnitStatus[]> {
    const out: UnitStatus[] = [];
    for (const m of this.units.values()) {
      const st: UnitStatus = { name: m.unit.name, app: m.unit.app, state: m.state, hash: m.unit.hash, restarts: m.restarts };
      if (m.lastError !== undefined) st.lastError = m.lastError;
      if (m.wal !== undefined && m.state === 'standby') st.wal = m.wal;
      if (m.since !== undefined && (m.state === 'running' || m.state === 'standby')) st.since = new Date(m.since).toISOString();
      out.push(st);
    }
    for (const u of this.unsupported.values()) out.push(unsupportedStatus(u, this.kind));
    return out.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }

  /** The cluster's data directory and its dump directory (where a backup hook's dump goes). */
  async dataPaths(unit: Pick<DesiredUnit, 'name'>): Promise<string[]> {
    const c = this.cluster(unit.name);
    return [...(c.initialized() ? [c.data] : []), ...(existsSync(c.dump) ? [c.dump] : [])];
  }

  /** The cluster's data directory (named "data"): what fencing keeps aside. */
  async moveVolumes(unit: Pick<DesiredUnit, 'name'>, _volumes: readonly string[], _create: boolean): Promise<{ name: string; path: string }[]> {
    const c = this.cluster(unit.name);
    return existsSync(c.data) ? [{ name: 'data', path: c.data }] : [];
  }

  /** Backup hooks (e.g. pg_dump): on the host, as the cluster's user, with PGHOST/PGPORT/PGUSER set to reach it. */
  async exec(unit: Pick<DesiredUnit, 'name'>, argv: readonly string[], opts: { timeoutMs: number }): Promise<{ code: number | null; output: string }> {
    const m = this.units.get(unit.name);
    return (m?.cluster ?? this.cluster(unit.name)).command(argv, m?.unit.port ?? 5432, opts.timeoutMs);
  }

  async hold(unit: Pick<DesiredUnit, 'name'>): Promise<() => Promise<void>> {
    const m = this.units.get(unit.name);
    if (!m || !(await m.cluster.running())) return async () => {};
    m.held = true;
    await this.exclusive(m, () => m.cluster.stop());
    return async () => {
      m.held = false;
      m.nextTryAt = 0;
      this.tick();
    };
  }

  async detach(): Promise<void> {
    clearInterval(this.timer);
    this.timer = undefined;
    for (const m of this.units.values()) await this.idle(m);
  }

  /** Stops every cluster under the state directory, including those of units this driver was not told of (a new driver after an agent). */
  async stopAll(): Promise<void> {
    clearInterval(this.timer);
    this.timer = undefined;
    for (const m of this.units.values()) await this.idle(m);
    const names = existsSync(this.root) ? readdirSync(this.root) : [];
    for (const name of names) await this.cluster(name).stop().catch((err) => this.log(`postgres ${name}: could not stop: ${(err as Error).message}`));
    this.units.clear();
  }
}
