/**
 * The process driver: runs each unit's command as a supervised process, for hosts without
 * Docker, for development and for the demo.
 *
 * Processes start in their own process group with output appended to a log file per unit,
 * and a state file per unit (pid, the unit) under the state directory. When the agent
 * restarts, it adopts the processes its predecessor left running instead of starting them
 * twice; a pid is adopted only if that process still carries the unit's HAFEN_UNIT marker in
 * its environment (a recycled pid belongs to someone else and is never touched).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, closeSync, existsSync, mkdirSync, openSync, readFileSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { DesiredUnit } from '../../core/render/desired.js';
import { unsupportedStatus, type Driver, type UnitState, type UnitStatus } from './driver.js';

export interface ProcessDriverOptions {
  stateDir: string;
  /** First restart delay; doubles per quick failure up to maxBackoffMs. */
  backoffMs?: number;
  maxBackoffMs?: number;
  /** A process that ran at least this long before exiting starts its backoff afresh. */
  stableMs?: number;
  /** How long a stopped process gets between SIGTERM and SIGKILL. */
  stopGraceMs?: number;
  /** Consecutive quick failures after which a unit is reported failed (it keeps retrying). */
  failedAfter?: number;
}

interface Supervised {
  unit: DesiredUnit;
  pid?: number;
  child?: ChildProcess;
  state: UnitState;
  restarts: number;
  failures: number;
  backoff: number;
  startedAt?: number;
  lastError?: string;
  timer?: NodeJS.Timeout;
  poll?: NodeJS.Timeout;
  stopping: boolean;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** True when `pid` runs with HAFEN_UNIT=<name> in its environment (Linux /proc). */
function carriesMarker(pid: number, name: string): boolean {
  try {
    return readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0').includes(`HAFEN_UNIT=${name}`);
  } catch {
    return false;
  }
}

export class ProcessDriver implements Driver {
  readonly kind = 'process';
  private readonly units = new Map<string, Supervised>();
  private readonly unsupported = new Map<string, DesiredUnit>();
  private readonly opts: Required<ProcessDriverOptions>;
  private detached = false;

  private constructor(options: ProcessDriverOptions) {
    this.opts = { backoffMs: 1000, maxBackoffMs: 60_000, stableMs: 10_000, stopGraceMs: 5000, failedAfter: 3, ...options };
    // The units' state and logs are the agent's alone (a log may hold what an app prints of its secrets).
    for (const d of ['units', 'logs']) {
      mkdirSync(join(this.opts.stateDir, d), { recursive: true, mode: 0o700 });
      chmodSync(join(this.opts.stateDir, d), 0o700);
    }
  }

  /** Opens the driver on its state directory, adopting the processes a previous agent left. */
  static open(options: ProcessDriverOptions): ProcessDriver {
    const d = new ProcessDriver(options);
    d.adopt();
    return d;
  }

  private statePath(name: string): string {
    return join(this.opts.stateDir, 'units', `${name}.json`);
  }

  private adopt(): void {
    for (const file of readdirSync(join(this.opts.stateDir, 'units'))) {
      if (!file.endsWith('.json')) continue;
      const path = join(this.opts.stateDir, 'units', file);
      let saved: { pid: number; unit: DesiredUnit; startedAt: number; restarts?: number };
      try {
        saved = JSON.parse(readFileSync(path, 'utf8'));
      } catch {
        rmSync(path, { force: true });
        continue;
      }
      if (!alive(saved.pid) || !carriesMarker(saved.pid, saved.unit.name)) {
        rmSync(path, { force: true });
        continue;
      }
      const s: Supervised = { unit: saved.unit, pid: saved.pid, state: 'running', restarts: saved.restarts ?? 0, failures: 0, backoff: this.opts.backoffMs, startedAt: saved.startedAt, stopping: false };
      this.units.set(saved.unit.name, s);
      this.watchAdopted(s);
    }
  }

  /** An adopted process is not our child: poll it, and treat its death like an exit. */
  private watchAdopted(s: Supervised): void {
    s.poll = setInterval(() => {
      if (s.pid !== undefined && !alive(s.pid)) {
        clearInterval(s.poll);
        this.exited(s, 'exited while adopted');
      }
    }, 500);
    s.poll.unref();
  }

