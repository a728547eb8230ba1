/**
 * One PostgreSQL cluster of a unit, run with Debian's PostgreSQL programs (initdb, pg_ctl,
 * pg_basebackup, pg_rewind, psql) as an unprivileged user: PostgreSQL refuses to run as root, so
 * an agent running as root runs them as the `postgres` user the packages make.
 *
 * Layout under the unit's directory (0700, owned by that user):
 *   data/      the cluster (PGDATA); hafen.conf beside postgresql.conf holds what hafen keeps
 *   run/       its Unix socket (only that user and root reach it: local connections are trusted)
 *   pgpass     the `hafen` role's password, for streaming, base backups and rewinds (0600)
 *   dump/      where backup hooks put dumps (pg_dumpall -f dump/all.sql): backed up with data/
 *   server.log what the server logs
 *
 * Secrets: the password goes to programs through the pgpass file or stdin, never their argv,
 * and never into what is logged or thrown.
 */
import { execFile } from 'node:child_process';
import { chownSync, existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { writeFileAtomic, writeFileIfChanged } from '../../lib/fs.js';
import type { RunAs } from '../../lib/postgres.js';

/** A value in postgresql.conf: quoted, quotes doubled. */
const confValue = (v: string) => `'${v.replace(/\\/g, '\\\\').replace(/'/g, "''")}'`;
/** A name in synchronous_standby_names: double-quoted. */
const standbyName = (n: string) => `"${n.replace(/"/g, '""')}"`;
/** A libpq connection value: plain words only (addresses, paths and unit names are). */
function conninfoValue(v: string): string {
  if (!/^[A-Za-z0-9_./:@-]+$/.test(v)) throw new Error(`cannot put "${v}" into a PostgreSQL connection string`);
  return v;
}

export interface PgConfig {
  unit: string;
  address: string;
  port: number;
  settings: Record<string, string>;
  /** A writer: the standbys it waits for (undefined or empty: it commits alone). */
  sync?: string[];
  /** A standby: the writer it streams from. */
  primary?: { address: string; port: number };
}

/** What a command printed and how it ended. */
interface Ran {
  code: number | null;
  output: string;
}

export class PgCluster {
  readonly data: string;
  readonly run: string;
  readonly log: string;
  readonly passfile: string;
  /** Where backup hooks put dumps (backed up with the data directory). */
  readonly dump: string;

  constructor(
    readonly dir: string,
    private readonly bin: string,
    private readonly user: RunAs | undefined,
  ) {
    this.data = join(dir, 'data');
    this.run = join(dir, 'run');
    this.log = join(dir, 'server.log');
    this.passfile = join(dir, 'pgpass');
    this.dump = join(dir, 'dump');
  }

  /** Runs `file` in the unit's directory as the cluster's user; never throws for a non-zero exit. */
  private spawnAs(file: string, args: readonly string[], env: NodeJS.ProcessEnv, o: { input?: string; timeoutMs?: number }): Promise<Ran & { error?: string }> {
    return new Promise((resolve) => {
      const child = execFile(
        file,
        [...args],
        { cwd: this.dir, env, timeout: o.timeoutMs ?? 120_000, maxBuffer: 4 * 1024 * 1024, ...(this.user ? { uid: this.user.uid, gid: this.user.gid } : {}) },
        (err, stdout, stderr) => {
          const exit = (err as { code?: unknown } | null)?.code;
          const code = !err ? 0 : typeof exit === 'number' ? exit : null;
          resolve({ code, output: `${stdout}${stderr}`, ...(err ? { error: err.message } : {}) });
        },
      );
      if (o.input !== undefined) child.stdin?.end(o.input);
    });
  }

  /** Runs one of PostgreSQL's programs as the cluster's user; never throws for a non-zero exit. */
  private async exec(program: string, args: readonly string[], o: { input?: string; timeoutMs?: number } = {}): Promise<Ran> {
    const r = await this.spawnAs(join(this.bin, program), args, { PATH: process.env.PATH ?? '/usr/bin:/bin', LANG: 'C.UTF-8', PGPASSFILE: this.passfile, PGCONNECT_TIMEOUT: '5', HOME: this.dir }, o);
    return { code: r.code, output: r.output.trim() || (r.code === null ? (r.error ?? '') : '') };
  }

  /**
   * A command of the operator's (a backup hook, e.g. pg_dumpall -f dump/all.sql): in the unit's
   * directory as the cluster's user, PostgreSQL's programs on its PATH and PGHOST/PGPORT/PGUSER
   * set to reach the cluster; never throws for a non-zero exit.
   */
  async command(argv: readonly string[], port: number, timeoutMs: number): Promise<Ran> {
    const r = await this.spawnAs(argv[0]!, argv.slice(1), { PATH: `${this.bin}:${process.env.PATH ?? '/usr/bin:/bin'}`, PGHOST: this.run, PGPORT: String(port), PGUSER: 'hafen', PGDATABASE: 'postgres' }, { timeoutMs });
    return { code: r.code, output: r.output.slice(-16_000) };
  }

  /** Runs a program; throws with the end of its output when it fails. */
  private async must(program: string, args: readonly string[], o: { input?: string; timeoutMs?: number } = {}): Promise<string> {
    const r = await this.exec(program, args, o);
    if (r.code !== 0) throw new Error(`${program} failed${r.code === null ? '' : ` (exit ${r.code})`}: ${r.output.split('\n').slice(-4).join(' / ') || 'no output'}`);
    return r.output;
  }

  private own(path: string): void {
    if (this.user) chownSync(path, this.user.uid, this.user.gid);
  }

  /** The unit's directory, socket directory and dump directory, owned by the cluster's user. */
  prepare(): void {
    for (const d of [this.dir, this.run, this.dump]) {
      mkdirSync(d, { recursive: true, mode: 0o700 });
      this.own(d);
    }
  }

  /** The password file for the `hafen` role (every host and database). */
  async writePassword(password: string): Promise<void> {
    const esc = password.replace(/\\/g, '\\\\').replace(/:/g, '\\:');
    if (await writeFileIfChanged(this.passfile, `*:*:*:hafen:${esc}\n`, 0o600)) this.own(this.passfile);
  }

  initialized(): boolean {
    return existsSync(join(this.data, 'PG_VERSION'));
  }

  /** Whether the cluster on disk is set to start as a standby. */
  standbySignal(): boolean {
    return existsSync(join(this.data, 'standby.signal'));
  }

  async running(): Promise<boolean> {
    if (!this.initialized()) return false;
    return (await this.exec('pg_ctl', ['-D', this.data, 'status'])).code === 0;
  }

  /** A new cluster with data checksums (pg_rewind needs them or wal_log_hints), its superuser `hafen` with the password. */
  async initdb(password: string): Promise<void> {
    const pwfile = join(this.dir, '.initdb-pw');
    await writeFileAtomic(pwfile, `${password}\n`, 0o600);
    this.own(pwfile);
    try {
      await this.must('initdb', ['-D', this.data, '-U', 'hafen', '--pwfile', pwfile, '--auth-local=trust', '--auth-host=scram-sha-256', '--data-checksums', '-E', 'UTF8', '--locale=C']);
    } catch (err) {
      // A half-made cluster holds nothing yet: gone, so the next try starts afresh (not "initialized").
      rmSync(this.data, { recursive: true, force: true });
      throw err;
    } finally {
      rmSync(pwfile, { force: true });
    }
  }

  /** A standby's first data: a base backup of the writer, streaming the WAL it needs. */
  async baseBackup(primary: { address: string; port: number }): Promise<void> {
    rmSync(this.data, { recursive: true, force: true });
    await this.must('pg_basebackup', ['-h', primary.address, '-p', String(primary.port), '-U', 'hafen', '-w', '-D', this.data, '-X', 'stream', '-c', 'fast'], { timeoutMs: 6 * 3600_000 });
  }

  /**
   * Makes a stopped former writer follow the new one: pg_rewind undoes what it wrote after their
   * histories parted. Returns false when it cannot (then a fresh base backup must).
   */
  async rewind(primary: { address: string; port: number }): Promise<{ ok: boolean; output: string }> {
    const source = `host=${conninfoValue(primary.address)} port=${primary.port} user=hafen dbname=postgres`;
    const r = await this.exec('pg_rewind', ['-D', this.data, '--source-server', source], { timeoutMs: 6 * 3600_000 });
    return { ok: r.code === 0, output: r.output.split('\n').slice(-3).join(' / ') };
  }

  /**
   * Writes hafen's part of the configuration (hafen.conf, pg_hba.conf, standby.signal for a
   * standby); returns whether it changed. What a running server must re-read is reloaded by the
   * caller; listening and a standby's source take a restart.
   */
  async configure(c: PgConfig, standby: boolean): Promise<boolean> {
    const lines = [
      '# Written by hafen (agent/drivers/postgres-cluster.ts); the fleet\'s settings are at the end.',
      `listen_addresses = ${confValue(c.address)}`,
      `port = ${c.port}`,
      `unix_socket_directories = ${confValue(this.run)}`,
      'wal_level = replica',
      'max_wal_senders = 10',
      "wal_keep_size = '1GB'",
      'hot_standby = on',
      // A standby that heard nothing for 5 s asks its writer for an answer (and drops a connection
      // silent for 10 s): while it streams, its last message from the writer is at most ~5 s old.
      "wal_sender_timeout = '10s'",
      "wal_receiver_timeout = '10s'",
      "wal_receiver_status_interval = '2s'",
      "recovery_target_timeline = 'latest'",
      'synchronous_commit = on',
      `synchronous_standby_names = ${confValue(c.sync?.length ? `ANY 1 (${c.sync.map(standbyName).join(', ')})` : '')}`,
      `primary_conninfo = ${confValue(c.primary ? `host=${conninfoValue(c.primary.address)} port=${c.primary.port} user=hafen application_name=${conninfoValue(c.unit)} passfile=${conninfoValue(this.passfile)} connect_timeout=5` : '')}`,
      ...Object.entries(c.settings)
        .sort(([a], [b]) => (a < b ? -1 : 1))
        .map(([k, v]) => `${k} = ${confValue(v)}`),
    ];
    let changed = await this.writeOwned(join(this.data, 'hafen.conf'), `${lines.join('\n')}\n`);
    const hba = ['# Written by hafen: local connections only for the cluster\'s own user (the socket directory is its alone).', 'local all hafen trust', 'host replication hafen all scram-sha-256', 'host all all all scram-sha-256', ''].join('\n');
    changed = (await this.writeOwned(join(this.data, 'pg_hba.conf'), hba)) || changed;
    const conf = join(this.data, 'postgresql.conf');
    const text = readFileSync(conf, 'utf8');
    if (!/^include_if_exists = 'hafen\.conf'$/m.test(text)) changed = (await this.writeOwned(conf, `${text.trimEnd()}\n\ninclude_if_exists = 'hafen.conf'\n`)) || changed;
    // A standby's signal file; a writer never drops it here: a standby becomes the writer by
    // promotion (a new timeline), which removes it.
    const signal = join(this.data, 'standby.signal');
    if (standby && !existsSync(signal)) changed = (await this.writeOwned(signal, '')) || true;
    return changed;
  }

  private async writeOwned(path: string, text: string): Promise<boolean> {
    const changed = await writeFileIfChanged(path, text, 0o600);
    if (changed) this.own(path);
    return changed;
  }

  async start(): Promise<void> {
    await this.must('pg_ctl', ['-D', this.data, '-l', this.log, '-w', '-t', '120', 'start'], { timeoutMs: 130_000 });
  }

  /** A clean (fast) shutdown: a writer's connected standbys get everything it wrote first. */
  async stop(): Promise<void> {
    if (!(await this.running())) return;
    const r = await this.exec('pg_ctl', ['-D', this.data, '-m', 'fast', '-w', '-t', '60', 'stop'], { timeoutMs: 70_000 });
    if (r.code !== 0 && (await this.running())) await this.must('pg_ctl', ['-D', this.data, '-m', 'immediate', '-w', '-t', '30', 'stop'], { timeoutMs: 40_000 });
  }

  /** A stopped cluster's last checkpoint (pg_controldata): for a writer stopped cleanly, the end of all it wrote. */
  async checkpointLsn(): Promise<string | undefined> {
    const r = await this.exec('pg_controldata', ['-D', this.data]);
    return /^Latest checkpoint location:\s+([0-9A-F]+\/[0-9A-F]+)$/m.exec(r.output)?.[1];
  }

  async promote(): Promise<void> {
    await this.must('pg_ctl', ['-D', this.data, '-w', '-t', '60', 'promote'], { timeoutMs: 70_000 });
  }

  async reload(): Promise<void> {
    await this.must('pg_ctl', ['-D', this.data, 'reload']);
  }

  /** The settings a reload could not apply (they take a restart), comma-separated; '' when none. pg_ctl reload only signals: the server is given a moment to re-read first. */
  async pendingRestart(port: number): Promise<string> {
    await new Promise((r) => setTimeout(r, 500));
    const rows = await this.sql(port, 'SELECT name FROM pg_settings WHERE pending_restart ORDER BY name;');
    return rows.map((r) => r[0]).join(', ');
  }

  /** Runs SQL over the local socket as `hafen` (fed on stdin: nothing of it in any argv); its rows, fields split by "|". */
  async sql(port: number, script: string, database = 'postgres'): Promise<string[][]> {
    const out = await this.must('psql', ['-X', '-q', '-A', '-t', '-v', 'ON_ERROR_STOP=1', '-h', this.run, '-p', String(port), '-U', 'hafen', '-d', database], { input: script, timeoutMs: 30_000 });
    return out
      .split('\n')
      .filter((l) => l.length > 0)
      .map((l) => l.split('|'));
  }

  /** The newest lines of the server's log (for errors). */
  logTail(lines = 3): string {
    try {
      return readFileSync(this.log, 'utf8').trim().split('\n').slice(-lines).join(' / ');
    } catch {
      return '';
    }
  }
}

/** A string as an SQL literal (standard_conforming_strings: quotes doubled). */
export const sqlLiteral = (v: string) => `'${v.replace(/'/g, "''")}'`;
