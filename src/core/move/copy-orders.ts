/**
 * What running cutovers ask of each host's agent (pure): the target host pulls the data of
 * each moving unit (and makes a copy when the run's phase asks for one), the source host lets
 * the target's per-move keys in. Orders last from the first pre-copy to the final copy; after
 * it the keys go, and the source host's authorized_keys with them.
 */
import { dataOf, type Fleet } from '../fleet/model.js';
import type { MoveAccessGrant, MoveAgentReport, MoveCopyOrder, MoveProject } from '../render/move-orders.js';
import { unitName } from '../render/names.js';
import { copyOrder, type CopyReport } from './cutover.js';
import type { MoveRecord, RunPhase } from './record.js';

export interface OrderContext {
  /** Where a host is reached (its agent's address, else its IPAM address). */
  addressOf(host: string): string | undefined;
  /** The names of an app's data: its volumes, a project directory's own volumes and data directories ("./postgres"). */
  volumesOf(app: string): string[];
  /** A compose project directory's name and working directory, for an app that runs one. */
  projectOf(app: string): MoveProject | undefined;
  ssh: { user: string; port: number };
  /** What a host's agent last reported of its moves. */
  reportOf(host: string): MoveAgentReport | undefined;
}

/**
 * The context of a fleet's copy orders (a cutover's, a standby's): an app's data and project
 * directory from the fleet, the ssh user and port of `policies.migrations.cutover`.
 */
export function fleetOrderContext(fleet: Pick<Fleet, 'apps' | 'policies'>, addressOf: OrderContext['addressOf'], reportOf: OrderContext['reportOf']): OrderContext {
  const apps = new Map(fleet.apps.map((a) => [a.id, a]));
  const c = fleet.policies.migrations.cutover;
  return {
    addressOf,
    volumesOf: (app) => {
      const a = apps.get(app);
      return a ? dataOf(a) : [];
    },
    projectOf: (app) => {
      const p = apps.get(app)?.project;
      return p ? { name: p.name, ...(p.workingDir ? { workingDir: p.workingDir } : {}) } : undefined;
    },
    ssh: { user: c?.user ?? 'root', port: c?.port ?? 22 },
    reportOf,
  };
}

const COPYING = new Set<RunPhase>(['copying', 'ready', 'stopping', 'syncing']);

const copying = (r: MoveRecord) => r.state === 'running' && r.move.strategy === 'cutover' && r.run !== undefined && COPYING.has(r.run.phase);

/** The move orders of one host. */
export function moveOrders(records: readonly MoveRecord[], host: string, ctx: OrderContext): { copies: MoveCopyOrder[]; access: MoveAccessGrant[] } {
  const copies: MoveCopyOrder[] = [];
  const access: MoveAccessGrant[] = [];
  for (const r of records) {
    if (!copying(r)) continue;
    const copy = copyOrder(r);
    for (const t of r.move.targets) {
      const unit = unitName(r.move.app, t.replica);
      if (t.to === host) {
        const address = ctx.addressOf(t.from);
        const bind = ctx.addressOf(host);
        const project = ctx.projectOf(r.move.app);
        if (address) copies.push({ migration: r.id, unit, volumes: ctx.volumesOf(r.move.app), ...(project ? { project } : {}), source: { host: t.from, address, port: ctx.ssh.port, user: ctx.ssh.user }, ...(bind ? { bindAddress: bind } : {}), ...(copy ? { copy } : {}) });
      }
      if (t.from === host) {
        const from = ctx.addressOf(t.to);
        for (const k of ctx.reportOf(t.to)?.keys ?? []) {
          if (k.migration === r.id && k.unit === unit) access.push({ migration: r.id, unit, volume: k.volume, key: k.key, ...(from ? { from } : {}) });
        }
      }
    }
  }
  return { copies, access };
}

/** The copy a cutover asked for, over all its units as their target hosts report them. */
export function copyView(r: MoveRecord, reportOf: (host: string) => MoveAgentReport | undefined): CopyReport | undefined {
  const order = copyOrder(r);
  if (!order) return undefined;
  const seen = r.move.targets.map((t) => reportOf(t.to)?.copies.find((c) => c.id === order.id && c.unit === unitName(r.move.app, t.replica)));
  const failed = seen.find((c) => c?.state === 'failed');
  if (failed) return { id: order.id, state: 'failed', ...(failed.error ? { error: `${failed.unit}: ${failed.error}` } : {}) };
  if (seen.some((c) => c?.state !== 'done')) return { id: order.id, state: 'running' };
  const done = seen as NonNullable<(typeof seen)[number]>[];
  return {
    id: order.id,
    state: 'done',
    bytes: done.reduce((n, c) => n + (c.bytes ?? 0), 0),
    seconds: Math.max(...done.map((c) => c.seconds ?? 0)),
    ...(order.final ? { identical: done.every((c) => c.identical === true), differences: done.flatMap((c) => (c.differences ?? []).map((d) => `${c.unit}: ${d}`)) } : {}),
  };
}
