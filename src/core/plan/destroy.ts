/**
 * What an apply would take away (pure), counted like a plan's "to destroy": the hosts the fleet
 * no longer has, and the replicas that stop without running anywhere else (a replica that moves
 * is not destroyed). An apply that removes every host, or more than DESTROY_SHARE of the
 * replicas running, is refused unless the operator says so (`hafen apply --allow-destroy`): a
 * truncated file or the wrong directory must not stop the fleet.
 */
import type { Placement } from '../placement/types.js';

/** The share of running replicas an apply may stop without --allow-destroy. */
export const DESTROY_SHARE = 0.25;

export interface Destroy {
  /** Hosts of the newest revision that the new fleet no longer has. */
  hosts: string[];
  /** Replicas ("app-rN") that run now and would run nowhere. */
  replicas: string[];
  /** Replicas placed in the newest revision. */
  before: number;
  /** Why applying it needs --allow-destroy (absent when it does not). */
  refusal?: string;
}

export function destroyOf(before: { hosts: readonly string[]; placements: readonly Placement[] } | undefined, after: { hosts: readonly string[]; placements: readonly Placement[] }): Destroy {
  if (!before) return { hosts: [], replicas: [], before: 0 };
  const kept = new Set(after.hosts);
  const placed = new Set(after.placements.map((p) => `${p.app}-r${p.replica}`));
  const d: Destroy = {
    hosts: before.hosts.filter((h) => !kept.has(h)),
    replicas: [...new Set(before.placements.map((p) => `${p.app}-r${p.replica}`))].filter((u) => !placed.has(u)).sort(),
    before: before.placements.length,
  };
  const refusal = refusalOf(d, before.hosts.length);
  return refusal ? { ...d, refusal } : d;
}

function refusalOf(d: Destroy, hostsBefore: number): string | undefined {
  if (hostsBefore > 0 && d.hosts.length === hostsBefore) return `it removes every host of the fleet (${hostsBefore})`;
  if (d.before > 0 && d.replicas.length / d.before > DESTROY_SHARE) return `it stops ${d.replicas.length} of the ${d.before} replicas running (${Math.round((100 * d.replicas.length) / d.before)} %, more than ${DESTROY_SHARE * 100} %)`;
  return undefined;
}
