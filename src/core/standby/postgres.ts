/**
 * PostgreSQL standby apps (pure): their replicas replicate by PostgreSQL's own streaming
 * replication instead of file copies. Each standby streams from the writer of the newest term
 * at the address its host is reachable at; the writer of a critical app commits only once one
 * of its standbys has the commit on disk (synchronous_standby_names ANY 1), so a failover loses
 * no acknowledged write. A standby whose host is silent or whose site is lost is left out of
 * that set — else every commit would wait for it — and the writer commits alone until it is
 * back: then, as with Patroni's synchronous mode (not its strict one), a failover can lose
 * what was written meanwhile.
 */
import type { App } from '../fleet/model.js';
import type { Placement } from '../placement/types.js';
import type { DesiredUnit } from '../render/desired.js';
import { unitName } from '../render/names.js';
import { groupBy } from '../util/group.js';
import type { AppRole } from './roles.js';

/**
 * How recently a standby must have been seen streaming from its writer (its agent's report) to
 * be waited for: one that stopped leaves the set this long after, and the writer's commits wait
 * at most about that long (plus a report's way) for it.
 */
export const SYNC_FRESH_MS = 15_000;

/**
 * Each PostgreSQL standby app's roles with its stream: the writer's address, and whom it waits
 * for — the standbys that stream from this term's writer now (`streaming`), never one still being
 * made (a base backup can take hours; the writer's commits would wait that long).
 */
export function withPgStreams(apps: readonly App[], placements: readonly Placement[], roles: ReadonlyMap<string, AppRole>, addressOf: (host: string) => string | undefined, streaming: (p: Placement, term: number) => boolean): Map<string, AppRole> {
  const out = new Map(roles);
  if (roles.size === 0) return out;
  const byApp = groupBy(placements, (p) => p.app);
  for (const app of apps) {
    const role = roles.get(app.id);
    if (!role || !app.workload.postgres || app.port === undefined) continue;
    const placed = byApp.get(app.id) ?? [];
    const writer = placed.find((p) => p.replica === role.active);
    const address = writer ? addressOf(writer.host) : undefined;
    const synchronous = app.criticality === 'critical';
    const sync = synchronous && writer ? placed.filter((p) => p !== writer && streaming(p, role.term)).map((p) => unitName(app.id, p.replica)).sort() : [];
    out.set(app.id, { ...role, postgres: { ...(address ? { primary: { address, port: app.port } } : {}), sync } });
  }
  return out;
}

/** A PostgreSQL unit with its role's stream: a standby learns its writer, a synchronous writer its standbys. */
export function withPgStream(unit: DesiredUnit, role: AppRole | undefined): DesiredUnit {
  if (!unit.postgres || !unit.standby || !role?.postgres) return unit;
  const { primary: _p, sync: _s, ...base } = unit.postgres;
  const pg = unit.standby.role === 'active' ? { ...base, ...(base.synchronous ? { sync: role.postgres.sync } : {}) } : { ...base, ...(role.postgres.primary ? { primary: role.postgres.primary } : {}) };
  return { ...unit, postgres: pg };
}
