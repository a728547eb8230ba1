/**
 * `hafen migrate plan APP... --to SITE --fleet FLEET`: how the apps would move, when, how long
 * they would be down, and in which waves; a calendar per customer with --ics.
 */
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { Command } from 'commander';
import { customerCalendar } from '../core/move/ics.js';
import { resolveMoves, shareRequests, type MoveRequest } from '../core/move/moves.js';
import { planWaves } from '../core/move/waves.js';
import { schedule } from '../core/placement/schedule.js';
import { didYouMean } from '../core/fleet/suggest.js';
import { HafenError } from '../lib/errors.js';
import { writeFileAtomic } from '../lib/fs.js';
import { EXIT, json, parseFormat, type CliIo, type OutputFormat } from './io.js';
import { parseDays, parseShare, parseStart } from './migrate-options.js';
import { planText } from './migrate-output.js';
import { registerMigrateRemote } from './migrate-remote.js';
import { validFleet } from './planning.js';

interface PlanOptions {
  to: string;
  from?: string;
  share?: number;
  fleet?: string;
  start?: Date;
  days: number;
  ics?: string;
  format: OutputFormat;
}

export function registerMigrate(program: Command, io: CliIo, setExit: (code: number) => void): void {
  const migrate = program.command('migrate').description("Move apps between sites: plan the moves, their windows and waves; propose them to the customers and record their consent.");
  migrate
    .command('plan')
    .description('Plan moving apps to a site: strategy, copy and downtime estimates, the maintenance windows and waves they fit into, and the blast radius at every step.')
    .argument('[apps...]', 'apps to move (or --share)')
    .requiredOption('--to <site>', 'the site the apps move to')
    .option('--from <site>', 'the site they leave (needed for an app running at several other sites)')
    .option('--share <percent>', 'move this share of the customers (weighted), those with the least data first, instead of naming apps', parseShare)
    .option('--fleet <path>', 'fleet YAML file or directory to plan on')
    .option('--start <time>', 'plan from this time, as if the customers were asked then: a move that needs an answer switches 3 h later at the earliest (ISO 8601; default now)', parseStart)
    .option('--days <n>', 'days ahead to plan into', parseDays, 28)
    .option('--ics <dir>', 'write a calendar per customer with moves into this directory (CUSTOMER.ics)')
    .option('--format <format>', 'output format: text or json', parseFormat, 'text' as OutputFormat)
    .addHelpText(
      'after',
      `
Strategies: an app whose migration mode is "live" moves live (the target starts, traffic shifts
over in steps, the source drains; no downtime), a standby app by switchover (the writes hand over to
another standby, the replica starts at the target as a standby and copies, then the writes come
back; two pauses of seconds, never two writers); any other app moves by a pre-copy of its volumes
while it runs and a cutover in one of its customer's maintenance windows. Estimates come from
the volumes' size and daily change and the slower site uplink times
policies.migrations.bandwidthShare. A wave is one night (noon to noon UTC); at most
policies.migrations.maxCustomersPerWave customers have a cutover in one. No step may make a
failure take down more customers than policies.maxCustomerShare (or than before the wave).

This plans from the files and changes nothing; hafen migrate propose plans on what the
controller runs and asks the customers. Moves need the customer's consent unless they are live
and the customer chose liveMoves: announce.

Exit status: 0 when every move is planned, 1 when one cannot be (the reason is shown) or the
input is invalid, 2 when the fleet cannot be read.

JSON output: {"from", "until", "maxCustomersPerWave", "scheduled": [{"id", "app", "customer",
"from", "to", "strategy", "replicas", "targets", "bytes", "changePerDay", "estimate",
"downtimeSeconds", "switchSeconds", "consent", "warnings", "preCopy", "start", "end", "wave",
"window", "after"}], "unscheduled": [{"move", "reason"}], "waves": [{"wave", "start", "end",
"customers", "moves"}], "risk": {"limit", "before", "after"}, "problems": [{"app", "message"}]}`,
    )
    .action(async (appIds: string[], opts: PlanOptions) => {
      if (!opts.fleet) throw new HafenError('HAFEN_MIGRATE_NO_FLEET', 'hafen migrate plan needs the fleet to plan on: --fleet FILE (or a directory)');
      if (appIds.length > 0 && opts.share !== undefined) throw new HafenError('HAFEN_MIGRATE_BAD_REQUEST', 'name apps or give --share, not both');
      if (appIds.length === 0 && opts.share === undefined) throw new HafenError('HAFEN_MIGRATE_BAD_REQUEST', 'name the apps to move, or --share PERCENT of the customers');
      const fleet = await validFleet(opts.fleet, io, opts.format);
      if (!fleet) return setExit(EXIT.invalid);
      const siteIds = fleet.sites.map((s) => s.id);
      for (const [flag, site] of [['--to', opts.to], ['--from', opts.from]] as const) {
        if (site !== undefined && !siteIds.includes(site)) throw new HafenError('HAFEN_MIGRATE_UNKNOWN_SITE', `${flag} ${site}: no such site in the fleet${didYouMean(site, siteIds)}; sites are ${siteIds.join(', ')}`);
      }
      const placements = schedule(fleet).placements;
      const requests: MoveRequest[] = opts.share !== undefined ? shareRequests(fleet, placements, opts.to, opts.share, opts.from) : appIds.map((app) => ({ app, to: opts.to, ...(opts.from ? { from: opts.from } : {}) }));
      const { moves, problems } = resolveMoves(fleet, placements, requests);
      const plan = planWaves(fleet, placements, moves, { from: opts.start ?? new Date(), days: opts.days });
      const { placements: _after, ...out } = plan;
      if (opts.ics) await writeCalendars(opts.ics, plan, fleet, io);
      if (opts.format === 'json') io.stdout(json({ ...out, problems }));
      else io.stdout(planText(plan, problems, fleet));
      setExit(problems.length > 0 || plan.unscheduled.length > 0 ? EXIT.invalid : EXIT.ok);
    });
  registerMigrateRemote(migrate, io, setExit);
}

async function writeCalendars(dir: string, plan: ReturnType<typeof planWaves>, fleet: NonNullable<Awaited<ReturnType<typeof validFleet>>>, io: CliIo): Promise<void> {
  await mkdir(dir, { recursive: true });
  const siteNames = new Map(fleet.sites.map((s) => [s.id, s.name ?? s.id]));
  const byCustomer = new Map<string, typeof plan.scheduled>();
  for (const m of plan.scheduled) byCustomer.set(m.customer, [...(byCustomer.get(m.customer) ?? []), m]);
  for (const [id, moves] of byCustomer) {
    const c = fleet.customers.find((x) => x.id === id)!;
    const path = join(dir, `${id}.ics`);
    await writeFileAtomic(path, customerCalendar(moves, { customer: { id, name: c.name }, siteNames, stamp: new Date(plan.from) }));
    io.stderr(`wrote ${path} (${moves.length} move${moves.length === 1 ? '' : 's'})\n`);
  }
}
