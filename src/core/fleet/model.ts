/**
 * The checked fleet with every default resolved: what planners, renderers and the API work
 * on. Built by `validateFleet` only when the fleet has no errors.
 */
import { publishedPorts } from '../compose/ports.js';
import type { AppProject } from '../compose/project.js';
import type { SpreadLevel } from './schema/common.js';
import type {
  AlertingSpec,
  AppSpec,
  CustomerSpec,
  DefaultsSpec,
  FacilitySpec,
  HostSpec,
  PoliciesSpec,
  ProviderSpec,
  RiskGroupSpec,
  SegmentSpec,
  SiteSpec,
  SiteTemplateSpec,
} from './schema/fleet.js';
import type { HostRole } from './schema/host.js';
import type { MoveMode } from './schema/defaults.js';
import { parseDuration } from './schema/monitoring.js';
import type { SegmentRole } from './schema/template.js';
import { parseBytes } from './units.js';

export type WorkloadKind = 'compose' | 'kubernetes' | 'process' | 'postgres';

export interface Host extends Omit<HostSpec, 'segment'> {
  /** The template segment the host sits in (resolved from its role when not given). */
  segment: string;
}

export interface ResolvedBackup {
  schedule: string;
  keep: NonNullable<NonNullable<AppSpec['backup']>['keep']>;
  /** Site of the restic repository. */
  to: string;
  copyTo?: string;
  volumes?: string[];
  paths?: string[];
  /** How often forget also prunes ("7d"). */
  pruneEvery: string;
  /** restic check: when, and in how many parts the data is read in turn. */
  check: { schedule: string; parts: number };
  /** Restore drills: when, and the command that verifies a restore. */
  drill: { schedule: string; verify?: string[] };
  /** Commands around the snapshot, and stopping the app during it. */
  hooks?: { before?: string[]; after?: string[]; service?: string; stop?: boolean };
}

export interface VolumeModel {
  name: string;
  size: number;
  /** Bytes changed per day (0 when not given). */
  changePerDay: number;
  path?: string;
}

/** Probing of an app's checks after defaults. */
export interface ResolvedMonitoring {
  intervalMs: number;
  timeoutMs: number;
  fall: number;
  rise: number;
}

export interface App extends Omit<AppSpec, 'redundancy' | 'migration' | 'backup' | 'volumes' | 'monitoring'> {
  monitoring: ResolvedMonitoring;
  redundancy: {
    replicas: number;
    spreadOver: SpreadLevel;
    mode: 'active-active' | 'standby';
    sharedState?: string;
    /** standby: how often a standby copies the active's data, and the age of a copy past which it alerts (ms). */
    replicateEveryMs: number;
    rpoMs: number;
  };
  migration: MoveMode;
  /** The backup policy after defaults; undefined when backups are off or have no target. */
  backup?: ResolvedBackup;
  volumes: VolumeModel[];
  workloadKind: WorkloadKind;
  /** Containers of one replica (compose services; 1 for a process or a manifest). */
  containersPerReplica: number;
  /** A compose project directory's files and what they declare (`workload.compose.project` or `file`). */
  project?: AppProject;
  /**
   * What a replica takes on its host that no other app may: host ports ("8080/tcp": what its
   * compose services publish, or a process's port) and container names ("container_name
   * grafana"). Two apps that share one never run on one host.
   */
  hostClaims: string[];
}

export interface Fleet {
  version: 1;
  policies: PoliciesSpec;
  siteTemplate: SiteTemplateSpec;
  providers: ProviderSpec[];
  facilities: FacilitySpec[];
  sites: SiteSpec[];
  riskGroups: RiskGroupSpec[];
  hosts: Host[];
  customers: CustomerSpec[];
  alerting: AlertingSpec;
  apps: App[];
}

/** Segment role a host of each role sits in by default, in order of preference. */
const ROLE_SEGMENTS: Record<HostRole, SegmentRole[]> = {
  app: ['apps'],
  proxy: ['proxy', 'edge'],
  data: ['data', 'apps'],
  backup: ['backup', 'data'],
  management: ['management'],
  edge: ['edge', 'proxy'],
};

/** The segment a host sits in: its own, or the first template segment for its role. */
export function hostSegment(host: Pick<HostSpec, 'segment' | 'role'>, segments: readonly SegmentSpec[]): string | undefined {
  if (host.segment !== undefined) return host.segment;
  for (const role of ROLE_SEGMENTS[host.role]) {
    const seg = segments.find((s) => s.role === role);
    if (seg) return seg.name;
  }
  return undefined;
}

export function workloadKind(app: Pick<AppSpec, 'workload'>): WorkloadKind {
  if (app.workload.compose) return 'compose';
  if (app.workload.kubernetes) return 'kubernetes';
  if (app.workload.postgres) return 'postgres';
  return 'process';
}

