/**
 * What the agent keeps about its backups across restarts (`<state>/backups/state.json`, 0600):
 * the runs and task reports not yet delivered to the controller (the controller may be away
 * for days; nothing is lost but the oldest beyond a limit), per app when it was last pruned
 * and which part of the data its last check read, and the tasks already taken up (so a task
 * still in a desired state after a restart never runs twice).
 */
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { BackupRunBody, BackupTaskReport } from '../../client/client.js';
import { writeFileAtomic } from '../../lib/fs.js';

/** One run of a backup job, as the controller gets it. */
export type BackupRun = BackupRunBody;

interface State {
  pending: BackupRun[];
  prunedAt: Record<string, string>;
  pendingTasks: BackupTaskReport[];
  /** Ids of tasks taken up, newest last. */
  taken: string[];
  /** Per app, the part (1-based) its last check read. */
  checkPart: Record<string, number>;
}

/** Task ids remembered: far more than can be pending at once (a task is dropped by the controller after an hour). */
const MAX_TAKEN = 2000;

/** Runs kept for the controller at most: a week of runs every 10 minutes for 60 apps. */
const MAX_PENDING = 60_000;

export class BackupJournal {
  private state: State = { pending: [], prunedAt: {}, pendingTasks: [], taken: [], checkPart: {} };
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

  /** Marks a task taken up; false when it already was. */
  async take(id: string): Promise<boolean> {
    if (this.state.taken.includes(id)) return false;
    this.state.taken.push(id);
    if (this.state.taken.length > MAX_TAKEN) this.state.taken.splice(0, this.state.taken.length - MAX_TAKEN);
    await this.save();
    return true;
  }

  async recordTask(report: BackupTaskReport): Promise<void> {
    this.state.pendingTasks.push(report);
    if (this.state.pendingTasks.length > MAX_PENDING) this.state.pendingTasks.splice(0, this.state.pendingTasks.length - MAX_PENDING);
    await this.save();
  }

  pendingTasks(): BackupTaskReport[] {
    return [...this.state.pendingTasks];
  }

  async tasksDelivered(n: number): Promise<void> {
    this.state.pendingTasks.splice(0, n);
    await this.save();
  }

  /** The part the next check of `app` reads (1..parts, in turn). */
  nextCheckPart(app: string, parts: number): number {
    return ((this.state.checkPart[app] ?? 0) % parts) + 1;
  }

  async checked(app: string, part: number): Promise<void> {
    this.state.checkPart[app] = part;
    await this.save();
  }
}
