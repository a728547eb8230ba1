/**
 * What keeping standbys close asks of the agents (pure), on the machinery of a cutover's copies
 * (core/render/move-orders.ts, agent/move): each standby's host pulls the app's data from the
 * active's host with rsync over ssh, again and again at the app's interval, with a key per
 * volume it made for the app; the active's host lets those keys in, read-only to the active
 * unit's data (rrsync), from the standby's address only. The copies go into the standby's own
 * data, which it starts on when promoted. During a switchover the new active makes one final
 * copy from the stopped old one instead. PostgreSQL apps stream instead (postgres.ts).
 */
import type { App } from '../fleet/model.js';
import type { Placement } from '../placement/types.js';
import type { OrderContext } from '../move/copy-orders.js';
import type { MoveAccessGrant, MoveCopyOrder } from '../render/move-orders.js';
import { unitName } from '../render/names.js';
import { groupBy } from '../util/group.js';
import type { AppRole } from './roles.js';

/** The "migration" of a standby app's copies: their keys and their directory on the standby's host. */
export const replicationId = (app: string) => `sb-${app}`;

/** The copy a standby makes: the standing one of this term, or a switchover's final one. */
export const copyId = (app: string, term: number, final = false) => `sb-${app}-t${term}${final ? '-final' : ''}`;

/** One copy stream: from the writer's unit to a standby. */
interface Stream {
  app: App;
  from: Placement;
  to: Placement;
  copy: { id: string; final: boolean; every?: number };
}

function streams(apps: readonly App[], placements: readonly Placement[], roles: ReadonlyMap<string, AppRole>): Stream[] {
  const out: Stream[] = [];
  if (roles.size === 0) return out;
  const byApp = groupBy(placements, (p) => p.app);
  for (const app of apps) {
    const role = roles.get(app.id);
    // PostgreSQL apps replicate by PostgreSQL's own streaming (core/standby/postgres.ts).
    if (!role || app.workload.postgres) continue;
    const placed = byApp.get(app.id) ?? [];
    if (role.active !== undefined) {
      const from = placed.find((p) => p.replica === role.active);
      if (!from) continue;
      const every = Math.max(1, Math.round(app.redundancy.replicateEveryMs / 1000));
      for (const to of placed) if (to !== from && to.host !== from.host) out.push({ app, from, to, copy: { id: copyId(app.id, role.term), final: false, every } });
    } else if (role.switching?.phase === 'copying' && role.previous) {
      const from = placed.find((p) => p.replica === role.previous!.replica);
      const to = placed.find((p) => p.replica === role.switching!.to);
      if (from && to && from.host !== to.host) out.push({ app, from, to, copy: { id: copyId(app.id, role.term, true), final: true } });
    }
  }
  return out;
}

/** The replication orders of one host: copies it makes as a standby's host, keys it lets in as the writer's. */
export function replicationOrders(apps: readonly App[], placements: readonly Placement[], roles: ReadonlyMap<string, AppRole>, host: string, ctx: OrderContext): { copies: MoveCopyOrder[]; access: MoveAccessGrant[] } {
  const copies: MoveCopyOrder[] = [];
  const access: MoveAccessGrant[] = [];
  for (const s of streams(apps, placements, roles)) {
    const migration = replicationId(s.app.id);
    const target = unitName(s.app.id, s.to.replica);
    if (s.to.host === host) {
      const address = ctx.addressOf(s.from.host);
      const bind = ctx.addressOf(host);
      const project = ctx.projectOf(s.app.id);
      if (address) copies.push({ migration, unit: target, volumes: ctx.volumesOf(s.app.id), ...(project ? { project } : {}), source: { host: s.from.host, address, port: ctx.ssh.port, user: ctx.ssh.user }, ...(bind ? { bindAddress: bind } : {}), copy: s.copy });
    }
    if (s.from.host === host) {
      const from = ctx.addressOf(s.to.host);
      // The key is the standby's; what it may read is the writer's data.
      for (const k of ctx.reportOf(s.to.host)?.keys ?? []) {
        if (k.migration === migration && k.unit === target) access.push({ migration, unit: unitName(s.app.id, s.from.replica), volume: k.volume, key: k.key, ...(from ? { from } : {}) });
      }
    }
  }
  return { copies, access };
}
