/**
 * The agent's backups: each job of the host's desired state backs up on its cron schedule,
 * checks its repository and drills a restore on theirs (croner, in the host's time zone),
 * and carries out the tasks people ask for (run now, restore into scratch, drill, check) —
 * all one at a time, also while the controller is away. A backup run: create the repository if
 * it is new, back up the unit's data, forget what the keep policy no longer keeps (and prune
 * every `pruneEvery`, a week by default), record the run. Runs and task reports reach the controller when it answers.
 * A schedule that fires while its job's last firing still waits or runs is skipped, not queued twice.
 */
import { join } from 'node:path';
import { Cron } from 'croner';
import type { BackupTaskKind, BackupTaskOrder, BackupJob } from '../../core/render/backups.js';
import type { BackupTaskReport, BackupTaskResult } from '../../client/client.js';
import { scheduleInterval } from '../../core/alerting/backups.js';
import { BackupJournal, type BackupRun } from './journal.js';
import { backupOnce, checkOnce, drillOnce, restoreInto, restoreIntoApp, type OperationContext } from './operations.js';
import { ResticError } from './restic.js';
import type { AgentKey } from './ssh.js';

/** Failures that may pass by themselves, so a scheduled backup is tried again. */
const RETRYABLE = new Set(['unreachable', 'locked', 'interrupted', 'denied']);
const RETRIES = 3;
const RETRY_MAX_MS = 15 * 60_000;
/** Tries of a task refused by the backup host (its key on the way there) or meeting a lock: again after 2, 4, 6 and 8 s. */
const TASK_TRIES = 5;
/** An sftp failure this quick is a refusal, not a backup host that does not answer (that takes the ssh connect timeout). */
const REFUSED_WITHIN_MS = 5000;

export interface SchedulerOptions {
  stateDir: string;
  /** The host name snapshots are made under. */
  host: string;
  /** Where a job's data lies on this host now (the driver knows). */
  dataPaths(job: BackupJob): Promise<string[]>;
  /** Backup hooks: a command for the job's unit, and holding (stopping) the unit during the snapshot. */
  exec?: OperationContext['exec'];
  hold?: OperationContext['hold'];
  /** Send runs and task reports to the controller; reject when it is away (they wait). */
  report(runs: BackupRun[]): Promise<void>;
  reportTasks(tasks: BackupTaskReport[]): Promise<void>;
  /** Where restores and drills put their files (default `<state>/restores`). */
  scratchDir?: string;
  log?: (line: string) => void;
  now?: () => Date;
  /** The restic binary (tests); default restic on PATH. */
  resticBinary?: string;
  /** The agent's ssh key for sftp repositories. */
  ssh?: AgentKey;
}

const asError = (err: unknown) => (err instanceof ResticError ? err : new ResticError('failed', (err as Error).message, null));
const stamp = (d: Date) => d.toISOString().replace(/[:.]/g, '-');

export class BackupScheduler {
  private readonly journal: BackupJournal;
  private readonly jobs = new Map<string, { job: BackupJob; crons: Cron[]; key: string; retry?: NodeJS.Timeout }>();
  /** One operation at a time: restic is I/O heavy and its locks serialise a repository anyway. */
  private queue: Promise<unknown> = Promise.resolve();
  /** "app:kind" of scheduled operations waiting or running (a firing while one waits is skipped). */
  private readonly busy = new Set<string>();
  /** Ids of asked tasks in the queue. */
  private readonly queuedTasks = new Set<string>();
  private flushTimer?: NodeJS.Timeout;
  private stopped = false;
  private readonly ctx: OperationContext;
  private readonly now: () => Date;

  constructor(private readonly opts: SchedulerOptions) {
    this.journal = new BackupJournal(opts.stateDir);
    this.now = opts.now ?? (() => new Date());
    this.ctx = {
      host: opts.host,
      dataPaths: opts.dataPaths,
      now: this.now,
      ...(opts.exec ? { exec: opts.exec } : {}),
      ...(opts.hold ? { hold: opts.hold } : {}),
      ...(opts.ssh ? { ssh: opts.ssh } : {}),
      ...(opts.resticBinary ? { resticBinary: opts.resticBinary } : {}),
    };
    this.flushTimer = setInterval(() => void this.flush(), 10_000);
    this.flushTimer.unref();
  }

  private get scratch(): string {
    return this.opts.scratchDir ?? join(this.opts.stateDir, 'restores');
  }

  /** Replaces the jobs: new ones are scheduled, changed ones rescheduled, removed ones stopped. */
  setJobs(jobs: readonly BackupJob[]): void {
    const wanted = new Map(jobs.map((j) => [j.app, j]));
    for (const [app, c] of this.jobs) {
      if (JSON.stringify(wanted.get(app)) !== c.key) {
        for (const cron of c.crons) cron.stop();
        clearTimeout(c.retry);
        this.jobs.delete(app);
      }
    }
    if (this.stopped) return;
    for (const job of jobs) {
      if (this.jobs.has(job.app)) continue;
      const crons = [
        new Cron(job.schedule, { protect: true }, () => void this.scheduled(job.app, 'run')),
        new Cron(job.check.schedule, { protect: true }, () => void this.scheduled(job.app, 'check')),
        new Cron(job.drill.schedule, { protect: true }, () => void this.scheduled(job.app, 'drill')),
      ];
      this.jobs.set(job.app, { job, crons, key: JSON.stringify(job) });
    }
  }

