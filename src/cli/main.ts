/**
 * The `hafen` command line. Each command lives in its own file and registers itself here.
 * `main` returns the exit status instead of exiting, so tests run commands in-process.
 */
import { Command, CommanderError } from 'commander';
import { HafenError } from '../lib/errors.js';
import { registerAccess } from './access.js';
import { registerUsers } from './users.js';
import { registerAlerts } from './alerts.js';
import { registerApply } from './apply.js';
import { registerRollout } from './rollout.js';
import { registerFirewall } from './firewall.js';
import { registerBackup } from './backup.js';
import { registerCapacity } from './capacity.js';
import { registerChecks } from './checks.js';
import { registerDemo } from './demo.js';
import { registerGenerate } from './generate.js';
import { registerHistory } from './history.js';
import { registerImport } from './import.js';
import { EXIT, processIo, type CliIo } from './io.js';
import { registerIpam } from './ipam.js';
import { registerMigrate } from './migrate.js';
import { registerPlan } from './plan.js';
import { registerRisk } from './risk.js';
import { registerSchema } from './schema.js';
import { registerSecret } from './secret.js';
import { registerSite } from './site.js';
import { registerStatus } from './status.js';
import { registerTraffic } from './traffic.js';
import { registerUptime } from './uptime.js';
import { registerFailover } from './failover.js';
import { registerValidate } from './validate.js';

/** Error codes that mean an input could not be read at all (exit 2). */
const UNREADABLE = new Set(['HAFEN_CLI_FLEET_UNREADABLE', 'HAFEN_CLI_ALLOCATIONS_UNREADABLE', 'HAFEN_CLI_PLAN_UNREADABLE', 'HAFEN_CLI_TOKEN_UNREADABLE', 'HAFEN_CLI_SECRET_UNREADABLE', 'HAFEN_CLIENT_UNREACHABLE']);

export function buildProgram(io: CliIo, setExit: (code: number) => void): Command {
  const program = new Command('hafen')
    .description('Control plane for multi-site application hosting: fleets, failure domains, addresses.')
    .version('0.1.0', '-V, --version')
    // Options of a command apply before its subcommand: `demo load --data X` is load's --data.
    .enablePositionalOptions()
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride()
    .configureOutput({ writeOut: io.stdout, writeErr: io.stderr });
  registerValidate(program, io, setExit);
  registerIpam(program, io, setExit);
  registerPlan(program, io, setExit);
  registerRisk(program, io, setExit);
  registerCapacity(program, io, setExit);
  registerSite(program, io, setExit);
  registerSchema(program, io, setExit);
  registerApply(program, io, setExit);
  registerImport(program, io, setExit);
  registerHistory(program, io, setExit);
  registerRollout(program, io, setExit);
  registerFirewall(program, io, setExit);
  registerStatus(program, io, setExit);
  registerChecks(program, io, setExit);
  registerAlerts(program, io, setExit);
  registerTraffic(program, io, setExit);
  registerUptime(program, io, setExit);
  registerFailover(program, io, setExit);
  registerBackup(program, io, setExit);
  registerMigrate(program, io, setExit);
  registerDemo(program, io, setExit);
  registerAccess(program, io, setExit);
  registerUsers(program, io, setExit);
  registerSecret(program, io, setExit);
  registerGenerate(program, io, setExit);
  const all = (c: Command): Command[] => [c, ...c.commands.flatMap(all)];
  for (const cmd of all(program).slice(1)) cmd.exitOverride().configureOutput({ writeOut: io.stdout, writeErr: io.stderr });
  program.addHelpText('after', '\nProcesses: hafen controller --help, hafen agent --help, hafen prober --help, hafen proxy --help; moving the controller\'s store: hafen store --help');
  return program;
}

/** Runs the CLI with `argv` (as in process.argv) and resolves to the exit status. */
export async function main(argv: readonly string[], io: CliIo = processIo): Promise<number> {
  let exit: number = EXIT.ok;
  const program = buildProgram(io, (code) => {
    exit = code;
  });
  try {
    await program.parseAsync([...argv]);
    return exit;
  } catch (err) {
    // Commander has already said what is wrong with the command line (and how to get help).
    if (err instanceof CommanderError) return err.exitCode === 0 ? EXIT.ok : EXIT.usage;
    if (err instanceof HafenError) {
      io.stderr(`error: ${err.message} [${err.code}]\n`);
      return UNREADABLE.has(err.code) ? EXIT.unreadable : EXIT.invalid;
    }
    // A bug, not a user error: say so plainly and keep the stack for the report.
    io.stderr(`internal error (please report it): ${(err as Error).stack ?? String(err)}\n`);
    return 70;
  }
}
