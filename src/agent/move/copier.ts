/**
 * The target host's side of a cutover: for each move it is told of, a key per unit and volume
 * (made with ssh-keygen under `<state>/moves/<migration>/`, reported to the controller, which
 * has the source host let it in), and the copies the controller asks for, pulled with rsync
 * (rsync.ts) into the directories the unit will find its data in. A unit this host runs is
 * never copied into. Copies are kept in memory only: after a restart the same order copies
 * again, which rsync makes cheap. Keys of moves no longer ordered are removed.
 *
 * A standby's copies (core/standby/replication.ts) come as orders like these with `every`: the
 * copy is made again that many seconds after each one ends, and the report says when the newest
 * complete one began (`copiedAt`). A copy whose order goes (its unit was promoted) is stopped
 * before the unit starts: release().
 */
import { execFile, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { MoveAgentReport, MoveCopyOrder } from '../../core/render/move-orders.js';
import type { Driver } from '../drivers/driver.js';
import { differences, pull } from './rsync.js';

const execFileP = promisify(execFile);

/** How long a copy keeps trying to get through to the source host (its agent lets the key in first). */
const RETRY_MS = 90_000;

export interface CopierOptions {
  stateDir: string;
  driver: Driver;
  log(line: string): void;
  /** A copy finished: report now. */
  changed(): void;
}

type Copy = MoveAgentReport['copies'][number];

/** A copy under way or waiting for its next round. */
interface Run {
  unit: string;
  stopped: boolean;
  children: Set<ChildProcess>;
  /** The next round, for a repeated copy between rounds. */
  timer?: NodeJS.Timeout;
  /** The order it was started for (JSON). */
  order: string;
  /** Resolves when no rsync of it runs any more and none will start. */
  done: Promise<void>;
  finish(): void;
}

export class MoveCopier {
  private keys = new Map<string, { migration: string; unit: string; volume: string; key: string }>();
  private copies = new Map<string, Copy>();
  private children = new Set<ChildProcess>();
  /** The copies a standby makes again and again (by copy id and unit): reported only while ordered. */
  private repeating = new Set<string>();
  /** Each copy under way or waiting for its next round. */
  private runs = new Map<string, Run>();
  private stopped = false;

  constructor(private readonly opts: CopierOptions) {}

  private dir(migration: string): string {
    return join(this.opts.stateDir, 'moves', migration);
  }

  /** The orders of the newest desired state; `running` are the units this host runs (never copied into). */
  async set(orders: readonly MoveCopyOrder[], running: ReadonlySet<string>): Promise<void> {
    const wanted = new Set(orders.map((o) => o.migration));
    const copying = new Set(orders.filter((o) => o.copy).map((o) => `${o.copy!.id}/${o.unit}`));
    for (const [k, v] of this.keys) if (!wanted.has(v.migration)) this.keys.delete(k);
    // Copies no longer asked for: a move's ended with its phase, a standby's with its term.
    await Promise.all([...this.runs].filter(([k]) => !copying.has(k)).map(([k]) => this.end(k)));
    // A move's last copy is reported while its move is ordered; a standby's only while its copies are.
    for (const [k, c] of this.copies) if (this.repeating.has(k) ? !copying.has(k) : !wanted.has(c.id.split('/')[0]!)) this.copies.delete(k);
    for (const k of this.repeating) if (!copying.has(k)) this.repeating.delete(k);
    const root = join(this.opts.stateDir, 'moves');
    for (const m of existsSync(root) ? readdirSync(root) : []) if (!wanted.has(m)) rmSync(join(root, m), { recursive: true, force: true });
    for (const o of orders) {
      if (running.has(o.unit)) {
        this.fail(o, `${o.unit} runs on this host: its data is not overwritten by a copy`);
        continue;
      }
      try {
        const volumes = await this.opts.driver.moveVolumes({ name: o.unit }, o.volumes, true, o.project);
        for (const v of volumes) await this.key(o, v.name);
        const key = o.copy && `${o.copy.id}/${o.unit}`;
        // A repeated copy whose source moved (its host reports another address) starts over from there.
        if (key && this.runs.get(key)?.order !== JSON.stringify(o)) await this.end(key);
        if (key && !this.runs.has(key) && (!this.copies.has(key) || this.repeating.has(key))) this.copy(o, o.copy!, volumes);
      } catch (err) {
        this.fail(o, (err as Error).message);
      }
    }
  }

  private fail(o: MoveCopyOrder, error: string): void {
    if (o.copy) this.copies.set(`${o.copy.id}/${o.unit}`, { id: o.copy.id, unit: o.unit, state: 'failed', error });
  }

  /**
   * Where the key of one volume of a move is kept. A data directory's name ("./postgres") holds a
   * slash, and ssh reads "%" in an identity file's path as its own tokens: such a name is kept
   * under a digest of it.
   */
  private keyFile(o: MoveCopyOrder, volume: string): string {
    const name = /^[A-Za-z0-9_][A-Za-z0-9_.-]*$/.test(volume) ? volume : `dir-${createHash('sha256').update(volume).digest('hex').slice(0, 16)}`;
    return join(this.dir(o.migration), `${o.unit}.${name}`);
  }

  /** The key of one volume of a move, made on first use. */
  private async key(o: MoveCopyOrder, volume: string): Promise<string> {
    const file = this.keyFile(o, volume);
    if (!existsSync(file)) {
      mkdirSync(this.dir(o.migration), { recursive: true, mode: 0o700 });
      await execFileP('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', `hafen-move:${o.migration}:${o.unit}:${volume}`, '-f', file]);
    }
    const key = readFileSync(`${file}.pub`, 'utf8').trim();
    this.keys.set(`${o.migration}/${o.unit}/${volume}`, { migration: o.migration, unit: o.unit, volume, key });
    return file;
  }

  /** Stops a copy (and its next rounds) and waits until its rsync is gone. */
  private async end(key: string): Promise<void> {
    const run = this.runs.get(key);
    if (!run) return;
    run.stopped = true;
    clearTimeout(run.timer);
    for (const c of run.children) c.kill('SIGTERM');
    this.runs.delete(key);
    // Between rounds nothing runs: done now; in a round, once its rsync has gone.
    if (run.children.size === 0 && run.timer) run.finish();
    await run.done;
    // An unfinished copy is not reported as under way: ordered again, it is made again.
    if (this.copies.get(key)?.state === 'running') this.copies.delete(key);
  }

  /** Stops every copy into these units (they are about to run) and waits until their rsyncs are gone. */
  async release(units: ReadonlySet<string>): Promise<void> {
    await Promise.all([...this.runs].filter(([, r]) => units.has(r.unit)).map(([k]) => this.end(k)));
  }

  private copy(o: MoveCopyOrder, c: { id: string; final: boolean; every?: number }, volumes: { name: string; path: string }[]): void {
    const key = `${c.id}/${o.unit}`;
    if (c.every) this.repeating.add(key);
    let finish = () => {};
    const done = new Promise<void>((r) => (finish = r));
    const run: Run = { unit: o.unit, order: JSON.stringify(o), stopped: false, children: new Set(), done, finish: () => finish() };
    this.runs.set(key, run);
    const round = async (): Promise<void> => {
      run.timer = undefined;
      await this.round(o, c, volumes, run);
      if (run.stopped || this.stopped || !c.every) {
        if (this.runs.get(key) === run && !c.every) this.runs.delete(key);
        run.finish();
        return;
      }
      run.timer = setTimeout(() => void round(), c.every * 1000);
      run.timer.unref();
    };
    void round();
  }

  private async round(o: MoveCopyOrder, c: { id: string; final: boolean; every?: number }, volumes: { name: string; path: string }[], run: Run): Promise<void> {
    const id = `${c.id}/${o.unit}`;
    const before = this.copies.get(id);
    const entry: Copy = { id: c.id, unit: o.unit, state: 'running', ...(before?.copiedAt ? { copiedAt: before.copiedAt } : {}) };
    this.copies.set(id, entry);
    const began = new Date().toISOString();
    const started = performance.now();
    const track = (child: ChildProcess) => {
      this.children.add(child);
      run.children.add(child);
      child.on('close', () => {
        this.children.delete(child);
        run.children.delete(child);
      });
    };
    try {
      let bytes = 0;
      const diffs: string[] = [];
      for (const v of volumes) {
        const p = { keyFile: this.keyFile(o, v.name), knownHosts: join(this.dir(o.migration), 'known_hosts'), source: o.source, ...(o.bindAddress ? { bindAddress: o.bindAddress } : {}), into: v.path };
        const stopped = () => this.stopped || run.stopped;
        if (stopped()) throw new Error('stopped');
        bytes += await pull(p, c.every ? Math.min(RETRY_MS, c.every * 1000) : RETRY_MS, track, stopped);
        if (c.final) diffs.push(...(await differences(p, RETRY_MS, track, stopped)).map((d) => (volumes.length > 1 ? `${v.name}/${d}` : d)));
      }
      const seconds = Math.round((performance.now() - started) / 100) / 10;
      Object.assign(entry, { state: 'done', bytes, seconds, ...(c.every ? { copiedAt: began } : {}), ...(c.final ? { identical: diffs.length === 0, differences: diffs.slice(0, 10) } : {}) });
      // A standby's rounds are logged when they move data worth saying, not every few seconds.
      if (!c.every || bytes > 1_000_000) this.opts.log(`${c.every ? 'standby' : 'move'} ${o.migration}: ${c.final ? 'final copy' : 'copy'} of ${o.unit} from ${o.source.host}: ${bytes} bytes in ${seconds} s${c.final ? (diffs.length ? `; ${diffs.length} file(s) differ` : '; every file identical') : ''}`);
    } catch (err) {
      if (run.stopped) return;
      const error = (err as Error).message;
      Object.assign(entry, { state: 'failed', error });
      // A standby's copies fail every round until mended: said when the reason changes, not every few seconds.
      if (!c.every || before?.state !== 'failed' || before.error !== error) this.opts.log(`${c.every ? 'standby' : 'move'} ${o.migration}: copy of ${o.unit} from ${o.source.host} failed: ${error}`);
    }
    if (this.copies.get(id) === entry) this.opts.changed();
  }

  report(): MoveAgentReport | undefined {
    if (this.keys.size === 0 && this.copies.size === 0) return undefined;
    return { keys: [...this.keys.values()], copies: [...this.copies.values()] };
  }

  /** Stops copies under way (the agent stops). */
  stop(): void {
    this.stopped = true;
    for (const r of this.runs.values()) {
      clearTimeout(r.timer);
      if (r.timer && r.children.size === 0) r.finish();
    }
    for (const c of this.children) c.kill('SIGTERM');
  }
}