  /**
   * Queues the tasks asked for, in order. A task is marked taken in the journal when it starts,
   * so it runs once, also across restarts; one queued but not started when the agent stops runs
   * after its restart (the controller still asks for it).
   */
  setTasks(orders: readonly BackupTaskOrder[]): void {
    for (const order of orders) {
      if (this.stopped || this.queuedTasks.has(order.id)) continue;
      this.queuedTasks.add(order.id);
      void this.enqueue(async () => {
        if (!(await this.journal.take(order.id))) return;
        this.log(`backup task ${order.id}: ${order.kind} of ${order.app}`);
        await this.task(order.id, order.app, order.kind, order);
      }).finally(() => this.queuedTasks.delete(order.id));
    }
  }

  /** Queues work; what has not started when the scheduler stops never starts. */
  private enqueue<T>(work: () => Promise<T>): Promise<T | undefined> {
    const result = this.queue.then(() => (this.stopped ? undefined : work()));
    this.queue = result.catch(() => undefined);
    return result;
  }

  private log(line: string): void {
    this.opts.log?.(line);
  }

  /**
   * A schedule fired: a backup is a run; a check or a drill is a task of its own, reported as
   * asked by the schedule. A backup that failed for a passing reason (backup host unreachable,
   * repository locked, restic interrupted, this agent's key not yet let in) is tried again after a quarter of the schedule's
   * interval (at most 15 min), up to 3 times, so a blip at 02:15 does not cost a day's backup.
   */
  private scheduled(app: string, kind: 'run' | 'check' | 'drill', attempt = 0): void {
    const key = `${app}:${kind}`;
    const entry = this.jobs.get(app);
    if (!entry || this.busy.has(key) || this.stopped) return;
    this.busy.add(key);
    if (kind !== 'run') {
      void this.enqueue(() => this.task(`${kind}:${app}:${this.now().toISOString()}`, app, kind)).finally(() => this.busy.delete(key));
      return;
    }
    void this.enqueue(() => this.backup(entry.job))
      .then((run) => {
        const delay = Math.min(RETRY_MAX_MS, (scheduleInterval(entry.job.schedule, this.now()) ?? 0) / 4);
        if (!run || run.ok || !RETRYABLE.has(run.error?.kind ?? '') || attempt >= RETRIES || delay < 1000 || this.jobs.get(app) !== entry) return;
        this.log(`backup of ${app}: trying again in ${Math.round(delay / 1000)} s (attempt ${attempt + 2} of ${RETRIES + 1})`);
        entry.retry = setTimeout(() => this.scheduled(app, 'run', attempt + 1), delay);
      })
      .finally(() => this.busy.delete(key));
  }

  /** One backup run, recorded whatever happens. */
  private async backup(job: BackupJob): Promise<BackupRun> {
    const startedAt = this.now().toISOString();
    const base = { app: job.app, unit: job.unit, repository: job.repository.url, startedAt };
    let run: BackupRun;
    try {
      const last = this.journal.prunedAt(job.app);
      const prune = !last || this.now().getTime() - Date.parse(last) >= job.pruneEveryMs;
      const { summary, forgotten, pruned } = await backupOnce(job, this.ctx, prune);
      run = { ...base, finishedAt: this.now().toISOString(), ok: true, snapshotId: summary.snapshotId, filesNew: summary.filesNew, filesChanged: summary.filesChanged, dataAdded: summary.dataAdded, totalBytes: summary.totalBytes, seconds: summary.seconds, forgotten, pruned };
      this.log(`backup of ${job.app}: snapshot ${summary.snapshotId}, ${summary.dataAdded} bytes added, ${forgotten} forgotten${pruned ? ', pruned' : ''}`);
    } catch (err) {
      const e = this.explain(asError(err), job);
      run = { ...base, finishedAt: this.now().toISOString(), ok: false, error: { kind: e.kind, message: e.message } };
      this.log(`backup of ${job.app} failed: ${e.message}`);
    }
    await this.journal.record(run);
    void this.flush();
    return run;
  }

  private explain(e: ResticError, job: BackupJob): ResticError {
    if (e.kind === 'wrong-password') e.message += `; the password is secret ${job.passwordSecret}, which no longer holds the one this repository was made with`;
    return e;
  }