  async apply(units: readonly DesiredUnit[]): Promise<void> {
    const wanted = new Map(units.map((u) => [u.name, u]));
    this.unsupported.clear();
    const stopping: Promise<void>[] = [];
    for (const [name, s] of [...this.units]) {
      const next = wanted.get(name);
      if (!next || next.kind !== 'process' || next.hash !== s.unit.hash) {
        // Stopped together: one slow unit does not hold up the others.
        stopping.push(this.stop(s));
        this.units.delete(name);
      } else {
        s.unit = next;
      }
    }
    await Promise.all(stopping);
    for (const u of units) {
      if (u.kind !== 'process' || !u.process) {
        this.unsupported.set(u.name, u);
        continue;
      }
      if (!this.units.has(u.name)) {
        // A standby waits with its data and is not started: it starts when promoted (a new hash).
        const standby = u.standby?.role === 'standby';
        const s: Supervised = { unit: u, state: standby ? 'standby' : 'starting', restarts: 0, failures: 0, backoff: this.opts.backoffMs, stopping: false };
        this.units.set(u.name, s);
        if (standby) this.dataDir(u);
        else this.start(s);
      }
    }
  }

  private start(s: Supervised): void {
    const spec = s.unit.process!;
    const log = openSync(join(this.opts.stateDir, 'logs', `${s.unit.name}.log`), 'a', 0o600);
    try {
      const child = spawn(spec.command[0]!, spec.command.slice(1), {
        cwd: spec.cwd,
        // Each unit gets a data directory that outlives its processes (what volumes are to containers).
        env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HAFEN_DATA_DIR: this.dataDir(s.unit), ...spec.env, ...s.unit.secretValues, HAFEN_UNIT: s.unit.name },
        detached: true,
        stdio: ['ignore', log, log],
      });
      s.child = child;
      s.startedAt = Date.now();
      child.once('error', (err) => this.exited(s, `cannot start: ${err.message}`));
      child.once('exit', (code, signal) => this.exited(s, signal ? `killed by ${signal}` : `exited with code ${code}`));
      if (child.pid === undefined) return;
      s.pid = child.pid;
      s.state = 'running';
      // Survive the agent: the process keeps running if the agent exits.
      child.unref();
      this.save(s);
    } finally {
      closeSync(log);
    }
  }

