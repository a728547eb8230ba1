/**
 * Fencing on the agent's side (DESIGN principle 12): the agent remembers, per unit, the term in
 * which it last ran the unit as its app's writer (`<state>/standby/terms.json`; 0 for a unit of
 * an app that had no roles then). When a desired state tells it that unit is a standby of a
 * newer term, the unit was cut off while another replica took over: it is stopped with the rest
 * of the apply, and before any copy from the new writer may overwrite its data, that data is
 * copied aside to `<state>/fenced/<unit>-t<term>-<time>/` — not lost, not merged — and reported
 * until the operator removes the directory. A planned handover (switchover) keeps nothing aside:
 * the new writer started from its final copy. A crash between stop and copy does it again on the
 * next apply, since the term is written only once the copy is made.
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { DesiredUnit } from '../../core/render/desired.js';
import type { FencedReport } from '../../core/report/host-report.js';
import { writeFileAtomic } from '../../lib/fs.js';
import type { Driver } from '../drivers/driver.js';

const execFileP = promisify(execFile);

export interface FencerOptions {
  stateDir: string;
  driver: Pick<Driver, 'moveVolumes'>;
  log(line: string): void;
}

export class Fencer {
  private terms: Record<string, number>;
  private fenced: FencedReport[];

  constructor(private readonly opts: FencerOptions) {
    this.terms = this.read('terms.json', {});
    this.fenced = this.read('fenced.json', []);
  }

  private read<T>(file: string, empty: T): T {
    try {
      return JSON.parse(readFileSync(join(this.opts.stateDir, 'standby', file), 'utf8')) as T;
    } catch {
      return empty;
    }
  }

  private async write(file: string, value: unknown): Promise<void> {
    mkdirSync(join(this.opts.stateDir, 'standby'), { recursive: true, mode: 0o700 });
    await writeFileAtomic(join(this.opts.stateDir, 'standby', file), JSON.stringify(value), 0o600);
  }

  /** Units told to be standbys of a newer term than the one they last wrote in: their data is kept aside once they stopped. */
  demoted(units: readonly DesiredUnit[]): DesiredUnit[] {
    return units.filter((u) => u.standby?.role === 'standby' && !u.standby.planned && this.terms[u.name] !== undefined && this.terms[u.name]! < u.standby.term);
  }

  /** Copies a stopped, demoted unit's data aside and reports it. */
  async keepAside(unit: DesiredUnit, at: Date): Promise<void> {
    const wrote = this.terms[unit.name]!;
    const project = unit.compose ? { name: unit.compose.name, ...(unit.compose.directory?.workingDir ? { workingDir: unit.compose.directory.workingDir } : {}) } : undefined;
    const volumes = await this.opts.driver.moveVolumes(unit, unit.standby!.data, false, project);
    const dir = join(this.opts.stateDir, 'fenced', `${unit.name}-t${wrote}-${at.toISOString().replace(/[:.]/g, '-')}`);
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    for (const v of volumes) {
      const name = v.name.replace(/^\.\//, 'dir-').replace(/[^A-Za-z0-9_.-]/g, '_');
      // Numeric owners, modes and times as they were: what the writer left, exactly.
      await execFileP('cp', ['-a', '--reflink=auto', `${v.path.replace(/\/+$/, '')}/.`, join(dir, name)]);
    }
    this.fenced.push({ unit: unit.name, app: unit.app, term: wrote, path: dir, at: at.toISOString() });
    await this.write('fenced.json', this.fenced);
    this.opts.log(`fenced ${unit.name}: it wrote in term ${wrote}, its app now writes elsewhere in term ${unit.standby!.term}; its data is kept aside in ${dir} (${volumes.map((v) => v.name).join(', ') || 'no data found'})`);
  }

  /** Remembers the term each unit writes in now (0: an app without roles); units gone are forgotten. */
  async record(units: readonly DesiredUnit[]): Promise<void> {
    const next: Record<string, number> = {};
    for (const u of units) {
      if (!u.standby) next[u.name] = 0;
      else if (u.standby.role === 'active') next[u.name] = u.standby.term;
    }
    if (JSON.stringify(next) !== JSON.stringify(this.terms)) {
      this.terms = next;
      await this.write('terms.json', next);
    }
  }

  /** What is kept aside on this host and still there. */
  report(): FencedReport[] | undefined {
    const root = join(this.opts.stateDir, 'fenced');
    const present = existsSync(root) ? new Set(readdirSync(root).map((d) => join(root, d))) : new Set<string>();
    const kept = this.fenced.filter((f) => present.has(f.path));
    return kept.length ? kept : undefined;
  }
}
