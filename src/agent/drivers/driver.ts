/**
 * A runtime driver makes a host's units run as desired. One interface, several
 * implementations (process now, compose next), one contract suite (test/contract/driver.ts).
 *
 * Rules every driver keeps:
 * - apply() is idempotent: the same units twice change nothing; a unit whose hash is unchanged
 *   is left running; a changed hash replaces it; units no longer listed are stopped.
 * - A driver never touches what hafen does not own (processes it did not start, containers
 *   of compose projects it did not write: hafen's labels, or a project adopted in its own
 *   working directory by the driver's record of it).
 * - A unit that keeps failing is restarted with growing backoff, never in a tight loop, and
 *   reported as failed with its last error.
 * - A unit whose role is standby (`unit.standby.role`) is made ready (its data directory, its
 *   containers created) but not started, and reported as `standby`; its hash differs from the
 *   active's, so a promotion starts it and a demotion stops it.
 */
import type { MoveProject } from '../../core/render/move-orders.js';
import type { DesiredUnit } from '../../core/render/desired.js';
import type { MoveAgentReport } from '../../core/report/host-report.js';

/** standby: a standby app's unit that is not its writer, kept stopped with its data (core/standby). */
export type UnitState = 'starting' | 'running' | 'backoff' | 'failed' | 'stopped' | 'standby';

export interface UnitStatus {
  name: string;
  app: string;
  state: UnitState;
  hash: string;
  restarts: number;
  lastError?: string;
  /** ISO time the current instance started. */
  since?: string;
  /** PostgreSQL units: a stopped writer's last checkpoint, a standby's WAL received (LSN). */
  wal?: string;
}

export interface Driver {
  readonly kind: string;
  apply(units: readonly DesiredUnit[]): Promise<void>;
  status(): Promise<UnitStatus[]>;
  /** Stops supervising but leaves units running (the agent exits; its successor adopts them). */
  detach(): Promise<void>;
  /** Stops every unit this driver owns. */
  stopAll(): Promise<void>;
  /**
   * Where a unit's data lies on this host, for backups: the given volumes' directories
   * (compose), or the unit's data directory (process). Only directories that exist.
   */
  dataPaths(unit: Pick<DesiredUnit, 'name'>, volumes: readonly string[]): Promise<string[]>;
  /**
   * Where a unit's data lies on this host for a move between hosts, one directory per volume:
   * the named volumes (compose; made when `create`, so a unit started later finds its data),
   * or the unit's one data directory (process: named "data" whatever the app's volumes).
   * Without `create`, only what exists.
   */
  moveVolumes(unit: Pick<DesiredUnit, 'name'>, volumes: readonly string[], create: boolean, project?: MoveProject): Promise<{ name: string; path: string }[]>;
  /**
   * Runs a command for a unit (backup hooks): in a service's container (compose; default the
   * first service) or on the host in the unit's data directory (process). Never throws for a
   * non-zero exit: the caller decides.
   */
  exec(unit: Pick<DesiredUnit, 'name'>, argv: readonly string[], opts: { service?: string; timeoutMs: number }): Promise<{ code: number | null; output: string }>;
  /**
   * Stops a running unit until the returned function starts it again (a backup's consistent
   * copy). While held, apply() does not restart it; an agent that dies while holding leaves
   * the unit to be started by its successor's first apply. A unit that is not running gives
   * a resume that does nothing.
   */
  hold(unit: Pick<DesiredUnit, 'name'>): Promise<() => Promise<void>>;
  /**
   * Drivers that replicate themselves (postgres): the standby units whose data may now be
   * replaced from their writer — the agent says so once fencing kept a cut-off writer's data aside.
   */
  allowRebuild?(units: ReadonlySet<string>): void;
  /** Drivers that replicate themselves (postgres): each standby's stream of its writer, reported like a standby's file copies. */
  copies?(): MoveAgentReport['copies'];
}

/** What a hook printed, its last lines only (for messages and reports). */
export const tail = (text: string, lines = 5) => text.trim().split('\n').slice(-lines).join('\n');

/** The status of a unit this driver cannot run (e.g. a kubernetes unit on a compose host): failed, saying why. */
export function unsupportedStatus(u: DesiredUnit, driverKind: string): UnitStatus {
  return { name: u.name, app: u.app, state: 'failed', hash: u.hash, restarts: 0, lastError: `the ${driverKind} driver cannot run ${u.kind} units; this host needs the ${u.kind} runtime` };
}
