/**
 * What the controller knows of each app's backups: the job the newest revision gives it (its
 * host, schedule, repository) or why it has none, its last runs, drills and checks as the
 * agents reported them, and the tasks people asked for (run now, restore, drill, check). The
 * API shows it, the alerting judges it (core/alerting/backups.ts). What is in the store is
 * read once per change, not on every evaluation.
 *
 * Tasks reach an agent through its desired state (agents only ever pull): a task stays in the
 * desired state of the job's host until the agent reports it running or finished, or for an
 * hour; after that it is "expired" (the host was away) and never runs.
 */
import { randomBytes } from 'node:crypto';
import type { BackupTask, BackupTaskOptions, BackupTaskReport } from '../client/client.js';
import { spaceLevel, type BackupState, type RepositoryDisk } from '../core/alerting/backups.js';
import { backupAccess, repositoryFor, type BackupAccessKey, type BackupJob, type BackupTaskKind, type BackupTaskOrder } from '../core/render/backups.js';
import { estimateSpace, forecastRetention, futureTimes, HORIZONS, type RetentionPoint, type SpaceEstimate } from '../core/retention/forecast.js';
import type { KeepPolicy } from '../core/retention/policy.js';
import { HafenError } from '../lib/errors.js';
import type { Fleet } from '../core/fleet/model.js';
import type { HostDesiredState } from '../core/render/desired.js';
import type { HostReport } from '../core/report/host-report.js';
import type { Store, StoredBackupRun } from './store/store.js';

/** A task not taken up by the job host's agent within this long is expired. */
export const TASK_TTL_MS = 3_600_000;

/** Backup jobs by the host that runs them. */
export function jobsByHost(desired: ReadonlyMap<string, HostDesiredState>): Map<string, BackupJob[]> {
  return new Map([...desired].filter(([, s]) => s.backups?.length).map(([h, s]) => [h, s.backups!]));
}

/** Each app's backup job and the host that runs it. */
export function jobsByApp(desired: ReadonlyMap<string, HostDesiredState>): Map<string, BackupJob & { host: string }> {
  return new Map([...jobsByHost(desired)].flatMap(([host, jobs]) => jobs.map((j) => [j.app, { ...j, host }] as const)));
}


export interface BackupBookDeps {
  /** The newest revision: its fleet, desired states and host addresses. */
  current(): Promise<{ fleet: Fleet; desired: ReadonlyMap<string, HostDesiredState>; addresses: ReadonlyMap<string, string> } | undefined>;
  /** The agents' last status reports. */
  reports(): Promise<readonly { host: string; status: HostReport }[]>;
  /** Wakes the agents' long-polls: a task or a key changes a host's desired state. */
  changed(): void;
  now?(): Date;
}

export interface AppBackups extends BackupState {
  /** The repository URL (null without a job). */
  repository: string | null;
  /** The copy's repository URL at the copyTo site (null without one). */
  copy: string | null;
  lastRun: StoredBackupRun | null;
  lastSuccess: StoredBackupRun | null;
  lastDrill: BackupTask | null;
  lastCheck: BackupTask | null;
}

/** Runs read per app for a plan: a year of runs every 10 minutes. */
const PLAN_RUNS = 60_000;

export interface AppPlan {
  app: string;
  customer: string;
  schedule: string;
  keep: KeepPolicy;
  /** The backup host that keeps the repository, or null (a path or a hand-managed URL). */
  backupHost: string | null;
  repositorySite: string;
  retention: RetentionPoint[];
  space: SpaceEstimate;
}

export interface BackupHostPlan {
  /** The backup host, or "site:S" for repositories on paths at site S (their capacity is unknown). */
  host: string;
  capacity: number | null;
  apps: string[];
  bytes: { days: number; bytes: number; share: number | null }[];
}

export class BackupBook {
  private last?: Promise<Awaited<ReturnType<Store['lastBackupRuns']>>>;
  private lastFinished?: Promise<{ drill: BackupTask[]; check: BackupTask[] }>;
  /** Open tasks by host (what the agents are asked to do). */
  private open?: Promise<Map<string, BackupTask[]>>;

  /** Who each backup host lets in, for one revision's jobs and the keys known then. */
  private access?: { desired: ReadonlyMap<string, HostDesiredState>; byHost: Promise<Map<string, BackupAccessKey[]>> };
  private readonly current: BackupBookDeps['current'];
  /** Since when each backup host's repository disk is at its present level (not ok). */
  private readonly diskSince = new Map<string, { level: string; since: string }>();
  private readonly now: () => Date;

