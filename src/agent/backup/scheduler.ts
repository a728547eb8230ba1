/**
 * The agent's backups: each job of the host's desired state runs on its cron schedule (croner,
 * in the host's time zone), one job at a time, also while the controller is away. A run:
 * create the repository if it is new, back up the unit's data, forget what the keep policy
 * no longer keeps (and prune once a week), record the run; runs reach the controller when it
 * answers. A job whose schedule fires while it still runs is skipped, not queued twice.
 */
import { Cron } from 'croner';
import { keepFlags } from '../../core/retention/policy.js';
import type { BackupJob } from '../../core/render/backups.js';
import { BackupJournal, type BackupRun } from './journal.js';
import { Restic, ResticError, type ResticRepository } from './restic.js';
import { sftpCommand, type AgentKey } from './ssh.js';

const PRUNE_EVERY_MS = 7 * 86_400_000;

export interface SchedulerOptions {
  stateDir: string;
  /** The host name snapshots are made under. */
  host: string;
  /** Where a job's data lies on this host now (the driver knows). */
  dataPaths(job: BackupJob): Promise<string[]>;
  /** Sends runs to the controller; rejects when it is away (the runs wait). */
  report(runs: BackupRun[]): Promise<void>;
  log?: (line: string) => void;
  now?: () => Date;
  /** The restic binary (tests); default restic on PATH. */
  resticBinary?: string;
  /** The agent's ssh key for sftp repositories. */
  ssh?: AgentKey;
}

export class BackupScheduler {
  private readonly journal: BackupJournal;
  private readonly crons = new Map<string, { job: BackupJob; cron: Cron; key: string }>();
  /** Runs one at a time: restic is I/O heavy and its locks serialise a repository anyway. */
  private queue: Promise<unknown> = Promise.resolve();
  private readonly running = new Set<string>();
  private flushTimer?: NodeJS.Timeout;
  private stopped = false;

  constructor(private readonly opts: SchedulerOptions) {
    this.journal = new BackupJournal(opts.stateDir);
    this.flushTimer = setInterval(() => void this.flush(), 10_000);
    this.flushTimer.unref();
  }

  /** Replaces the jobs: new ones are scheduled, changed ones rescheduled, removed ones stopped. */
  setJobs(jobs: readonly BackupJob[]): void {
    const wanted = new Map(jobs.map((j) => [j.app, j]));
    for (const [app, c] of this.crons) {
      if (JSON.stringify(wanted.get(app)) !== c.key) {
        c.cron.stop();
        this.crons.delete(app);
      }
    }
    for (const job of jobs) {
      if (this.crons.has(job.app) || this.stopped) continue;
      const cron = new Cron(job.schedule, { protect: true }, () => void this.runNow(job.app));
      this.crons.set(job.app, { job, cron, key: JSON.stringify(job) });
    }
  }

  /** Runs a job now (queued behind a running one); resolves with its run, or undefined when it is already running or unknown. */
  runNow(app: string): Promise<BackupRun | undefined> {
    const entry = this.crons.get(app);
    if (!entry || this.running.has(app)) return Promise.resolve(undefined);
    this.running.add(app);
    const result = this.queue.then(() => this.run(entry.job)).finally(() => this.running.delete(app));
    this.queue = result.catch(() => undefined);
    return result;
  }

  private async run(job: BackupJob): Promise<BackupRun> {
    const now = this.opts.now ?? (() => new Date());
    const startedAt = now().toISOString();
    const base = { app: job.app, unit: job.unit, repository: job.repository.url, startedAt };
    let run: BackupRun;
    try {
      if (!job.password) throw new ResticError('failed', `no password for the repository of ${job.app} (secret ${job.passwordSecret} not delivered)`, null);
      const sftp = job.repository.sftp;
      if (sftp && !this.opts.ssh) throw new ResticError('failed', `no ssh key to reach the sftp repository of ${job.app}: ssh-keygen did not run on this host (install openssh-client)`, null);
      const repo: ResticRepository = { url: job.repository.url, password: job.password, ...(sftp ? { sftpCommand: sftpCommand(this.opts.ssh!, sftp) } : {}) };
      const restic = new Restic(repo, { ...(this.opts.resticBinary ? { binary: this.opts.resticBinary } : {}) });
      const paths = [...(await this.opts.dataPaths(job)), ...job.paths];
      if (paths.length === 0) throw new ResticError('failed', `nothing to back up for ${job.unit}: it has no data directory or volume on this host yet`, null);
      await restic.init();
      const summary = await restic.backup(paths, { host: this.opts.host, tags: [`app:${job.app}`] });
      const flags = keepFlags(job.keep);
      const last = this.journal.prunedAt(job.app);
      const prune = flags.length > 0 && (!last || now().getTime() - Date.parse(last) >= PRUNE_EVERY_MS);
      const forgot = flags.length > 0 ? await restic.forget([...flags, '--tag', `app:${job.app}`], { host: this.opts.host, prune }) : { keep: [], remove: [] };
      run = { ...base, finishedAt: now().toISOString(), ok: true, snapshotId: summary.snapshotId, filesNew: summary.filesNew, filesChanged: summary.filesChanged, dataAdded: summary.dataAdded, totalBytes: summary.totalBytes, seconds: summary.seconds, forgotten: forgot.remove.length, pruned: prune };
      this.opts.log?.(`backup of ${job.app}: snapshot ${summary.snapshotId}, ${summary.dataAdded} bytes added, ${forgot.remove.length} forgotten${prune ? ', pruned' : ''}`);
    } catch (err) {
      const e = err instanceof ResticError ? err : new ResticError('failed', (err as Error).message, null);
      if (e.kind === 'wrong-password') e.message += `; the password is secret ${job.passwordSecret}, which no longer holds the one this repository was made with`;
      run = { ...base, finishedAt: now().toISOString(), ok: false, error: { kind: e.kind, message: e.message } };
      this.opts.log?.(`backup of ${job.app} failed: ${e.message}`);
    }
    await this.journal.record(run);
    void this.flush();
    return run;
  }

  private flushing?: Promise<void>;

  /** Sends the runs the controller has not seen; they stay when it is away. One flush at a time. */
  flush(): Promise<void> {
    if (this.flushing) return this.flushing;
    // .finally runs after this assignment, whatever deliver() does.
    const p = this.deliver().finally(() => {
      if (this.flushing === p) this.flushing = undefined;
    });
    this.flushing = p;
    return p;
  }

  private async deliver(): Promise<void> {
    const pending = this.journal.pending().slice(0, 500);
    if (pending.length === 0) return;
    try {
      await this.opts.report(pending);
      await this.journal.delivered(pending.length);
    } catch {
      // The controller is away: the next flush sends them.
    }
  }

  /** Stops scheduling; a run in progress finishes. */
  async stop(): Promise<void> {
    this.stopped = true;
    for (const c of this.crons.values()) c.cron.stop();
    this.crons.clear();
    clearInterval(this.flushTimer);
    await this.queue;
  }
}
