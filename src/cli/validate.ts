/** `hafen validate FLEET`: every problem of a fleet at once. */
import type { Command } from 'commander';
import { fleetTotals } from '../core/fleet/model.js';
import { formatBytes } from '../core/fleet/units.js';
import { EXIT, json, parseFormat, type CliIo, type OutputFormat } from './io.js';
import { loadFleet } from './load.js';
import { countLine, problemsText } from './problems-output.js';

export function registerValidate(program: Command, io: CliIo, setExit: (code: number) => void): void {
  program
    .command('validate')
    .description('Check a fleet file or directory and list every problem with its file, line and path.')
    .argument('<fleet>', 'fleet YAML file, or a directory whose .yaml files are merged (directories holding a compose file are compose projects, not read)')
    .option('--allocations <file>', 'IPAM allocation record to check addresses against (default: ipam.lock beside the fleet)')
    .option('--format <format>', 'output format: text or json', parseFormat, 'text' as OutputFormat)
    .addHelpText(
      'after',
      `
Exit status: 0 valid (warnings allowed), 1 problems found, 2 the fleet cannot be read.

JSON output: {"ok": bool, "problems": [{"severity", "code", "path", "file", "line", "column", "message"}], "summary"?}

Examples:
  hafen validate examples/minimal.yaml
  hafen validate examples/frachtwerk --format json | jq '.problems[] | .message'`,
    )
    .action(async (fleetPath: string, opts: { allocations?: string; format: OutputFormat }) => {
      const { files, result } = await loadFleet(fleetPath, opts.allocations);
      const totals = result.fleet ? fleetTotals(result.fleet) : undefined;
      if (opts.format === 'json') {
        io.stdout(json({ ok: result.ok, problems: result.problems, ...(totals ? { summary: totals } : {}) }));
      } else {
        io.stdout(problemsText(result.problems));
        if (result.ok && totals) {
          const projects = files.composeProjects.length;
          const fileNote = files.isDirectory ? ` (${files.sources.length} files${projects ? `; ${projects} compose project director${projects === 1 ? 'y' : 'ies'} not read as fleet` : ''})` : '';
          const warn = result.problems.length ? `; ${countLine(result.problems)}` : '';
          const n = (count: number, word: string) => `${count} ${word}${count === 1 ? '' : 's'}`;
          io.stdout(
            `ok: ${fleetPath}${fileNote}: ${n(totals.sites, 'site')}${totals.witnesses ? ` (and ${n(totals.witnesses, 'witness site')})` : ''}, ${n(totals.hosts, 'host')}, ${n(totals.customers, 'customer')}, ` +
              `${n(totals.apps, 'app')} (${totals.critical} critical), ${n(totals.containers, 'container')}; ` +
              `${totals.cpu} cores, ${formatBytes(totals.memory)} memory, ${formatBytes(totals.disk)} disk${warn}\n`,
          );
        } else {
          io.stderr(`${fleetPath}: ${countLine(result.problems)}\n`);
        }
      }
      setExit(result.ok ? EXIT.ok : EXIT.invalid);
    });
}
