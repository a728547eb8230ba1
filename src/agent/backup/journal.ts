/**
 * What the agent keeps about its backups across restarts (`<state>/backups/state.json`, 0600):
 * the runs not yet reported to the controller (the controller may be away for days; runs are
 * never lost, at most the oldest beyond a limit), and per app when it was last pruned.
 */
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { BackupRunBody } from '../../client/client.js';
import { writeFileAtomic } from '../../lib/fs.js';

/** One run of a backup job, as the controller gets it. */
export type BackupRun = BackupRunBody;

interface State {
  pending: BackupRun[];
  prunedAt: Record<string, string>;
}

/** Runs kept for the controller at most: a week of runs every 10 minutes for 60 apps. */
const MAX_PENDING = 60_000;

export class BackupJournal {
  private state: State = { pending: [], prunedAt: {} };
  private readonly file: string;

  constructor(stateDir: string) {
    const dir = join(stateDir, 'backups');
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    this.file = join(dir, 'state.json');
    try {
      this.state = { ...this.state, ...(JSON.parse(readFileSync(this.file, 'utf8')) as Partial<State>) };
    } catch {
      // First start: nothing recorded yet.
    }
  }

  private save(): Promise<void> {
    return writeFileAtomic(this.file, JSON.stringify(this.state), 0o600);
  }

  async record(run: BackupRun): Promise<void> {
    this.state.pending.push(run);
    if (this.state.pending.length > MAX_PENDING) this.state.pending.splice(0, this.state.pending.length - MAX_PENDING);
    if (run.pruned) this.state.prunedAt[run.app] = run.finishedAt;
    await this.save();
  }

  pending(): BackupRun[] {
    return [...this.state.pending];
  }

  /** The first `n` pending runs reached the controller. */
  async delivered(n: number): Promise<void> {
    this.state.pending.splice(0, n);
    await this.save();
  }

  prunedAt(app: string): string | undefined {
    return this.state.prunedAt[app];
  }
}
