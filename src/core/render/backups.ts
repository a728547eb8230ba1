/**
 * Backup jobs, rendered from a fleet and its placements: for each app with a backup policy,
 * one job on the host of its first replica that is not at the repository's site (its data is
 * the app's data), saying when to run, what to keep, which of the app's volumes and paths,
 * and the repository at the `to` site (sftp to that site's backup host, or a path). The repository password is a secret named
 * `backup-<app>`: only its name and version are here; the controller adds the value for the
 * agent of the job's host, as it does for units.
 */
import { dataOf, type Fleet, type Host } from '../fleet/model.js';
import type { Placement } from '../placement/types.js';
import { pruneEveryMs } from '../fleet/schema/backup.js';
import type { KeepPolicy } from '../retention/policy.js';
import { naturalCompare } from '../util/natural-sort.js';
import { unitName } from './names.js';

export const DEFAULT_REPOSITORY = 'sftp:restic@{address}:/srv/restic';

export interface BackupRepositoryRef {
  site: string;
  /** The restic repository URL of this app. */
  url: string;
  /** For sftp: who restic logs in as, where (the agent's own ssh key; see backupAccess). */
  sftp?: { user: string; address: string; port: number };
  /** The backup host whose agent lets the job's agent in (installs its ssh key); absent for paths and hand-managed sftp URLs. */
  backupHost?: string;
}

export interface BackupJob {
  app: string;
  customer: string;
  /** The replica whose data is backed up. */
  unit: string;
  /** Cron, in the host's time zone. */
  schedule: string;
  keep: KeepPolicy;
  /** The app's volumes to back up (for the process driver: the unit's data directory). */
  volumes: string[];
  paths: string[];
  /** How often forget also prunes, in ms. */
  pruneEveryMs: number;
  /** restic check: when, and in how many parts the data is read in turn. */
  check: { schedule: string; parts: number };
  /** Restore drills: when, and the command run in the restored directory to verify it. */
  drill: { schedule: string; verify?: string[] };
  /** Commands around the snapshot, and stopping the app during it; absent when none. */
  hooks?: { before?: string[]; after?: string[]; service?: string; stop?: boolean };
  repository: BackupRepositoryRef;
  /** The copy at a third site (backup.copyTo): every snapshot copied there with restic copy, the same keep policy; same password. */
  copy?: BackupRepositoryRef;
  /** The secret holding the repository password, and its version (a new value changes the job). */
  passwordSecret: string;
  passwordVersion: number;
  /** Present only in what the controller sends to the agent of the job's host. */
  password?: string;
}

export const backupSecretName = (app: string) => `backup-${app}`;

export type BackupTaskKind = 'run' | 'restore' | 'drill' | 'check';

/** A backup task the controller asks of the agent of the job's host (in its desired state, until reported done). */
export interface BackupTaskOrder {
  id: string;
  app: string;
  kind: BackupTaskKind;
  /** restore: the snapshot (id or "latest"; default latest). */
  snapshot?: string;
  /** restore: "app" puts the snapshot back into the running app (stopped meanwhile); default scratch space. */
  into?: 'scratch' | 'app';
  /** restore: "copy" reads the snapshot from the copy at the copyTo site (when the repository's site is lost); default the repository. */
  from?: 'repository' | 'copy';
  /**
   * restore on a host that does not run the app's backup job (hafen backup restore --to): the
   * job, so this host's agent can reach its repositories (the password is added on delivery).
   */
  job?: BackupJob;
}

export interface RepositoryProblem {
  app: string;
  site: string;
  message: string;
}

const BACKUP_HOSTS = new WeakMap<readonly Host[], Map<string, string>>();

/** The first backup host of each site (by name), looked up once per fleet rather than once per app. */
function firstBackupHost(hosts: readonly Host[], site: string): string | undefined {
  let first = BACKUP_HOSTS.get(hosts);
  if (!first) {
    first = new Map();
    for (const h of [...hosts].filter((x) => x.role === 'backup').sort((a, b) => naturalCompare(a.id, b.id))) if (!first.has(h.site)) first.set(h.site, h.id);
    BACKUP_HOSTS.set(hosts, first);
  }
  return first.get(site);
}

/** The repository URL of `app` at `site`, or why there is none. */
export function repositoryFor(fleet: Pick<Fleet, 'sites' | 'hosts'>, site: string, customer: string, app: string, addresses: ReadonlyMap<string, string>): BackupRepositoryRef | string {
  const spec = fleet.sites.find((s) => s.id === site);
  if (!spec) return `site "${site}" does not exist`;
  const conf = spec.backupRepository ?? {};
  const base = (conf.url ?? DEFAULT_REPOSITORY).replace(/\/+$/, '');
  const port = conf.sshPort ?? 22;
  if (!base.includes('{address}')) {
    // A fixed URL: a path, or an sftp server whose keys are managed by hand (unless `host` says whose agent manages them).
    const fixed = SFTP.exec(base);
    return { site, url: `${base}/${customer}/${app}`, ...(fixed ? { sftp: { user: fixed[1]!, address: fixed[2]!, port } } : {}), ...(fixed && conf.host ? { backupHost: conf.host } : {}) };
  }
  const host = conf.host ?? firstBackupHost(fleet.hosts, site);
  if (!host) return `site "${site}" has no host with role backup for its repositories (add one, or set sites[].backupRepository)`;
  const address = addresses.get(host);
  if (!address) return `backup host "${host}" has no address yet`;
  const url = `${base.replace('{address}', address)}/${customer}/${app}`;
  const sftp = SFTP.exec(url);
  return { site, url, ...(sftp ? { sftp: { user: sftp[1]!, address, port } } : {}), backupHost: host };
}

