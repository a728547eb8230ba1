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

/** `state` (the target host's) with the units moves add to it, taken from their source hosts' states. */
export function overlayUnits(state: HostDesiredState, overlays: readonly MoveOverlay[], unitsOf: (host: string) => readonly DesiredUnit[] | undefined): HostDesiredState {
  const add: DesiredUnit[] = [];
  for (const o of overlays) {
    for (const u of o.units) {
      if (u.to !== state.host) continue;
      const name = unitName(o.app, u.replica);
      const unit = unitsOf(u.from)?.find((x) => x.name === name);
      if (unit && !state.units.some((x) => x.name === name)) add.push(unit);
    }
  }
  if (add.length === 0) return state;
  return { ...state, units: [...state.units, ...add].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0)) };
}

/** The route table with the moves' target replicas and weights. */
export function overlayRoutes(table: RouteTable, overlays: readonly MoveOverlay[], siteOf: (host: string) => string | undefined, addressOf: (host: string) => string | undefined): RouteTable {
  if (overlays.length === 0) return table;
  const byApp = new Map(overlays.map((o) => [o.app, o]));
  const routes = table.routes.map((route) => {
    const o = byApp.get(route.app);
    if (!o) return route;
    const moving = new Set(o.units.map((u) => unitName(o.app, u.replica)));
    const replicas: Replica[] = route.replicas.map((r) => (moving.has(r.id) ? { ...r, weight: 100 - o.targetWeight, state: o.sourceDrain ? 'drain' : 'active' } : r));
    for (const u of o.units) {
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