  constructor(
    private readonly store: Store,
    private readonly deps: BackupBookDeps,
  ) {
    this.current = deps.current;
    this.now = deps.now ?? (() => new Date());
  }

  /** New runs were stored: the next read sees them. */
  changed(): void {
    this.last = undefined;
  }

  /** The public ssh key each agent reported, by host. */
  private async agentKeys(): Promise<Map<string, string>> {
    return new Map((await this.deps.reports()).flatMap((r) => (r.status.agent?.sshKey ? [[r.host, r.status.agent.sshKey] as const] : [])));
  }

  /** The repository disks the backup hosts' agents report (hosts of the newest revision only), with since when each is at its level. */
  async disks(): Promise<RepositoryDisk[]> {
    const cur = await this.current();
    const sites = new Map((cur?.fleet.hosts ?? []).map((h) => [h.id, h.site]));
    const out: RepositoryDisk[] = [];
    for (const r of await this.deps.reports()) {
      // What a backup host's agent reported of its repositories' disk (hafen agent --repositories).
      const disk = r.status.agent?.repositories;
      const site = sites.get(r.host);
      if (!disk || !site) continue;
      const level = spaceLevel(disk);
      const before = this.diskSince.get(r.host);
      const since = before?.level === level ? before.since : this.now().toISOString();
      this.diskSince.set(r.host, { level, since });
      out.push({ host: r.host, site, ...disk, since });
    }
    return out;
  }

  /** An agent reported a new ssh key: backup hosts let in other keys now. */
  keysChanged(): void {
    this.access = undefined;
    this.deps.changed();
  }

  /**
   * The agents a backup host lets in (by the keys they reported): those whose jobs back up to
   * it, and those asked to restore from it while the task is open. Computed once per revision,
   * key change and task change, not on every long-poll.
   */
  async accessFor(host: string): Promise<BackupAccessKey[] | undefined> {
    const cur = await this.current();
    if (!cur) return undefined;
    if (this.access?.desired !== cur.desired) {
      const byHost = Promise.all([this.agentKeys(), this.elsewhere(cur.desired)]).then(([keys, elsewhere]) => {
        const jobs = jobsByHost(cur.desired);
        for (const [h, list] of elsewhere) jobs.set(h, [...(jobs.get(h) ?? []), ...list]);
        return backupAccess(jobs, keys);
      });
      byHost.catch(() => (this.access = undefined));
      this.access = { desired: cur.desired, byHost };
    }
    return (await this.access.byHost).get(host);
  }

  /**
   * Asks the agent of the app's job host for a task (a restore `to` another host: that host's
   * agent); fails when the app has no backup job, or the task cannot run as asked.
   */
  async ask(app: string, kind: BackupTaskKind, requestedBy: string, opts: BackupTaskOptions = {}): Promise<BackupTask> {
    const shown = (await this.apps()).find((a) => a.app === app);
    if (!shown) throw new HafenError('HAFEN_BACKUP_APP_NOT_FOUND', `app "${app}" has no backup policy in the newest revision (hafen backup list shows those that have)`);
    const cur = await this.current();
    const job = cur && jobsByApp(cur.desired).get(app);
    if (!cur || !job) throw new HafenError('HAFEN_BACKUP_NO_JOB', `app "${app}" has no backup job, so nothing can run it: ${shown.problem ?? 'unknown reason'}`);
    const { to, ...order } = opts;
    if (kind !== 'restore' && (to !== undefined || order.from !== undefined || order.into !== undefined)) {
      throw new HafenError('HAFEN_API_BAD_REQUEST', `only a restore takes a target host, a source or a destination; a ${kind} runs on the job's host (${job.host})`);
    }
    if (order.from === 'copy' && !job.copy) throw new HafenError('HAFEN_API_BAD_REQUEST', `app "${app}" has no copy to restore from (backup.copyTo is not set, or its site has no repository)`);
    const host = to ?? job.host;
    if (host !== job.host) {
      if (!cur.fleet.hosts.some((h) => h.id === host)) throw new HafenError('HAFEN_HOST_NOT_FOUND', `host "${host}" is not in the newest revision's fleet`);
      if (order.into === 'app') throw new HafenError('HAFEN_API_BAD_REQUEST', `a restore into the app runs on the host of its backup job (${job.host}); --to restores into scratch space on another host`);
      const source = order.from === 'copy' ? job.copy! : job.repository;
      if (source.sftp && !(await this.agentKeys()).has(host)) {
        throw new HafenError('HAFEN_BACKUP_NO_KEY', `the agent of ${host} has not reported an ssh key, so ${source.backupHost ?? 'the backup host'} cannot let it in to the repository of ${app}: is hafen agent running there?`);
      }
    }
    const task: BackupTask = { id: `bt_${randomBytes(8).toString('hex')}`, app, kind, host, requestedBy, createdAt: this.now().toISOString(), state: 'pending', ...order };
    await this.store.addBackupTask(task);
    this.openChanged();
    return task;
  }

