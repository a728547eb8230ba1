/**
 * The blast-radius rule of a migration wave (pure): after every step, no failure group may
 * affect a larger weighted share of customers than the policy allows, or than it did before
 * the wave when it was already above the policy; and no site loss may take down a critical
 * app that survived it before. A live move runs both replicas for a while, which only lowers
 * what a failure takes down, so checking the placement after each step covers the steps too.
 */
import type { Fleet } from '../fleet/model.js';
import type { Placement } from '../placement/types.js';
import { buildGroups, type GroupIndex } from '../risk/groups.js';
import { analyseRisk, pct } from '../risk/scenarios.js';

export interface Worst {
  group: string;
  share: number;
}

export interface RiskBaseline {
  index: GroupIndex;
  limit: number;
  /** Share each group takes down before the wave. */
  before: Map<string, number>;
  /** Site groups that take down a critical app before the wave. */
  criticalBefore: Set<string>;
  worst: Worst;
}

export function riskBaseline(fleet: Fleet, placements: readonly Placement[]): RiskBaseline {
  const index = buildGroups(fleet);
  const report = analyseRisk(fleet, placements, {}, index);
  return {
    index,
    limit: fleet.policies.maxCustomerShare,
    before: new Map(report.scenarios.map((s) => [s.group, s.share])),
    criticalBefore: new Set(report.scenarios.filter((s) => s.kind === 'site' && s.criticalAppsDown > 0).map((s) => s.group)),
    worst: worstOf(report.scenarios),
  };
}

const worstOf = (scenarios: readonly { group: string; share: number }[]): Worst => {
  const w = scenarios[0];
  return w ? { group: w.group, share: w.share } : { group: '', share: 0 };
};

/** Checks placements after a step: the worst group, and what breaks the rule (empty when it holds). */
export function checkStep(fleet: Fleet, placements: readonly Placement[], base: RiskBaseline): { worst: Worst; breaks: string[] } {
  const report = analyseRisk(fleet, placements, {}, base.index);
  const breaks: string[] = [];
  for (const s of report.scenarios) {
    const before = base.before.get(s.group) ?? 0;
    const allowed = Math.max(base.limit, before);
    if (s.share > allowed + 1e-9) {
      breaks.push(`losing ${s.group} would affect ${pct(s.share)} of customers (${before > base.limit ? `${pct(before)} before the wave` : `policy limit ${pct(base.limit)}`})`);
    }
    if (s.kind === 'site' && s.criticalAppsDown > 0 && !base.criticalBefore.has(s.group)) {
      breaks.push(`losing ${s.group} would take down critical app${s.criticalAppsDown === 1 ? '' : 's'} ${s.down.filter((id) => fleet.apps.find((a) => a.id === id)?.criticality === 'critical').join(', ')}`);
    }
  }
  return { worst: worstOf(report.scenarios), breaks };
}
