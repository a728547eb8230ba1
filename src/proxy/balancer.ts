/**
 * Choosing a replica for a request: among usable replicas, the proxy's own site first, then
 * the others, sites the controller declared lost last; weighted random within a tier. A retry skips the replicas already tried and
 * prefers another host, then another site.
 */
import type { ReplicaState } from './replica.js';

export interface Attempted {
  replicas: Set<string>;
  hosts: Set<string>;
  sites: Set<string>;
}

export function newAttempted(): Attempted {
  return { replicas: new Set(), hosts: new Set(), sites: new Set() };
}

/** Records that a request was sent to `r`. */
export function markTried(tried: Attempted, r: ReplicaState): void {
  tried.replicas.add(r.id);
  tried.hosts.add(r.spec.host);
  tried.sites.add(r.spec.site);
}

function weighted(list: ReplicaState[], random: () => number): ReplicaState | undefined {
  if (list.length <= 1) return list[0];
  const total = list.reduce((n, r) => n + r.spec.weight, 0);
  let x = random() * total;
  for (const r of list) {
    x -= r.spec.weight;
    if (x < 0) return r;
  }
  return list[list.length - 1];
}

/**
 * The replica to try next, or undefined when no usable replica is left. Replicas at sites in
 * `avoid` (declared lost by the controller) come last, even at the proxy's own site: they are
 * used only when nothing else is left.
 */
export function pickReplica(replicas: readonly ReplicaState[], site: string, tried: Attempted, random: () => number = Math.random, avoid: ReadonlySet<string> = NO_SITES): ReplicaState | undefined {
  const usable = replicas.filter((r) => r.usable && !tried.replicas.has(r.id));
  if (usable.length === 0) return undefined;
  const preferred = avoid.size ? usable.filter((r) => !avoid.has(r.spec.site)) : usable;
  return pickIn(preferred.length ? preferred : usable, site, tried, random);
}

const NO_SITES: ReadonlySet<string> = new Set();

function pickIn(fresh: ReplicaState[], site: string, tried: Attempted, random: () => number): ReplicaState | undefined {
  const retry = tried.replicas.size > 0;
  const tiers: ((r: ReplicaState) => boolean)[] = retry
    ? [
        (r) => r.spec.site === site && !tried.hosts.has(r.spec.host),
        (r) => !tried.sites.has(r.spec.site) && !tried.hosts.has(r.spec.host),
        (r) => !tried.hosts.has(r.spec.host),
        () => true,
      ]
    : [(r) => r.spec.site === site, () => true];
  for (const tier of tiers) {
    const hit = weighted(fresh.filter(tier), random);
    if (hit) return hit;
  }
  return undefined;
}