  /** The open tasks changed: read them again, and who may reach a backup host (a restore elsewhere) with them. */
  private openChanged(): void {
    this.open = undefined;
    this.access = undefined;
    this.deps.changed();
  }

  /** What an agent reported of its tasks (asked ones, and its scheduled drills and checks). */
  async report(host: string, reports: readonly BackupTaskReport[]): Promise<void> {
    await this.store.reportBackupTasks(host, reports);
    this.lastFinished = undefined;
    this.openChanged();
  }

  /**
   * The open tasks (pending or running) by the host that runs them, oldest first; reading them
   * from the store first marks the ones past their hour expired there.
   */
  private openTasks(): Promise<Map<string, BackupTask[]>> {
    this.open ??= this.store
      .expireBackupTasks(new Date(this.now().getTime() - TASK_TTL_MS).toISOString())
      .then(() => this.store.backupTasks({ open: true, limit: 10_000 }))
      .then(
        (tasks) => {
          const byHost = new Map<string, BackupTask[]>();
          for (const t of tasks) byHost.set(t.host, [t, ...(byHost.get(t.host) ?? [])]);
          return byHost;
        },
        (err: unknown) => {
          this.open = undefined;
          throw err;
        },
      );
    return this.open;
  }

  /** The tasks the agent of `host` is asked to do now (pending and not expired), oldest first. */
  async ordersFor(host: string): Promise<BackupTaskOrder[]> {
    const pending = ((await this.openTasks()).get(host) ?? []).filter((t) => t.state === 'pending' && !this.expired(t));
    if (pending.length === 0) return [];
    const cur = await this.current();
    const jobs = cur ? jobsByApp(cur.desired) : new Map<string, BackupJob & { host: string }>();
    return pending.map(({ id, app, kind, snapshot, into, from }) => {
      // A restore on another host than the job's carries the job (without the host it runs on).
      const { host: jobHost, ...job } = jobs.get(app) ?? { host };
      return { id, app, kind, ...(snapshot ? { snapshot } : {}), ...(into ? { into } : {}), ...(from ? { from } : {}), ...(jobHost !== host ? { job: job as BackupJob } : {}) };
    });
  }

  /** Open tasks on other hosts than their app's job host: those hosts' agents need the job's repositories. */
  private async elsewhere(desired: ReadonlyMap<string, HostDesiredState>): Promise<Map<string, BackupJob[]>> {
    const jobs = jobsByApp(desired);
    const out = new Map<string, BackupJob[]>();
    for (const [host, tasks] of await this.openTasks()) {
      for (const t of tasks) {
        const job = jobs.get(t.app);
        if (!job || job.host === host || this.expired(t)) continue;
        const { host: _h, ...rest } = job;
        out.set(host, [...(out.get(host) ?? []), rest]);
      }
    }
    return out;
  }

  private expired(t: BackupTask): boolean {
    return t.state === 'pending' && this.now().getTime() - Date.parse(t.createdAt) > TASK_TTL_MS;
  }

  /** A task as shown: a pending one past its hour is expired. */
  shown(t: BackupTask): BackupTask {
    return this.expired(t) ? { ...t, state: 'expired' } : t;
  }

  /** The newest finished drill and check of each app. */
  private finished(): Promise<{ drill: BackupTask[]; check: BackupTask[] }> {
    this.lastFinished ??= Promise.all([this.store.lastBackupTasks('drill'), this.store.lastBackupTasks('check')]).then(
      ([drill, check]) => ({ drill, check }),
      (err: unknown) => {
        this.lastFinished = undefined;
        throw err;
      },
    );
    return this.lastFinished;
  }