/** Default schedule when a backup target is set but no schedule: nightly. */
export const DEFAULT_BACKUP_SCHEDULE = '15 2 * * *';
/** restic check by default: Sundays at 05:00, reading a quarter of the data each time. */
export const DEFAULT_CHECK = { schedule: '0 5 * * 0', parts: 4 } as const;
/** Restore drills by default: the 1st of each month at 04:00. */
export const DEFAULT_DRILL_SCHEDULE = '0 4 1 * *';
/** Default retention: two weeks of dailies, two months of weeklies, a year of monthlies. */
export const DEFAULT_RETENTION = { daily: 14, weekly: 8, monthly: 12 } as const;

/** App fields win over customer defaults, which win over fleet defaults (field by field). */
export function resolveBackup(
  app: Pick<AppSpec, 'backup'>,
  customer: Pick<CustomerSpec, 'defaults'> | undefined,
  fleetDefaults: DefaultsSpec | undefined,
): ResolvedBackup | undefined {
  const merged = { ...fleetDefaults?.backup, ...customer?.defaults?.backup, ...app.backup };
  if (merged.enabled === false || merged.to === undefined) return undefined;
  const out: ResolvedBackup = {
    schedule: merged.schedule ?? DEFAULT_BACKUP_SCHEDULE,
    keep: merged.keep ?? { ...DEFAULT_RETENTION },
    to: merged.to,
    pruneEvery: merged.pruneEvery ?? '7d',
    check: { schedule: merged.check?.schedule ?? DEFAULT_CHECK.schedule, parts: merged.check?.parts ?? DEFAULT_CHECK.parts },
    drill: { schedule: merged.drill?.schedule ?? DEFAULT_DRILL_SCHEDULE, ...(merged.drill?.verify ? { verify: merged.drill.verify } : {}) },
  };
  if (merged.copyTo !== undefined) out.copyTo = merged.copyTo;
  if (merged.volumes !== undefined) out.volumes = merged.volumes;
  if (merged.paths !== undefined) out.paths = merged.paths;
  if (merged.hooks !== undefined) out.hooks = merged.hooks;
  return out;
}

/** Bytes per day of a "2GiB" or "3%" change rate. */
export function changeBytes(size: number, changePerDay: string | undefined): number {
  if (changePerDay === undefined) return 0;
  const pct = /^\s*([0-9.]+)\s*%\s*$/.exec(changePerDay);
  if (pct) return Math.round((size * Number(pct[1])) / 100);
  return parseBytes(changePerDay) ?? 0;
}

/** Default probing: every 10 s from every site, 5 s to answer, down after 2 failures, up after 2 successes. */
export const DEFAULT_MONITORING: ResolvedMonitoring = { intervalMs: 10_000, timeoutMs: 5_000, fall: 2, rise: 2 };

/** App fields win over customer defaults, which win over fleet defaults (field by field); the timeout never exceeds the interval. */
export function resolveMonitoring(
  app: Pick<AppSpec, 'monitoring'>,
  customer: Pick<CustomerSpec, 'defaults'> | undefined,
  fleetDefaults: DefaultsSpec | undefined,
): ResolvedMonitoring {
  const m = { ...fleetDefaults?.monitoring, ...customer?.defaults?.monitoring, ...app.monitoring };
  const intervalMs = m.interval !== undefined ? (parseDuration(m.interval) ?? DEFAULT_MONITORING.intervalMs) : DEFAULT_MONITORING.intervalMs;
  const timeoutMs = m.timeout !== undefined ? (parseDuration(m.timeout) ?? DEFAULT_MONITORING.timeoutMs) : DEFAULT_MONITORING.timeoutMs;
  return { intervalMs, timeoutMs: Math.min(timeoutMs, intervalMs), fall: m.fall ?? DEFAULT_MONITORING.fall, rise: m.rise ?? DEFAULT_MONITORING.rise };
}

/** A compose app's host ports and container names (its project's, or its inline services'). */
function composeClaims(app: AppSpec, project: AppProject | undefined): string[] {
  if (project) return [...project.ports, ...project.containerNames.map((n) => `container_name ${n}`), ...(project.workingDir ? [`directory ${project.workingDir}`] : [])];
  const services = app.workload.compose?.services ?? {};
  const names = Object.values(services).flatMap((s) => (typeof (s as { container_name?: unknown }).container_name === 'string' ? [`container_name ${(s as { container_name: string }).container_name}`] : []));
  return [...publishedPorts(services).ports, ...names];
}

/** Whether an app keeps data of its own: volumes, or a compose project's named volumes and data directories. */
export function keepsData(app: Pick<AppSpec, 'volumes' | 'workload'>, project: AppProject | undefined): boolean {
  return app.volumes.length > 0 || app.workload.postgres !== undefined || (project !== undefined && (project.volumes.length > 0 || project.dataDirs.length > 0));
}

