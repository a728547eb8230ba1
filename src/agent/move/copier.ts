/**
 * The target host's side of a cutover: for each move it is told of, a key per unit and volume
 * (made with ssh-keygen under `<state>/moves/<migration>/`, reported to the controller, which
 * has the source host let it in), and the copies the controller asks for, pulled with rsync
 * (rsync.ts) into the directories the unit will find its data in. A unit this host runs is
 * never copied into. Copies are kept in memory only: after a restart the same order copies
 * again, which rsync makes cheap. Keys of moves no longer ordered are removed.
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

export class MoveCopier {
  private keys = new Map<string, { migration: string; unit: string; volume: string; key: string }>();
  private copies = new Map<string, Copy>();
  private children = new Set<ChildProcess>();
  private stopped = false;

  constructor(private readonly opts: CopierOptions) {}

  private dir(migration: string): string {
    return join(this.opts.stateDir, 'moves', migration);
  }

  /** The orders of the newest desired state; `running` are the units this host runs (never copied into). */
  async set(orders: readonly MoveCopyOrder[], running: ReadonlySet<string>): Promise<void> {
    const wanted = new Set(orders.map((o) => o.migration));
    for (const [k, v] of this.keys) if (!wanted.has(v.migration)) this.keys.delete(k);
    for (const [k, c] of this.copies) if (!wanted.has(c.id.split('/')[0]!)) this.copies.delete(k);
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
        if (o.copy && !this.copies.has(`${o.copy.id}/${o.unit}`)) void this.copy(o, o.copy, volumes);
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

  private async copy(o: MoveCopyOrder, c: { id: string; final: boolean }, volumes: { name: string; path: string }[]): Promise<void> {
    const id = `${c.id}/${o.unit}`;
    const entry: Copy = { id: c.id, unit: o.unit, state: 'running' };
    this.copies.set(id, entry);
    const started = performance.now();
    const track = (child: ChildProcess) => {
      this.children.add(child);
      child.on('close', () => this.children.delete(child));
    };
    try {
      let bytes = 0;
      const diffs: string[] = [];
      for (const v of volumes) {
        const p = { keyFile: this.keyFile(o, v.name), knownHosts: join(this.dir(o.migration), 'known_hosts'), source: o.source, ...(o.bindAddress ? { bindAddress: o.bindAddress } : {}), into: v.path };
        bytes += await pull(p, RETRY_MS, track, () => this.stopped);
        if (c.final) diffs.push(...(await differences(p, RETRY_MS, track, () => this.stopped)).map((d) => (volumes.length > 1 ? `${v.name}/${d}` : d)));
      }
      const seconds = Math.round((performance.now() - started) / 100) / 10;
      Object.assign(entry, { state: 'done', bytes, seconds, ...(c.final ? { identical: diffs.length === 0, differences: diffs.slice(0, 10) } : {}) });
      this.opts.log(`move ${o.migration}: ${c.final ? 'final copy' : 'copy'} of ${o.unit} from ${o.source.host}: ${bytes} bytes in ${seconds} s${c.final ? (diffs.length ? `; ${diffs.length} file(s) differ` : '; every file identical') : ''}`);
    } catch (err) {
      Object.assign(entry, { state: 'failed', error: (err as Error).message });
      this.opts.log(`move ${o.migration}: copy of ${o.unit} from ${o.source.host} failed: ${(err as Error).message}`);
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
    for (const c of this.children) c.kill('SIGTERM');
  }
}