  async exec(unit: Pick<DesiredUnit, 'name'>, argv: readonly string[], opts: { timeoutMs: number }): Promise<{ code: number | null; output: string }> {
    const s = this.units.get(unit.name);
    const cwd = s ? this.dataDir(s.unit) : join(this.opts.stateDir, 'data', unit.name);
    const env = { PATH: process.env.PATH ?? '/usr/bin:/bin', ...s?.unit.process?.env, ...s?.unit.secretValues, HAFEN_DATA_DIR: cwd, HAFEN_UNIT: unit.name };
    return new Promise((resolve) => {
      const child = spawn(argv[0]!, argv.slice(1), { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
      let output = '';
      const keep = (d: Buffer) => (output = (output + d.toString()).slice(-16_000));
      child.stdout.on('data', keep);
      child.stderr.on('data', keep);
      const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs);
      child.on('error', (err) => {
        clearTimeout(timer);
        resolve({ code: null, output: `cannot start: ${err.message}` });
      });
      child.on('close', (code) => {
        clearTimeout(timer);
        resolve({ code, output });
      });
    });
  }

  async hold(unit: Pick<DesiredUnit, 'name'>): Promise<() => Promise<void>> {
    const s = this.units.get(unit.name);
    if (!s || s.stopping || s.state !== 'running') return async () => {};
    await this.stop(s);
    return async () => {
      // Unless apply() replaced or removed the unit meanwhile: then it is not ours to start.
      if (this.units.get(unit.name) !== s || this.detached) return;
      s.stopping = false;
      s.failures = 0;
      s.state = 'starting';
      this.start(s);
    };
  }

  async dataPaths(unit: Pick<DesiredUnit, 'name'>): Promise<string[]> {
    const dir = join(this.opts.stateDir, 'data', unit.name);
    return existsSync(dir) ? [dir] : [];
  }

  async moveVolumes(unit: Pick<DesiredUnit, 'name'>, _volumes: readonly string[], create: boolean): Promise<{ name: string; path: string }[]> {
    const dir = join(this.opts.stateDir, 'data', unit.name);
    if (create) mkdirSync(dir, { recursive: true });
    return existsSync(dir) ? [{ name: 'data', path: dir }] : [];
  }

  private dataDir(unit: DesiredUnit): string {
    const dir = join(this.opts.stateDir, 'data', unit.name);
    mkdirSync(dir, { recursive: true });
    return dir;
  }

  private save(s: Supervised): void {
    const path = this.statePath(s.unit.name);
    // 0600: the unit may carry secret values.
    writeFileSync(`${path}.tmp`, JSON.stringify({ pid: s.pid, unit: s.unit, startedAt: s.startedAt, restarts: s.restarts }), { mode: 0o600 });
    renameSync(`${path}.tmp`, path);
  }

  private exited(s: Supervised, why: string): void {
    if (s.stopping || this.detached || this.units.get(s.unit.name) !== s) return;
    const ran = Date.now() - (s.startedAt ?? Date.now());
    if (ran >= this.opts.stableMs) {
      s.failures = 0;
      s.backoff = this.opts.backoffMs;
    }
    s.failures++;
    s.lastError = why;
    s.child = undefined;
    s.pid = undefined;
    s.state = s.failures >= this.opts.failedAfter ? 'failed' : 'backoff';
    rmSync(this.statePath(s.unit.name), { force: true });
    const delay = s.backoff;
    s.backoff = Math.min(s.backoff * 2, this.opts.maxBackoffMs);
    s.timer = setTimeout(() => {
      if (s.stopping || this.units.get(s.unit.name) !== s) return;
      s.restarts++;
      this.start(s);
    }, delay);
    s.timer.unref();
  }

  private async stop(s: Supervised): Promise<void> {
    s.stopping = true;
    clearTimeout(s.timer);
    clearInterval(s.poll);
    const pid = s.pid;
    if (pid !== undefined && alive(pid)) {
      // The whole process group: a shell and what it started.
      const signal = (sig: NodeJS.Signals) => {
        try {
          process.kill(-pid, sig);
        } catch {
          /* already gone */
        }
      };
      // Our own child tells us when it exits; an adopted process is polled.
      const exited = s.child ? new Promise<void>((resolve) => s.child!.once('exit', () => resolve())) : undefined;
      signal('SIGTERM');
      const deadline = Date.now() + this.opts.stopGraceMs;
      if (exited) await Promise.race([exited, sleep(this.opts.stopGraceMs)]);
      while (alive(pid) && Date.now() < deadline) await sleep(20);
      if (alive(pid)) signal('SIGKILL');
      while (alive(pid) && Date.now() < deadline + 2000) await sleep(20);
    }
    s.state = 'stopped';
    rmSync(this.statePath(s.unit.name), { force: true });
  }

  async status(): Promise<UnitStatus[]> {
    const out: UnitStatus[] = [];
    for (const s of this.units.values()) {
      const st: UnitStatus = { name: s.unit.name, app: s.unit.app, state: s.state, hash: s.unit.hash, restarts: s.restarts };
      if (s.lastError !== undefined) st.lastError = s.lastError;
      if (s.state === 'running' && s.startedAt !== undefined) st.since = new Date(s.startedAt).toISOString();
      out.push(st);
    }
    for (const u of this.unsupported.values()) out.push(unsupportedStatus(u, this.kind));
    return out.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }

  async detach(): Promise<void> {
    this.detached = true;
    for (const s of this.units.values()) {
      clearTimeout(s.timer);
      clearInterval(s.poll);
      s.child?.removeAllListeners();
    }
  }

  async stopAll(): Promise<void> {
    for (const s of [...this.units.values()]) await this.stop(s);
    this.units.clear();
  }
}
