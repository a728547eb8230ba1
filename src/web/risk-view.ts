/**
 * The risk page's heat map (pure, unit-tested): every single-failure scenario as a cell, by kind
 * (host, site, facility, provider, country, risk group), worst first within a kind; its heat is
 * its share of weighted customers on a scale where the policy limit sits at the middle, so a
 * breach is always on the hot half.
 */
import type { RiskReport, Scenario } from '../core/risk/scenarios.js';

export const KIND_ORDER = ['country', 'provider', 'facility', 'site', 'risk', 'host'] as const;

export interface HeatCell {
  group: string;
  kind: string;
  share: number;
  /** 0 (nobody affected) to 1 (twice the limit or more). */
  heat: number;
  over: boolean;
}

export function heatRows(report: Pick<RiskReport, 'scenarios'>, limit: number): { kind: string; cells: HeatCell[] }[] {
  const singles = report.scenarios.filter((s) => s.kind !== 'pair');
  return KIND_ORDER.map((kind) => ({
    kind,
    cells: singles
      .filter((s) => s.kind === kind)
      .sort((a, b) => b.share - a.share || (a.group < b.group ? -1 : 1))
      .map((s) => ({ group: s.group, kind, share: s.share, heat: Math.min(1, limit > 0 ? s.share / (2 * limit) : s.share > 0 ? 1 : 0), over: s.share > limit })),
  })).filter((r) => r.cells.length > 0);
}

/** The scenario a clicked cell stands for. */
export const scenarioOf = (report: Pick<RiskReport, 'scenarios'>, group: string): Scenario | undefined => report.scenarios.find((s) => s.group === group);
