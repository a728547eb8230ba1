/**
 * What running moves change in what the controller hands out (pure): the target host runs the
 * source's unit too, and the proxies weigh the two replicas as the move's phase says. The
 * target replica's route id is "<unit>@<host>" while both run (the same unit name runs on two
 * hosts); once the move's revision places it, it is the unit name again.
 */
import type { DesiredUnit, HostDesiredState } from '../render/desired.js';
import { unitName } from '../render/names.js';
import type { Replica, RouteTable } from '../render/routes.js';
import type { MoveOverlay } from './run.js';

/**
 * `state` with what moves change on its host: the units they add to a target host (taken from
 * their source hosts' states), and the units a cutover stops on its source host (its data stays).
 */
export function overlayUnits(state: HostDesiredState, overlays: readonly MoveOverlay[], unitsOf: (host: string) => readonly DesiredUnit[] | undefined): HostDesiredState {
  const add: DesiredUnit[] = [];
  const drop = new Set<string>();
  for (const o of overlays) {
    for (const u of o.units) {
      const name = unitName(o.app, u.replica);
      if (u.from === state.host && o.sourceStops) drop.add(name);
      if (u.to !== state.host || !o.targetRuns) continue;
      const unit = unitsOf(u.from)?.find((x) => x.name === name);
      if (unit && !state.units.some((x) => x.name === name)) add.push(unit);
    }
  }
  if (add.length === 0 && drop.size === 0) return state;
  const units = [...state.units.filter((x) => !drop.has(x.name)), ...add].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  return { ...state, units };
}

/** The route table with the moves' target replicas and weights. */
export function overlayRoutes(table: RouteTable, overlays: readonly MoveOverlay[], siteOf: (host: string) => string | undefined, addressOf: (host: string) => string | undefined): RouteTable {
  if (overlays.length === 0) return table;
  // A switchover move's target is a standby: it takes no requests.
  const byApp = new Map(overlays.filter((o) => !o.standby).map((o) => [o.app, o]));
  const routes = table.routes.map((route) => {
    const o = byApp.get(route.app);
    if (!o) return route;
    const moving = new Set(o.units.map((u) => unitName(o.app, u.replica)));
    const replicas: Replica[] = route.replicas.map((r) => (moving.has(r.id) ? { ...r, weight: 100 - o.targetWeight, state: o.sourceDrain ? 'drain' : 'active' } : r));
    for (const u of o.units) {
      if (!o.targetRuns) continue;
      const source = route.replicas.find((r) => r.id === unitName(o.app, u.replica));
      const address = addressOf(u.to);
      const site = siteOf(u.to);
      if (!source || !address || !site) continue;
      replicas.push({ ...source, id: `${source.id}@${u.to}`, site, host: u.to, address, weight: o.targetWeight, state: o.targetDrain ? 'drain' : 'active' });
    }
    return { ...route, replicas, siteAffinity: false };
  });
  return { ...table, routes };
}
