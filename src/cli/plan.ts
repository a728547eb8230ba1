/** `hafen plan FLEET`: where every replica runs, what could not be placed, what moved. */
import type { Command } from 'commander';
import { rebalance } from '../core/placement/rebalance.js';
import { diffPlans, schedule } from '../core/placement/schedule.js';
import type { Plan } from '../core/placement/types.js';
import { analyseRisk } from '../core/risk/scenarios.js';
import { naturalCompare } from '../core/util/natural-sort.js';
import { groupBy } from '../core/util/group.js';
import { writeFileAtomic } from '../lib/fs.js';
import { EXIT, json, parseFormat, type CliIo, type OutputFormat } from './io.js';
import { readPlan, validFleet } from './planning.js';
import { problemsOf } from '../client/client.js';
import { projectsPayload, readComposeProjects } from './compose-projects.js';
import { readAllocations, readFleetFiles } from './fleet-files.js';
import { countLine, problemsText } from './problems-output.js';
import { remoteClient, remoteOptions, type RemoteOptions } from './remote.js';
import { sitePlanText } from './rollout.js';

interface PlanOptions extends RemoteOptions {
  site?: string;
  previous?: string;
  out?: string;
  rebalance?: boolean;
  format: OutputFormat;
}

export function registerPlan(program: Command, io: CliIo, setExit: (code: number) => void): void {
  remoteOptions(program
    .command('plan')
    .description('Place every replica of every app on a host, spreading risk over failure domains. With --site, ask the controller what the fleet changes at one site.')
    .argument('<fleet>', 'fleet YAML file or directory')
    .option('--previous <plan>', 'an earlier plan (JSON from --out or --format json): its placements are kept where still allowed')
    .option('--out <file>', 'also write the plan as JSON (use it as --previous next time)')
    .option('--rebalance', 'add the fewest moves that bring every failure scenario back under the policy')
    .option('--format <format>', 'output format: text or json', parseFormat, 'text' as OutputFormat)
    .option('--site <site>', 'compare with what the controller runs: per host of the site, units and firewall lines added and removed, the rollout\'s stages, and the hosts at other sites that change too (needs the controller: --controller or HAFEN_CONTROLLER, and a token)')
    .addHelpText(
      'after',
      `
Exit status: 0 when every replica is placed and no failure scenario breaks the policy,
1 when something is unplaced or the policy is broken (the reasons are printed), 2 when an
input cannot be read.

JSON output: {"placements": [{"app", "replica", "host", "site"}], "unplaced": [{"app", "replica",
"reasons", "fixes"}], "moves": [{"app", "replica", "from", "to"}], "added", "removed", "violations"}
With --site: the controller's plan {"parent", "placements", "unplaced", "violations", "diff": {"hosts":
[{"host", "site", "added", "changed", "removed", "firewall": {"added", "removed"}}], "moved"}, "stages", "held"}.`,
    ))
    .action(async (fleetPath: string, opts: PlanOptions) => {
      if (opts.site !== undefined) return setExit(await sitePlan(fleetPath, opts.site, opts, io));
      const fleet = await validFleet(fleetPath, io, opts.format);
      if (!fleet) return setExit(EXIT.invalid);
      const previous = opts.previous ? await readPlan(opts.previous) : undefined;
      const res = schedule(fleet, previous ? { previous } : {});
      let plan: Plan = { placements: res.placements, unplaced: res.unplaced, moves: res.moves, added: res.added, removed: res.removed };
      if (opts.rebalance) {
        const rb = rebalance(fleet, plan.placements);
        // Moves are against the previous plan when there is one, else against the fresh plan.
        plan = previous ? { ...plan, ...diffPlans(previous, rb.placements), placements: rb.placements } : { ...plan, moves: rb.moves, placements: rb.placements };
      }
      const { violations } = analyseRisk(fleet, plan.placements);
      const out = { placements: plan.placements, unplaced: plan.unplaced, moves: plan.moves, added: plan.added, removed: plan.removed, violations };
      if (opts.out) await writeFileAtomic(opts.out, json(out));
      if (opts.format === 'json') io.stdout(json(out));
      else io.stdout(planText(fleet.apps.map((a) => ({ id: a.id, critical: a.criticality === 'critical' })), out, previous !== undefined));
      setExit(plan.unplaced.length > 0 || violations.length > 0 ? EXIT.invalid : EXIT.ok);
    });
}

function planText(
  apps: { id: string; critical: boolean }[],
  plan: Plan & { violations: { message: string }[] },
  hadPrevious: boolean,
): string {
  const lines: string[] = [];
  const byApp = groupBy(plan.placements, (p) => p.app);
  const width = Math.max(...apps.map((a) => a.id.length), 3) + 2;
  for (const a of [...apps].sort((x, y) => naturalCompare(x.id, y.id))) {
    const hosts = (byApp.get(a.id) ?? []).map((p) => p.host);
    lines.push(`${a.id.padEnd(width)}${(a.critical ? 'critical' : '').padEnd(10)}${hosts.join(', ') || '-'}`);
  }
  lines.push('');
  const hostsUsed = new Set(plan.placements.map((p) => p.host)).size;
  const total = plan.placements.length + plan.unplaced.length;
  lines.push(`placed ${plan.placements.length} of ${total} replicas of ${apps.length} apps on ${hostsUsed} hosts; ${plan.unplaced.length} unplaced`);
  if (hadPrevious || plan.moves.length > 0) lines.push(`against the previous plan: ${plan.moves.length} moved, ${plan.added.length} added, ${plan.removed.length} removed`);
  for (const m of plan.moves) lines.push(`  move ${m.app} replica ${m.replica}: ${m.from} -> ${m.to}`);
  for (const u of plan.unplaced) {
    lines.push(`unplaced: ${u.app} replica ${u.replica}`);
    for (const r of u.reasons) lines.push(`  ${r}`);
    for (const f of u.fixes) lines.push(`  fix: ${f}`);
  }
  for (const v of plan.violations) lines.push(`policy: ${v.message}`);
  if (plan.unplaced.length === 0 && plan.violations.length === 0) lines.push('every replica placed; every single failure stays within the policy');
  return `${lines.join('\n')}\n`;
}

/** `hafen plan FLEET --site S`: the controller's plan, shown for one site. */
async function sitePlan(fleetPath: string, site: string, opts: PlanOptions, io: CliIo): Promise<number> {
  if (opts.previous || opts.out || opts.rebalance) {
    io.stderr('error: --site plans against what the controller runs; --previous, --out and --rebalance are for plans made here\n');
    return EXIT.invalid;
  }
  const files = await readFleetFiles(fleetPath);
  const allocations = await readAllocations(files.defaultAllocations);
  try {
    const projects = projectsPayload(await readComposeProjects(files.sources));
    const plan = await remoteClient(opts).plan(files.sources, { site, ...(allocations ? { allocations } : {}), ...(projects ? { projects } : {}) });
    io.stdout(opts.format === 'json' ? json(plan) : sitePlanText(plan, site));
    return plan.unplaced.length > 0 ? EXIT.invalid : EXIT.ok;
  } catch (err) {
    const problems = problemsOf(err);
    if (!problems) throw err;
    if (opts.format === 'json') io.stdout(json({ ok: false, problems }));
    else io.stderr(`${problemsText(problems)}${fleetPath}: ${countLine(problems)}\n`);
    return EXIT.invalid;
  }
}