/**
 * The migration mode an app takes from its customer's or the fleet's defaults. A live move runs
 * the old and the new replica side by side: for an app that keeps data of its own (and no
 * shared state), two writers — such an app moves in a window instead (validation says so),
 * unless it is a standby app, whose live moves are switchovers (core/move/switchover.ts).
 */
function inheritedMigration(app: AppSpec, customer: CustomerSpec | undefined, fleetDefaults: DefaultsSpec | undefined, project: AppProject | undefined): App['migration'] {
  const inherited = customer?.defaults?.migration ?? fleetDefaults?.migration ?? 'window';
  return inherited === 'live' && keepsData(app, project) && app.redundancy.sharedState === undefined && app.redundancy.mode !== 'standby' ? 'window' : inherited;
}

/** A standby's copy interval (default 60 s) and the copy age that alerts (default three intervals). */
export const DEFAULT_REPLICATE_EVERY_MS = 60_000;
function replication(r: AppSpec['redundancy']): { replicateEveryMs: number; rpoMs: number } {
  const every = (r.replicateEvery !== undefined ? parseDuration(r.replicateEvery) : undefined) ?? DEFAULT_REPLICATE_EVERY_MS;
  return { replicateEveryMs: every, rpoMs: (r.rpo !== undefined ? parseDuration(r.rpo) : undefined) ?? 3 * every };
}

/** Resolves the defaults of one app. */
export function resolveApp(app: AppSpec, customer: CustomerSpec | undefined, fleetDefaults: DefaultsSpec | undefined, project?: AppProject): App {
  const kind = workloadKind(app);
  const { backup: _backup, volumes, redundancy, migration, monitoring: _monitoring, ...rest } = app;
  const resolved: App = {
    ...rest,
    redundancy: {
      replicas: redundancy.replicas,
      spreadOver: redundancy.spreadOver ?? (app.criticality === 'critical' ? 'site' : 'host'),
      mode: redundancy.mode,
      ...(redundancy.sharedState !== undefined ? { sharedState: redundancy.sharedState } : {}),
      ...replication(redundancy),
    },
    migration: migration ?? inheritedMigration(app, customer, fleetDefaults, project),
    monitoring: resolveMonitoring(app, customer, fleetDefaults),
    volumes: volumes.map((v) => {
      const out: VolumeModel = { name: v.name, size: v.size, changePerDay: changeBytes(v.size, v.changePerDay) };
      if (v.path !== undefined) out.path = v.path;
      return out;
    }),
    workloadKind: kind,
    containersPerReplica: kind === 'compose' ? Math.max(1, project?.services.length ?? Object.keys(app.workload.compose?.services ?? {}).length) : 1,
    hostClaims: kind === 'compose' ? composeClaims(app, project) : (kind === 'process' || kind === 'postgres') && app.port !== undefined ? [`${app.port}/tcp`] : [],
  };
  if (project) resolved.project = project;
  const backup = resolveBackup(app, customer, fleetDefaults);
  if (backup) resolved.backup = backup;
  return resolved;
}

/**
 * What an app's data is (what its backups hold by default, what a move copies): its volumes;
 * for a compose project directory also the named volumes its files declare and its data
 * directories ("./postgres": relative to the project, as the compose driver finds them).
 */
export function dataOf(app: App): string[] {
  if (!app.project) return app.volumes.map((v) => v.name);
  return [...new Set([...app.volumes.map((v) => v.name), ...app.project.volumes, ...app.project.dataDirs.map((d) => `./${d}`)])];
}

/** The ids of the witness sites (probers only: no segments, apps, proxies or backups); entries that failed their schema are skipped. */
export function witnessSites(sites: readonly (Pick<SiteSpec, 'id' | 'witness'> | undefined)[]): Set<string> {
  return new Set(sites.flatMap((s) => (s?.witness ? [s.id] : [])));
}

/** Totals for summaries. */
export function fleetTotals(fleet: Fleet): {
  /** Sites that run apps; witness sites are counted apart. */
  sites: number;
  witnesses: number;
  hosts: number;
  customers: number;
  apps: number;
  containers: number;
  cpu: number;
  memory: number;
  disk: number;
  critical: number;
} {
  return {
    sites: fleet.sites.filter((s) => !s.witness).length,
    witnesses: fleet.sites.filter((s) => s.witness).length,
    hosts: fleet.hosts.length,
    customers: fleet.customers.length,
    apps: fleet.apps.length,
    containers: fleet.apps.reduce((n, a) => n + a.containersPerReplica * a.redundancy.replicas, 0),
    cpu: fleet.hosts.reduce((n, h) => n + h.cpu, 0),
    memory: fleet.hosts.reduce((n, h) => n + h.memory, 0),
    disk: fleet.hosts.reduce((n, h) => n + h.disk, 0),
    critical: fleet.apps.filter((a) => a.criticality === 'critical').length,
  };
}
