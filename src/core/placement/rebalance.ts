/**
 * Rebalancing: the fewest replica moves that bring every failure scenario back under the
 * policy, after failures, growth or hand-placed replicas left the fleet skewed.
 *
 * Greedy: take the worst violation; among the customers it affects, move the one that costs
 * the fewest moves per unit of weight (one replica of each of its apps that the failure
 * takes down, to a host outside the failure that keeps every rule and creates no new
 * violation); repeat. Deterministic.
 */
import { domainOf, hostSuits, siteAllowed } from '../fleet/eligibility.js';
import type { Fleet } from '../fleet/model.js';
import { analyseRisk, type Violation } from '../risk/scenarios.js';
import { intersect } from '../risk/groups.js';
import { naturalCompare } from '../util/natural-sort.js';
import { groupBy } from '../util/group.js';
import { diffPlans, schedule } from './schedule.js';
import { replicaDemand } from './state.js';
import type { Move, Placement } from './types.js';

export interface RebalanceResult {
  placements: Placement[];
  moves: Move[];
  /** Violations no move could fix. */
  remaining: Violation[];
}

/** At most this many customers are moved in one run; a fleet needing more needs a re-plan. */
const MAX_STEPS = 200;

export function rebalance(fleet: Fleet, placements: readonly Placement[]): RebalanceResult {
  let current = [...placements];
  const sites = new Map(fleet.sites.map((s) => [s.id, s]));
  const apps = new Map(fleet.apps.map((a) => [a.id, a]));
  const hopeless = new Set<string>();
  for (let step = 0; step < MAX_STEPS; step++) {
    const risk = analyseRisk(fleet, current);
    const target = risk.violations.find((v) => !hopeless.has(`${v.rule} ${v.group}`));
    if (!target) break;
    const { state } = schedule(fleet, { previous: current });
    const g = state.groups.byKey.get(target.group)!;
    const inGroup = new Set(state.groups.groups[g]!.hosts);
    const scenario = risk.scenarios.find((s) => s.group === target.group)!;
    const downApps = scenario.down.filter((id) => !target.rule.startsWith('critical-survives-') || apps.get(id)!.criticality === 'critical');
    const byCustomer = groupBy(downApps, (id) => apps.get(id)!.customer);
    type Option = { customer: string; moves: { app: string; replica: number; from: string; to: number }[]; weight: number };
    const options: Option[] = [];
    for (const [customer, ids] of byCustomer) {
      const moves: Option['moves'] = [];
      const reserved = new Map<number, { cpu: number; memory: number; disk: number }>();
      let ok = true;
      for (const id of ids.sort(naturalCompare)) {
        const app = apps.get(id)!;
        const d = replicaDemand(app);
        const mine = current.filter((p) => p.app === id).sort((a, b) => b.replica - a.replica);
        const moving = mine[0]!;
        const others = mine.slice(1).map((p) => state.hostIndex.get(p.host)!);
        const otherDomains = new Set(others.map((h) => domainOf(fleet.hosts[h]!, sites.get(fleet.hosts[h]!.site)!, app.redundancy.spreadOver)));
        let best = -1;
        let bestCost = Infinity;
        fleet.hosts.forEach((host, h) => {
          if (inGroup.has(h) || others.includes(h)) return;
          const site = sites.get(host.site)!;
          if (!siteAllowed(app, site) || !hostSuits(app, host)) return;
          if (otherDomains.has(domainOf(host, site, app.redundancy.spreadOver))) return;
          const extra = reserved.get(h) ?? { cpu: 0, memory: 0, disk: 0 };
          if (!state.fits(h, { cpu: d.cpu + extra.cpu, memory: d.memory + extra.memory, disk: d.disk + extra.disk })) return;
          let down = state.groups.hostGroups[h]!;
          for (const o of others) down = intersect(down, state.groups.hostGroups[o]!);
          const cost = state.riskCost(customer, down, fleet.policies.maxCustomerShare);
          if (cost < bestCost || (cost === bestCost && naturalCompare(host.id, fleet.hosts[best]?.id ?? '') < 0)) {
            best = h;
            bestCost = cost;
          }
        });
        if (best < 0 || !Number.isFinite(bestCost)) {
          ok = false;
          break;
        }
        const extra = reserved.get(best) ?? { cpu: 0, memory: 0, disk: 0 };
        reserved.set(best, { cpu: extra.cpu + d.cpu, memory: extra.memory + d.memory, disk: extra.disk + d.disk });
        moves.push({ app: id, replica: moving.replica, from: moving.host, to: best });
      }
      if (ok) options.push({ customer, moves, weight: state.weight.get(customer) ?? 1 });
    }
    options.sort((a, b) => a.moves.length / a.weight - b.moves.length / b.weight || naturalCompare(a.customer, b.customer));
    const pick = options[0];
    if (!pick) {
      hopeless.add(`${target.rule} ${target.group}`);
      continue;
    }
    current = current.map((p) => {
      const m = pick.moves.find((x) => x.app === p.app && x.replica === p.replica);
      const host = m ? fleet.hosts[m.to]! : undefined;
      return host ? { ...p, host: host.id, site: host.site } : p;
    });
  }
  const remaining = analyseRisk(fleet, current).violations;
  return { placements: current, moves: diffPlans(placements, current).moves, remaining };
}
