/**
 * Desired state per host, rendered from a fleet and its placements: one unit per app replica
 * placed on the host. Units have stable names (`<app>-r<replica>`), carry hafen's ownership
 * labels, and a content hash that changes exactly when what the agent must run changes (not
 * with every revision), so agents restart only what really changed.
 */
import type { App, Fleet } from '../fleet/model.js';
import type { Placement } from '../placement/types.js';
import { naturalCompare } from '../util/natural-sort.js';
import { contentHash } from '../util/canonical.js';
import type { BackupAccessKey, BackupJob, BackupTaskOrder } from './backups.js';
import { composeProject, type ComposeProject } from './compose.js';
import type { MoveAccessGrant, MoveCopyOrder } from './move-orders.js';
import { unitName } from './names.js';
import type { UnitRole } from '../standby/roles.js';
import { hashWithSecrets, splitEnv } from './env.js';

/** Labels (compose) and environment markers (processes) that mark what hafen owns. */
export const OWNER_LABEL = 'dev.hafen.owned';
export const APP_LABEL = 'dev.hafen.app';
export const UNIT_LABEL = 'dev.hafen.unit';
export const HASH_LABEL = 'dev.hafen.config-hash';

export interface ProcessSpec {
  command: string[];
  env: Record<string, string>;
  cwd?: string;
}

/** The env name under which a PostgreSQL unit's password secret reaches its agent. */
export const PG_PASSWORD_ENV = 'PG_HAFEN_PASSWORD';

/** A PostgreSQL app's replica (agent/drivers/postgres.ts). */
export interface PostgresSpec {
  database?: string;
  user?: string;
  /** postgresql.conf settings of the fleet, as text. */
  settings: Record<string, string>;
  /** A critical app's primary waits for a standby's flush before a commit returns (RPO 0). */
  synchronous: boolean;
  /** A standby: the writer it streams from (set with the roles; absent while no replica writes). */
  primary?: { address: string; port: number };
  /** The writer of a synchronous app: the standbys it waits for, any one of them (unit names; empty: none reachable, it commits alone). */
  sync?: string[];
}

export interface DesiredUnit {
  /** Stable across revisions: `<app>-r<replica>`. */
  name: string;
  app: string;
  customer: string;
  replica: number;
  kind: App['workloadKind'];
  /** Port the proxies send traffic to, if the app takes traffic. */
  port?: number;
  health?: { path: string; expectStatus: number; keyword?: string };
  compose?: ComposeProject;
  process?: ProcessSpec;
  kubernetes?: { manifest: string; namespace: string };
  postgres?: PostgresSpec;
  /**
   * Environment taken from secrets: env name → secret name. Only references: values are
   * never part of the desired state, a revision or a diff.
   */
  secretEnv?: Record<string, string>;
  /**
   * Hash of everything above and of the version of every secret the unit uses: equal hash,
   * nothing to do.
   */
  hash: string;
  /**
   * How many times the controller had this unit restarted (self-healing): a new generation
   * changes the hash, so the agent restarts the unit. Absent when never.
   */
  restart?: number;
  /**
   * A unit of a standby app (core/standby): its app's term and whether it writes (active) or
   * waits stopped with a copy of the active's data (standby). Absent for other apps.
   */
  standby?: UnitRole;
  /**
   * Env name → secret value. Present only in what the controller sends to the agent of the
   * host that runs the unit (and in that agent's 0600 cache); never stored by the controller.
   */
  secretValues?: Record<string, string>;
}

export interface HostDesiredState {
  host: string;
  site: string;
  /** The fleet revision this was rendered from. */
  revision: number;
  units: DesiredUnit[];
  /** Backup jobs of this host (the apps whose first replica runs here); absent when none. */
  backups?: BackupJob[];
  /** On a backup host: the agents' ssh keys to let in for their jobs (see backupAccess); absent when none. */
  backupAccess?: BackupAccessKey[];
  /** Backup tasks asked of this host's agent (run now, restore, drill, check) and not done yet; absent when none. */
  backupTasks?: BackupTaskOrder[];
  /** On a cutover's target host: the data to pull from the source host (move-orders.ts); absent when none. */
  moveCopies?: MoveCopyOrder[];
  /** On a cutover's source host: the target agents' keys to let in, read-only; absent when none. */
  moveAccess?: MoveAccessGrant[];
  /**
   * The host's firewall (core/render/nftables.ts): the nft script replacing table inet hafen,
   * its hash, and how long the agent waits to reach the controller after applying it before
   * it restores the previous ruleset. Applied only by agents started with --firewall.
   */
  firewall?: {
    script: string;
    hash: string;
    confirmMs: number;
    /** Raised by the controller to have the agent apply the ruleset again (hafen firewall reapply): a drifted or rolled-back one. */
    generation?: number;
  };
}

