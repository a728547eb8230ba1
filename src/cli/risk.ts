/** `hafen risk FLEET`: what every single (or double) failure takes down, worst first. */
import type { Command } from 'commander';
import type { Fleet } from '../core/fleet/model.js';
import { formatBytes } from '../core/fleet/units.js';
import { buildGroups } from '../core/risk/groups.js';
import { analyseRisk, pct, type RiskReport, type Scenario } from '../core/risk/scenarios.js';
import { didYouMean } from '../core/fleet/suggest.js';
import { HafenError } from '../lib/errors.js';
import { EXIT, json, parseFormat, type CliIo, type OutputFormat } from './io.js';
import { placementsFor, validFleet } from './planning.js';

interface RiskOptions {
  plan?: string;
  fail?: string;
  pairs?: boolean;
  all?: boolean;
  format: OutputFormat;
}

/** Host scenarios shown in the text table unless --all. */
const HOST_ROWS = 5;

export function registerRisk(program: Command, io: CliIo, setExit: (code: number) => void): void {
  program
    .command('risk')
    .description('Blast radius: what the loss of each host, site, facility, provider, country or risk group takes down.')
    .argument('<fleet>', 'fleet YAML file or directory')
    .option('--plan <file>', 'analyse a saved plan (from hafen plan --out) instead of planning afresh')
    .option('--fail <group>', 'what-if: one scenario in detail, e.g. site:hel, provider:provider-b, host:nue-app-01')
    .option('--pairs', 'add every double failure of two non-host groups')
    .option('--all', 'list every host scenario in the text table (default: the worst 5)')
    .option('--format <format>', 'output format: text or json', parseFormat, 'text' as OutputFormat)
    .addHelpText(
      'after',
      `
Customers are counted by weight (customers[].weight in the fleet, default 1): the "customers"
column and the shares add up weights, not heads, and the output says which customers weigh
other than 1. A customer is affected when any of its apps is down (no replica left). Exit status: 0 when the policy holds, 1 when a scenario breaks it (or the
fleet is invalid), 2 when an input cannot be read.

JSON output: {"scenarios": [{"group", "kind", "appsDown", "appsDegraded", "customersAffected",
"customersTotal", "share", "criticalAppsDown", "capacityLost", "down", "degraded", "customers"}],
"violations": [{"group", "kind", "rule", "message"}], "sharedFacilities", "unplaced",
"weights": {"customers", "total", "other": [{"customer", "weight"}]}}`,
    )
    .action(async (fleetPath: string, opts: RiskOptions) => {
      const fleet = await validFleet(fleetPath, io, opts.format);
      if (!fleet) return setExit(EXIT.invalid);
      const { placements, unplaced } = await placementsFor(fleet, opts.plan);
      const index = buildGroups(fleet);
      if (opts.fail && !index.byKey.has(opts.fail)) {
        throw new HafenError('HAFEN_RISK_UNKNOWN_GROUP', `no failure group "${opts.fail}"${didYouMean(opts.fail, index.byKey.keys())}; groups are kind:id with kind host, site, facility, provider, country or risk`);
      }
      const report = analyseRisk(fleet, placements, { pairs: opts.pairs ?? false }, index);
      if (opts.fail) {
        const s = report.scenarios.find((x) => x.group === opts.fail)!;
        if (opts.format === 'json') io.stdout(json({ scenario: s, violations: report.violations.filter((v) => v.group === opts.fail), weights: weightsOf(fleet) }));
        else io.stdout(`${detailText(s, fleet.policies.maxCustomerShare)}${weightsText(weightsOf(fleet))}`);
        return setExit(EXIT.ok);
      }
      if (opts.format === 'json') io.stdout(json({ ...report, unplaced, weights: weightsOf(fleet) }));
      else io.stdout(`${tableText(report, opts.all ?? false, unplaced.length)}${weightsText(weightsOf(fleet))}`);
      setExit(report.violations.length > 0 ? EXIT.invalid : EXIT.ok);
    });
}

interface Weights {
  /** How many customers the fleet has. */
  customers: number;
  /** Their weights added up: what the shares are shares of. */
  total: number;
  /** Customers that weigh other than 1, heaviest first. */
  other: { customer: string; weight: number }[];
}

function weightsOf(fleet: Fleet): Weights {
  return {
    customers: fleet.customers.length,
    total: fleet.customers.reduce((n, c) => n + c.weight, 0),
    other: fleet.customers.filter((c) => c.weight !== 1).map((c) => ({ customer: c.id, weight: c.weight })).sort((a, b) => b.weight - a.weight || a.customer.localeCompare(b.customer)),
  };
}

