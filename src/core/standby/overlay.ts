/**
 * Roles in what the controller hands out (pure): each unit of a standby app carries its app's
 * term and role, and a standby's hash differs from the active's, so an agent starts exactly the
 * unit that became active and stops the one that no longer is.
 */
import type { DesiredUnit, HostDesiredState } from '../render/desired.js';
import { hostStateHash } from '../render/desired.js';
import { contentHash } from '../util/canonical.js';
import { withPgStream } from './postgres.js';
import { unitRole, type AppRole } from './roles.js';

/** A unit with its role; the same unit when its app is not a standby app. */
export function withRole(unit: DesiredUnit, role: AppRole | undefined, data: readonly string[]): DesiredUnit {
  const standby = unitRole(role, unit.replica, data);
  if (!standby) return unit;
  // The term is left out of the hash: a new term alone restarts nothing; a new role does.
  return withPgStream({ ...unit, standby, hash: standby.role === 'active' ? unit.hash : contentHash({ standbyOf: unit.hash }) }, role);
}

/** A host's state with every unit's role; the same state (and hash) when it runs no unit of a standby app. */
export function overlayRoles(base: { state: HostDesiredState; hash: string }, roles: ReadonlyMap<string, AppRole>, dataOf: (app: string) => readonly string[]): { state: HostDesiredState; hash: string } {
  if (!base.state.units.some((u) => roles.has(u.app))) return base;
  const state = { ...base.state, units: base.state.units.map((u) => withRole(u, roles.get(u.app), dataOf(u.app))) };
  return { state, hash: hostStateHash(state) };
}