  /**
   * Retention and space ahead: per app what its policy keeps today and in 30, 90 and 365 days
   * (from its successful runs and its schedule), an estimate of its repository's size, and per
   * backup host the sum against its disk.
   */
  async plan(app?: string): Promise<{ apps: AppPlan[]; hosts: BackupHostPlan[] }> {
    const cur = await this.current();
    if (!cur) return { apps: [], hosts: [] };
    const now = this.now();
    const jobs = jobsByApp(cur.desired);
    const apps: AppPlan[] = [];
    // The schedule's future run times, once per schedule and policy (most apps share the fleet's defaults).
    const futures = new Map<string, number[]>();
    for (const a of cur.fleet.apps) {
      if (!a.backup || (app && a.id !== app)) continue;
      const runs = await this.store.backupRuns({ app: a.id, limit: PLAN_RUNS });
      const key = JSON.stringify([a.backup.schedule, a.backup.keep]);
      const future = futures.get(key) ?? futureTimes(a.backup.schedule, a.backup.keep, now, HORIZONS);
      futures.set(key, future);
      const retention = forecastRetention(runs.filter((r) => r.ok).map((r) => r.startedAt), a.backup.schedule, a.backup.keep, now, HORIZONS, future);
      apps.push({ app: a.id, customer: a.customer, schedule: a.backup.schedule, keep: a.backup.keep, backupHost: jobs.get(a.id)?.repository.backupHost ?? null, repositorySite: a.backup.to, retention, space: estimateSpace(runs, retention, now) });
    }
    const groups = new Map<string, AppPlan[]>();
    for (const p of apps) {
      const key = p.backupHost ?? `site:${p.repositorySite}`;
      groups.set(key, [...(groups.get(key) ?? []), p]);
    }
    // A backup host's capacity: the size of its repositories' disk as its agent reports it, else its disk in the fleet.
    const reported = new Map((await this.disks()).filter((d) => d.total !== undefined).map((d) => [d.host, d.total!]));
    const hosts = [...groups].map(([host, list]) => {
      const capacity = reported.get(host) ?? cur.fleet.hosts.find((h) => h.id === host)?.disk ?? null;
      const days = list[0]!.space.bytes.map((b) => b.days);
      const bytes = days.map((d) => {
        const sum = list.reduce((n, p) => n + (p.space.bytes.find((b) => b.days === d)?.bytes ?? 0), 0);
        return { days: d, bytes: sum, share: capacity ? sum / capacity : null };
      });
      return { host, capacity, apps: list.map((p) => p.app), bytes };
    });
    return { apps, hosts: hosts.sort((x, y) => (x.host < y.host ? -1 : 1)) };
  }

  /** Every app with a backup policy in the newest revision, by app id. */
  async apps(): Promise<AppBackups[]> {
    const cur = await this.current();
    if (!cur) return [];
    const jobs = jobsByApp(cur.desired);
    this.last ??= this.store.lastBackupRuns().catch((err: unknown) => {
      this.last = undefined;
      throw err;
    });
    const last = new Map((await this.last).map((l) => [l.app, l]));
    const { drill, check } = await this.finished();
    const drills = new Map(drill.map((t) => [t.app, t]));
    const checks = new Map(check.map((t) => [t.app, t]));
    const expectedSince = (await this.store.head())?.createdAt ?? new Date(0).toISOString();
    return cur.fleet.apps
      .filter((a) => a.backup)
      .map((a) => {
        const job = jobs.get(a.id);
        // No job: say why (no repository at the target site, or the app is not placed).
        const why = job ? undefined : repositoryFor(cur.fleet, a.backup!.to, a.customer, a.id, cur.addresses);
        const problem = typeof why === 'string' ? why : job ? undefined : 'the app has no replica placed';
        const runs = last.get(a.id);
        return {
          app: a.id,
          customer: a.customer,
          critical: a.criticality === 'critical',
          host: job?.host ?? null,
          schedule: a.backup!.schedule,
          repositorySite: a.backup!.to,
          repository: job?.repository.url ?? null,
          copy: job?.copy?.url ?? null,
          ...(problem ? { problem } : {}),
          lastRun: runs?.lastRun ?? null,
          lastSuccess: runs?.lastSuccess ?? null,
          failingSince: runs?.failingSince ?? null,
          expectedSince,
          lastDrill: drills.get(a.id) ?? null,
          lastCheck: checks.get(a.id) ?? null,
        };
      });
  }
}
