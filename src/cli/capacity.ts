/** `hafen capacity FLEET`: allocated and free per site and host, and whether the fleet survives losing its largest site (N+1). */
import type { Command } from 'commander';
import { formatBytes } from '../core/fleet/units.js';
import { capacityReport, type Amount, type CapacityReport } from '../core/placement/capacity.js';
import { EXIT, json, parseFormat, type CliIo, type OutputFormat } from './io.js';
import { placementsFor, validFleet } from './planning.js';

export function registerCapacity(program: Command, io: CliIo, setExit: (code: number) => void): void {
  program
    .command('capacity')
    .description('Allocated and free cpu, memory and disk per site and host, and N+1 for every site.')
    .argument('<fleet>', 'fleet YAML file or directory')
    .option('--plan <file>', 'use a saved plan instead of planning afresh')
    .option('--hosts', 'list every host in the text output')
    .option('--format <format>', 'output format: text or json', parseFormat, 'text' as OutputFormat)
    .addHelpText(
      'after',
      `
"usable" is the total less the policy headroom. N+1 re-plans the replicas of a lost site on
the rest of the fleet with the same rules, for every site. Exit status: 0 when the loss of any
one site is covered, 1 when some site's replicas would not fit elsewhere (or the fleet is
invalid), 2 when an input cannot be read.`,
    )
    .action(async (fleetPath: string, opts: { plan?: string; hosts?: boolean; format: OutputFormat }) => {
      const fleet = await validFleet(fleetPath, io, opts.format);
      if (!fleet) return setExit(EXIT.invalid);
      const { placements } = await placementsFor(fleet, opts.plan);
      const report = capacityReport(fleet, placements);
      if (opts.format === 'json') io.stdout(json(report));
      else io.stdout(text(report, opts.hosts ?? false));
      // N+1 is checked for every site, not only the largest: losing a smaller but fuller site can fail too.
      setExit(report.siteLoss.some((s) => !s.covered) ? EXIT.invalid : EXIT.ok);
    });
}

function cell(a: Amount, fmt: (n: number) => string): string {
  const use = a.usable > 0 ? Math.round((100 * a.allocated) / a.usable) : 0;
  return `${fmt(a.allocated)} / ${fmt(a.usable)} (${use}%)`.padStart(26);
}

const cores = (n: number) => `${Math.round(n * 10) / 10}`;

function text(report: CapacityReport, hosts: boolean): string {
  const head = `${''.padEnd(16)}${'hosts'.padStart(6)}${'replicas'.padStart(9)}${'cpu allocated/usable'.padStart(26)}${'memory'.padStart(26)}${'disk'.padStart(26)}`;
  const lines = [head];
  for (const s of report.sites) {
    lines.push(`${`site ${s.site}`.padEnd(16)}${String(s.hosts).padStart(6)}${String(s.replicas).padStart(9)}${cell(s.cpu, cores)}${cell(s.memory, formatBytes)}${cell(s.disk, formatBytes)}`);
    if (!hosts) continue;
    for (const h of report.hosts.filter((x) => x.site === s.site && (x.role === 'app' || x.role === 'data'))) {
      lines.push(`  ${h.host.padEnd(20)}${String(h.replicas).padStart(9)}${cell(h.cpu, cores)}${cell(h.memory, formatBytes)}${cell(h.disk, formatBytes)}`);
    }
  }
  lines.push('');
  for (const l of report.siteLoss) {
    const mark = l.site === report.largestSite ? ' (the largest site)' : '';
    lines.push(l.covered ? `losing site ${l.site}${mark}: its ${l.replicas} replicas fit on the other sites` : `losing site ${l.site}${mark}: ${l.unplaced.length} of its ${l.replicas} replicas do not fit elsewhere (${l.unplaced.slice(0, 5).map((u) => `${u.app}#${u.replica}`).join(', ')}${l.unplaced.length > 5 ? ', …' : ''})`);
  }
  return `${lines.join('\n')}\n`;
}
