/**
 * Who writes a standby app's data (pure): one active replica, the others standbys that copy
 * its data and are started only when promoted. Each change of writer raises the app's term;
 * every unit of the app carries the term and its role in its desired state, so an agent that
 * comes back from a partition with an older term stops its replica before anything else
 * (DESIGN principle 12), and the proxies route to the active of the newest term only.
 *
 * The controller keeps one record per app that ever changed writer (failover, switchover);
 * an app without one has term 1 and its lowest-numbered placed replica active.
 */
import type { Fleet } from '../fleet/model.js';
import type { Placement } from '../placement/types.js';

/** The stored record of a standby app's writer. */
export interface StandbyRecord {
  app: string;
  term: number;
  /** The active replica's number; null while a switchover stops the old one and makes the final copy. */
  active: number | null;
  /** When this term began (ISO). */
  since: string;
  reason: 'failover' | 'switchover';
  /** The replica active before this term, and whether it handed over (switchover) or was cut off (failover: it is fenced when it comes back). */
  previous?: { replica: number; planned: boolean };
  /**
   * A switchover under way: the replica to promote once the old active stopped (phase
   * stopping) and the final copy from it arrived (phase copying).
   */
  switching?: { to: number; startedAt: string; phase: 'stopping' | 'copying' };
}

/** What the replicas of a PostgreSQL standby app are told besides their role (postgres.ts). */
export interface PgStream {
  /** Where the writer listens; absent while no replica writes (a switchover's middle) or its address is unknown. */
  primary?: { address: string; port: number };
  /** The standbys the writer of a synchronous app waits for, any one of them (unit names). */
  sync: string[];
}

/** A standby app's writer as the desired states and routes use it. */
export interface AppRole {
  app: string;
  term: number;
  /** undefined: no replica takes writes (a switchover between stop and promote). */
  active: number | undefined;
  previous?: StandbyRecord['previous'];
  switching?: StandbyRecord['switching'];
  /** A PostgreSQL app: whom its standbys stream from and its writer waits for (core/standby/postgres.ts). */
  postgres?: PgStream;
}

/** What a unit of a standby app is told: its app's term and whether it writes. */
export interface UnitRole {
  term: number;
  role: 'active' | 'standby';
  /** A standby that was this term's predecessor and handed over in a switchover: its data needs no keeping aside. */
  planned?: true;
  /** The app's data names (volumes, a project's data directories): what is kept aside when a cut-off writer is fenced. */
  data: string[];
}

/**
 * Every standby app's role from the stored records: the record's writer while it is still
 * placed, else the lowest-numbered placed replica (a higher term when that changes the writer).
 */
export function appRoles(fleet: Pick<Fleet, 'apps'>, placements: readonly Placement[], records: readonly StandbyRecord[]): Map<string, AppRole> {
  const byApp = new Map(records.map((r) => [r.app, r]));
  const placed = new Map<string, number[]>();
  for (const p of placements) placed.set(p.app, [...(placed.get(p.app) ?? []), p.replica]);
  const out = new Map<string, AppRole>();
  for (const app of fleet.apps) {
    if (app.redundancy.mode !== 'standby') continue;
    const replicas = placed.get(app.id);
    if (!replicas?.length) continue;
    const first = Math.min(...replicas);
    const r = byApp.get(app.id);
    if (!r) {
      out.set(app.id, { app: app.id, term: 1, active: first });
      continue;
    }
    const extra = { ...(r.previous ? { previous: r.previous } : {}), ...(r.switching ? { switching: r.switching } : {}) };
    if (r.active === null) out.set(app.id, { app: app.id, term: r.term, active: undefined, ...extra });
    else if (replicas.includes(r.active)) out.set(app.id, { app: app.id, term: r.term, active: r.active, ...extra });
    // The writer is no longer placed (fewer replicas): the first placed one writes, in a new term.
    else out.set(app.id, { app: app.id, term: r.term + 1, active: first, previous: { replica: r.active, planned: false } });
  }
  return out;
}

/** A replica's role, or undefined when its app is not a standby app. */
export function unitRole(role: AppRole | undefined, replica: number, data: readonly string[]): UnitRole | undefined {
  if (!role) return undefined;
  if (role.active === replica) return { term: role.term, role: 'active', data: [...data] };
  const planned = role.previous?.replica === replica && role.previous.planned;
  return { term: role.term, role: 'standby', ...(planned ? { planned: true as const } : {}), data: [...data] };
}

/** Whether a placement takes requests and is probed: every replica of an active-active app, the active of a standby app. */
export function writes(roles: ReadonlyMap<string, AppRole>, p: Pick<Placement, 'app' | 'replica'>): boolean {
  const role = roles.get(p.app);
  return !role || role.active === p.replica;
}

/** A standby's copy of the active's data, as its host's agent reports it. */
export interface StandbyCopy {
  replica: number;
  site: string;
  /** When its newest complete copy began (ms since the epoch): the data is at least that fresh. */
  copiedAt?: number;
}

/**
 * The standby a failover promotes: of those not at a lost site whose host still reports, the
 * one with the freshest complete copy. A standby without any copy is never promoted: it would
 * start the app on empty data. undefined when none qualifies.
 */
export function pickPromotion(candidates: readonly StandbyCopy[], lostSites: ReadonlySet<string>, hostUp: (replica: number) => boolean): StandbyCopy | undefined {
  return candidates
    .filter((c) => !lostSites.has(c.site) && c.copiedAt !== undefined && hostUp(c.replica))
    .sort((a, b) => b.copiedAt! - a.copiedAt! || a.replica - b.replica)[0];
}