/** Says that customer counts are weighted, and by what. */
function weightsText(w: Weights): string {
  const head = `customers are counted by weight (customers[].weight, default 1): ${w.customers} customer${w.customers === 1 ? '' : 's'} weigh ${round(w.total)} in all`;
  if (w.other.length === 0) return `${head}; every one weighs 1\n`;
  const shown = w.other.slice(0, 10).map((o) => `${o.customer} ${round(o.weight)}`).join(', ');
  return `${head}; weighing other than 1: ${shown}${w.other.length > 10 ? ` and ${w.other.length - 10} more (--format json lists them)` : ''}\n`;
}

function row(s: Scenario): string {
  const cap = `${s.capacityLost.hosts} hosts, ${s.capacityLost.cpu} cores, ${formatBytes(s.capacityLost.memory)}`;
  return [
    s.group.padEnd(34),
    String(s.appsDown).padStart(5),
    String(s.appsDegraded).padStart(9),
    `${round(s.customersAffected)}/${round(s.customersTotal)}`.padStart(10),
    pct(s.share).padStart(7),
    String(s.criticalAppsDown).padStart(9),
    `  ${cap}`,
  ].join('');
}

const round = (n: number) => String(Math.round(n * 100) / 100);

function tableText(report: RiskReport, all: boolean, unplaced: number): string {
  const lines = [`${'scenario'.padEnd(34)}${'down'.padStart(5)}${'degraded'.padStart(9)}${'customers'.padStart(10)}${'share'.padStart(7)}${'critical'.padStart(9)}  capacity lost`];
  let hostRows = 0;
  let hidden = 0;
  for (const s of report.scenarios) {
    if (s.kind === 'host' && !all && hostRows >= HOST_ROWS) {
      hidden++;
      continue;
    }
    if (s.kind === 'host') hostRows++;
    lines.push(row(s));
  }
  if (hidden) lines.push(`(${hidden} more host scenarios; --all lists them)`);
  lines.push('');
  for (const f of report.sharedFacilities) {
    lines.push(`shared fate: facility ${f.facility} is run by ${f.operator} and holds ${f.sites.map((s) => `site ${s.site} of ${s.provider}`).join(', ')}; losing ${f.operator} takes ${f.sites.length === 1 ? 'it' : 'them'} down too`);
  }
  if (unplaced) lines.push(`note: ${unplaced} replicas could not be placed (see hafen plan); they are not in any scenario`);
  for (const v of report.violations) lines.push(`violation: ${v.message}`);
  if (report.violations.length === 0) lines.push('policy holds: no single failure affects more than the allowed share, and no loss of a site, facility or provider takes down a critical app');
  // Failover needs two sites outside the failure to see the writer gone; those without are counted down above.
  const stuck = report.scenarios.filter((s) => s.kind !== 'pair' && s.noQuorum.length > 0);
  if (stuck.length) lines.push(`standby apps that cannot fail over (fewer than two sites outside the failure see their writer gone) are counted down: ${stuck.map((s) => `${s.group} (${s.noQuorum.length} apps)`).join(', ')}; a witness site at another provider gives the quorum (docs/operations.md)`);
  return `${lines.join('\n')}\n`;
}

function detailText(s: Scenario, limit: number): string {
  const lines = [
    `what if ${s.group} fails:`,
    `  customers affected: ${round(s.customersAffected)} of ${round(s.customersTotal)} (weighted), ${pct(s.share)}; policy limit ${pct(limit)}`,
    `  apps down: ${s.appsDown}${s.criticalAppsDown ? ` (${s.criticalAppsDown} critical)` : ''}; degraded (lost some replicas): ${s.appsDegraded}`,
    `  capacity lost: ${s.capacityLost.hosts} hosts, ${s.capacityLost.cpu} cores, ${formatBytes(s.capacityLost.memory)} memory, ${formatBytes(s.capacityLost.disk)} disk`,
  ];
  if (s.down.length) lines.push(`  down: ${s.down.join(', ')}`);
  if (s.degraded.length) lines.push(`  degraded: ${s.degraded.join(', ')}`);
  for (const f of s.failover) lines.push(`  fails over: ${f.app} (a standby writes within about ${f.rtoSeconds} s; writes of the last ${f.rpoSeconds} s at most are lost)`);
  if (s.noQuorum.length) lines.push(`  down, no writer until the failure ends or an operator acts: ${s.noQuorum.join(', ')} (fewer than two sites outside the failure can see their writer gone, so none is promoted; a witness site gives the quorum)`);
  return `${lines.join('\n')}\n`;
}