/** "sftp:USER@HOST:/PATH" (restic's form; HOST may be "{address}"). */
const SFTP = /^sftp:([^@/]+)@([^:/]+):/;

/** One agent's ssh key, allowed on a backup host for the jobs that back up there. */
export interface BackupAccessKey {
  /** The host whose agent holds the key. */
  host: string;
  /** Its public key ("ssh-ed25519 AAAA… comment"). */
  key: string;
  /** The apps it backs up there (for the record; sftp access is per key). */
  apps: string[];
}

/**
 * Who may reach each backup host: for every job whose repository is kept by a backup host,
 * the public ssh key of the agent that runs it (as reported). Hosts without a reported key
 * are left out until their agent reports one; the result is sorted, so its hash changes only
 * when access really changes.
 */
export function backupAccess(jobsByHost: ReadonlyMap<string, readonly BackupJob[]>, keys: ReadonlyMap<string, string>): Map<string, BackupAccessKey[]> {
  const byBackupHost = new Map<string, Map<string, BackupAccessKey>>();
  for (const [host, jobs] of jobsByHost) {
    const key = keys.get(host);
    if (!key) continue;
    for (const job of jobs) {
      for (const repo of [job.repository, job.copy]) {
        const target = repo?.backupHost;
        if (!target || !repo.sftp) continue;
        const entries = byBackupHost.get(target) ?? new Map<string, BackupAccessKey>();
        const entry = entries.get(host) ?? { host, key, apps: [] };
        if (!entry.apps.includes(job.app)) entry.apps.push(job.app);
        entries.set(host, entry);
        byBackupHost.set(target, entries);
      }
    }
  }
  return new Map(
    [...byBackupHost].map(([target, entries]) => [
      target,
      [...entries.values()].map((e) => ({ ...e, apps: [...e.apps].sort(naturalCompare) })).sort((a, b) => naturalCompare(a.host, b.host)),
    ]),
  );
}

/**
 * The authorized_keys file of a backup host's restic user: each key restricted to restic's
 * sftp (`restrict`: no shell, no forwarding; `command="internal-sftp"`: sftp only).
 */
export function authorizedKeys(keys: readonly BackupAccessKey[]): string {
  const lines = keys.map((k) => `restrict,command="internal-sftp" ${k.key.trim().split(/\s+/).slice(0, 2).join(' ')} hafen-agent@${k.host} (${k.apps.join(', ')})`);
  return ['# Managed by the hafen agent of this backup host: edits are overwritten.', ...lines, ''].join('\n');
}

/** Backup jobs per host, and the apps whose repository cannot be resolved. */
export function backupJobs(
  fleet: Pick<Fleet, 'apps' | 'sites' | 'hosts'>,
  placements: readonly Placement[],
  addresses: ReadonlyMap<string, string>,
  secretVersions: ReadonlyMap<string, number>,
): { jobs: Map<string, BackupJob[]>; problems: RepositoryProblem[] } {
  const jobs = new Map<string, BackupJob[]>();
  const problems: RepositoryProblem[] = [];
  const byApp = new Map<string, Placement[]>();
  for (const p of placements) {
    const list = byApp.get(p.app);
    if (list) list.push(p);
    else byApp.set(p.app, [p]);
  }
  for (const app of fleet.apps) {
    if (!app.backup) continue;
    // The first replica not at the repository's site: a backup next to its data is no backup. A
    // standby app's data is its active replica's (the lowest-numbered): the standbys take no writes.
    const replicas = [...(byApp.get(app.id) ?? [])].sort((a, b) => a.replica - b.replica);
    const first = app.redundancy.mode === 'standby' ? replicas[0] : (replicas.find((p) => p.site !== app.backup!.to) ?? replicas[0]);
    if (!first) continue;
    const repository = repositoryFor(fleet, app.backup.to, app.customer, app.id, addresses);
    if (typeof repository === 'string') {
      problems.push({ app: app.id, site: app.backup.to, message: repository });
      continue;
    }
    // The copy at a third site: a job whose copy cannot be placed still backs up (the problem is reported).
    const copy = app.backup.copyTo ? repositoryFor(fleet, app.backup.copyTo, app.customer, app.id, addresses) : undefined;
    if (typeof copy === 'string') problems.push({ app: app.id, site: app.backup.copyTo!, message: `its copy: ${copy}` });
    const secret = backupSecretName(app.id);
    const job: BackupJob = {
      app: app.id,
      customer: app.customer,
      unit: unitName(app.id, first.replica),
      schedule: app.backup.schedule,
      keep: { ...app.backup.keep },
      volumes: app.backup.volumes ?? dataOf(app),
      paths: app.backup.paths ?? [],
      pruneEveryMs: pruneEveryMs(app.backup.pruneEvery),
      check: { ...app.backup.check },
      drill: { schedule: app.backup.drill.schedule, ...(app.backup.drill.verify ? { verify: [...app.backup.drill.verify] } : {}) },
      ...(app.backup.hooks ? { hooks: structuredClone(app.backup.hooks) } : {}),
      repository,
      ...(copy && typeof copy !== 'string' ? { copy } : {}),
      passwordSecret: secret,
      passwordVersion: secretVersions.get(secret) ?? 0,
    };
    jobs.set(first.host, [...(jobs.get(first.host) ?? []), job]);
  }
  for (const list of jobs.values()) list.sort((a, b) => naturalCompare(a.app, b.app));
  return { jobs, problems };
}