  /** One task: reported running, then done or failed with its result. */
  private async task(id: string, app: string, kind: BackupTaskKind, order: Omit<BackupTaskOrder, 'id' | 'app' | 'kind'> = {}): Promise<void> {
    const startedAt = this.now().toISOString();
    const report = async (r: Omit<BackupTaskReport, 'id' | 'app' | 'kind' | 'startedAt'>) => {
      await this.journal.recordTask({ id, app, kind, startedAt, ...r });
      void this.flush();
    };
    await report({ state: 'running' });
    try {
      // A restore asked of this host for another host's job brings the job along.
      const job = this.jobs.get(app)?.job ?? order.job;
      if (!job) throw new ResticError('failed', `this host (${this.opts.host}) does not run the backup job of ${app} (any more)`, null);
      if (!this.jobs.has(app) && (kind !== 'restore' || order.into === 'app')) throw new ResticError('failed', `this host (${this.opts.host}) does not run ${app}: only a restore into scratch space can run here`, null);
      const result = await this.performRetrying(job, kind, order);
      await report({ state: 'done', finishedAt: this.now().toISOString(), result });
      this.log(`backup task ${id}: ${kind} of ${app} done${result.path ? ` (${result.path})` : ''}`);
    } catch (err) {
      const e = this.explain(asError(err), this.jobs.get(app)?.job ?? order.job ?? ({ passwordSecret: `backup-${app}` } as BackupJob));
      await report({ state: 'failed', finishedAt: this.now().toISOString(), error: { kind: e.kind, message: e.message } });
      this.log(`backup task ${id}: ${kind} of ${app} failed: ${e.message}`);
    }
  }

  /**
   * A task, tried again for a few seconds while the backup host refuses this agent's key or
   * the repository is locked. A restore on another host is let in by the backup host's agent
   * at the moment this agent is asked, so its first login may come before the key is there; a
   * refused login shows as "denied", or, when restic ends before ssh has said why, as
   * "unreachable" within a moment (a backup host that does not answer takes the connect
   * timeout, and is not tried again). The job host's own backups may hold the repository's
   * lock (forget does, exclusively) while another host restores; restic 0.14 has no
   * --retry-lock.
   */
  private async performRetrying(job: BackupJob, kind: BackupTaskKind, order: Pick<BackupTaskOrder, 'snapshot' | 'into' | 'from'>): Promise<BackupTaskResult> {
    for (let attempt = 1; ; attempt++) {
      const started = Date.now();
      try {
        return await this.perform(job, kind, order);
      } catch (err) {
        const refused = err instanceof ResticError && (err.kind === 'denied' || (err.kind === 'unreachable' && Date.now() - started < REFUSED_WITHIN_MS));
        const locked = err instanceof ResticError && err.kind === 'locked';
        if (!(refused || locked) || attempt >= TASK_TRIES || this.stopped || kind === 'run') throw err;
        this.log(`${kind} of ${job.app}: ${locked ? 'the repository is locked' : 'the backup host does not let this agent in yet'}; trying again in ${attempt * 2} s`);
        await new Promise((r) => setTimeout(r, attempt * 2000));
      }
    }
  }

  private async perform(job: BackupJob, kind: BackupTaskKind, order: Pick<BackupTaskOrder, 'snapshot' | 'into' | 'from'>): Promise<BackupTaskResult> {
    switch (kind) {
      case 'run': {
        const run = await this.backup(job);
        if (!run.ok) throw new ResticError((run.error?.kind ?? 'failed') as ResticError['kind'], run.error?.message ?? 'the backup failed', null);
        return { snapshotId: run.snapshotId!, seconds: run.seconds ?? 0, bytes: run.dataAdded ?? 0, files: (run.filesNew ?? 0) + (run.filesChanged ?? 0) };
      }
      case 'restore': {
        const target = join(this.scratch, `${job.app}-${stamp(this.now())}`);
        const from = order.from ?? 'repository';
        if (order.into === 'app') return restoreIntoApp(job, this.ctx, order.snapshot ?? 'latest', target, from);
        const { snapshot: _s, ...result } = await restoreInto(job, this.ctx, order.snapshot ?? 'latest', target, from);
        return result;
      }
      case 'drill':
        return drillOnce(job, this.ctx, join(this.scratch, `${job.app}-drill-${stamp(this.now())}`));
      case 'check': {
        const part = this.journal.nextCheckPart(job.app, job.check.parts);
        const result = await checkOnce(job, this.ctx, part, job.check.parts);
        await this.journal.checked(job.app, part);
        return result;
      }
    }
  }

  private flushing?: Promise<void>;

  /** Sends the runs and task reports the controller has not seen; they stay when it is away. One flush at a time. */
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
    try {
      const runs = this.journal.pending().slice(0, 500);
      if (runs.length) {
        await this.opts.report(runs);
        await this.journal.delivered(runs.length);
      }
      const tasks = this.journal.pendingTasks().slice(0, 500);
      if (tasks.length) {
        await this.opts.reportTasks(tasks);
        await this.journal.tasksDelivered(tasks.length);
      }
    } catch {
      // The controller is away: the next flush sends them.
    }
  }

  /** Stops scheduling; what runs finishes, what waits in the queue does not start. */
  async stop(): Promise<void> {
    this.stopped = true;
    for (const c of this.jobs.values()) {
      for (const cron of c.crons) cron.stop();
      clearTimeout(c.retry);
    }
    this.jobs.clear();
    clearInterval(this.flushTimer);
    await this.queue;
  }
}