export { unitName };

function renderUnit(app: App, replica: number, secretVersions: ReadonlyMap<string, number>): DesiredUnit {
  const name = unitName(app.id, replica);
  const env = splitEnv(app.env, app.workload.process?.env);
  const unit: Omit<DesiredUnit, 'hash'> = { name, app: app.id, customer: app.customer, replica, kind: app.workloadKind };
  if (app.port !== undefined) unit.port = app.port;
  if (app.health) unit.health = { path: app.health.path, expectStatus: app.health.expectStatus, ...(app.health.keyword ? { keyword: app.health.keyword } : {}) };
  if (app.workload.compose) {
    unit.compose = composeProject(app, name, env.plain);
  }
  if (app.workload.process) {
    const p = app.workload.process;
    unit.process = { command: [...p.command], env: { ...env.plain, HAFEN_APP: app.id, HAFEN_UNIT: name, HAFEN_REPLICA: String(replica), ...(app.port !== undefined ? { PORT: String(app.port) } : {}) } };
    if (p.cwd !== undefined) unit.process.cwd = p.cwd;
  }
  if (app.workload.kubernetes) unit.kubernetes = { manifest: app.workload.kubernetes.manifest, namespace: app.workload.kubernetes.namespace ?? app.id };
  const pg = app.workload.postgres;
  if (pg) {
    unit.postgres = { settings: Object.fromEntries(Object.entries(pg.settings ?? {}).map(([k, v]) => [k, String(v)])), synchronous: app.criticality === 'critical' && app.redundancy.mode === 'standby' };
    if (pg.database !== undefined) unit.postgres.database = pg.database;
    if (pg.user !== undefined) unit.postgres.user = pg.user;
    env.secrets[PG_PASSWORD_ENV] = pg.password.secret;
  }
  if (Object.keys(env.secrets).length > 0) unit.secretEnv = env.secrets;
  return { ...unit, hash: hashWithSecrets(contentHash(unit), unit.secretEnv, secretVersions) };
}

/**
 * Desired state of every host (hosts without units included, so agents stop what they no
 * longer run). `secretVersions` (secret name → version) goes into the hashes of the units
 * that use each secret, so a rotation reaches them.
 */
export function desiredState(fleet: Fleet, placements: readonly Placement[], revision: number, secretVersions: ReadonlyMap<string, number> = new Map()): Map<string, HostDesiredState> {
  const apps = new Map(fleet.apps.map((a) => [a.id, a]));
  const out = new Map<string, HostDesiredState>();
  for (const h of [...fleet.hosts].sort((a, b) => naturalCompare(a.id, b.id))) out.set(h.id, { host: h.id, site: h.site, revision, units: [] });
  for (const p of placements) {
    const app = apps.get(p.app);
    const host = out.get(p.host);
    if (!app || !host) continue;
    host.units.push(renderUnit(app, p.replica, secretVersions));
  }
  for (const h of out.values()) h.units.sort((a, b) => naturalCompare(a.name, b.name));
  return out;
}

/** The hash of a host's desired state: its units, and its backup jobs, access and tasks and its firewall when it has any. */
export function hostStateHash(state: Pick<HostDesiredState, 'units' | 'backups' | 'backupAccess' | 'backupTasks' | 'firewall' | 'moveCopies' | 'moveAccess'>): string {
  const { backups, backupAccess, backupTasks, firewall, moveCopies, moveAccess } = state;
  if (!backups && !backupAccess && !backupTasks && !firewall && !moveCopies && !moveAccess) return contentHash(state.units);
  return contentHash({
    units: state.units,
    ...(backups ? { backups } : {}),
    ...(backupAccess ? { backupAccess } : {}),
    ...(backupTasks ? { backupTasks } : {}),
    ...(firewall ? { firewall: firewall.generation ? { hash: firewall.hash, generation: firewall.generation } : firewall.hash } : {}),
    ...(moveCopies ? { moveCopies } : {}),
    ...(moveAccess ? { moveAccess } : {}),
  });
}
