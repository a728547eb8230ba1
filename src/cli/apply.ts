/** `hafen apply FLEET` and `hafen rollback REV`: new fleet revisions on the controller. */
import { createInterface } from 'node:readline/promises';
import type { Command } from 'commander';
import type { ApplyResponse, PlanResponse } from '../client/client.js';
import { problemsOf } from '../client/client.js';
import { projectsPayload, readComposeProjects } from './compose-projects.js';
import { readAllocations, readFleetFiles } from './fleet-files.js';
import { EXIT, json, parseFormat, type CliIo, type OutputFormat } from './io.js';
import { countLine, problemsText } from './problems-output.js';
import { remoteClient, remoteOptions, type RemoteOptions } from './remote.js';
import { followRollout, hostChangeLines, parseBatch, parseGateTimeout, rolloutText, sitePlanText } from './rollout.js';

interface ApplyOptions extends RemoteOptions {
  yes?: boolean;
  allowDestroy?: boolean;
  message?: string;
  format: OutputFormat;
  site?: string;
  batch?: number;
  gateTimeout?: number;
  detach?: boolean;
}

function diffText(plan: PlanResponse): string {
  const lines: string[] = [];
  for (const h of plan.diff.hosts) lines.push(...hostChangeLines(h));
  for (const m of plan.diff.moved) lines.push(`move ${m.unit}: ${m.from} -> ${m.to}`);
  for (const v of plan.violations) lines.push(`warning: ${v.message}`);
  if (plan.diff.empty) lines.push('no changes');
  const d = plan.destroy;
  if (d.hosts.length || d.replicas.length) {
    const few = (list: string[]) => `${list.slice(0, 5).join(', ')}${list.length > 5 ? ` and ${list.length - 5} more` : ''}`;
    lines.push(`to destroy: ${d.hosts.length} host(s)${d.hosts.length ? ` (${few(d.hosts)})` : ''}, ${d.replicas.length} of ${d.before} replicas${d.replicas.length ? ` (${few(d.replicas)})` : ''}`);
  }
  return `${lines.join('\n')}\n`;
}

async function confirm(io: CliIo, question: string): Promise<boolean> {
  if (!process.stdin.isTTY) return false;
  const rl = createInterface({ input: process.stdin, output: process.stderr });
  const answer = await rl.question(question);
  rl.close();
  return /^y(es)?$/i.test(answer.trim());
}

export function registerApply(program: Command, io: CliIo, setExit: (code: number) => void): void {
  remoteOptions(
    program
      .command('apply')
      .description('Validate and plan a fleet on the controller, show what changes per host, and store it as a new revision.')
      .argument('<fleet>', 'fleet YAML file or directory')
      .option('-y, --yes', 'apply without asking (needed when not on a terminal)')
      .option('-m, --message <text>', 'why: kept in the revision history')
      .option('--allow-destroy', 'apply although it removes every host or stops more than a quarter of the running replicas (refused otherwise: the plan shows what it would destroy)')
      .option('--format <format>', 'output format: text or json', parseFormat, 'text' as OutputFormat)
      .option('--site <site>', 'roll out to this site only, in stages: a canary host, then batches, each gated on its hosts reporting the change applied, units healthy and the firewall confirmed; on a failed gate the changed hosts go back. Hosts at other sites that change keep their state until their site is rolled out')
      .option('--batch <n>', 'with --site: hosts per batch after the canary (default: a quarter of the rest)', parseBatch)
      .option('--gate-timeout <duration>', 'with --site: how long a stage may take to pass its gate, e.g. 90s or 5m (default 5m)', parseGateTimeout)
      .option('--detach', 'with --site: start the rollout and return (follow it with hafen rollout status --watch)')
      .addHelpText(
        'after',
        `
With --site and a fleet equal to the newest revision's, no revision is made: the site's hosts
still held at an earlier revision are rolled out. Exit status 1 when the rollout fails or is aborted.
The controller runs the rollout: Ctrl-C stops following it, not the rollout (hafen rollout abort ID
does that).

The fleet's IPAM record goes along (ipam.lock in a fleet directory, NAME.ipam.lock beside a
file): the controller takes the addresses from it. Without one it keeps the addresses of its
newest revision, so hosts never move because others were added or removed.`,
      ),
  ).action(async (fleetPath: string, opts: ApplyOptions) => {
    if (!opts.site && (opts.batch !== undefined || opts.gateTimeout !== undefined || opts.detach)) {
      io.stderr('error: --batch, --gate-timeout and --detach go with --site\n');
      return setExit(EXIT.usage);
    }
    const client = remoteClient(opts);
    const files = await readFleetFiles(fleetPath);
    // The fleet's ipam.lock, when it has one: the controller takes its addresses from it.
    const allocations = await readAllocations(files.defaultAllocations);
    const projects = projectsPayload(await readComposeProjects(files.sources));
    const sent = { ...(allocations ? { allocations } : {}), ...(projects ? { projects } : {}), ...(opts.site ? { site: opts.site } : {}) };
    let plan: PlanResponse;
    try {
      plan = await client.plan(files.sources, sent);
    } catch (err) {
      const problems = problemsOf(err);
      if (!problems) throw err;
      if (opts.format === 'json') io.stdout(json({ ok: false, problems }));
      else io.stderr(`${problemsText(problems)}${fleetPath}: ${countLine(problems)}; nothing was changed\n`);
      return setExit(EXIT.invalid);
    }
    if (opts.format === 'text') io.stdout(opts.site ? sitePlanText(plan, opts.site) : diffText(plan));
    if (plan.unplaced.length > 0) {
      io.stderr(`${plan.unplaced.length} replica(s) cannot be placed (see hafen plan ${fleetPath}); nothing was changed\n`);
      return setExit(EXIT.invalid);
    }
    if (plan.destroy.refusal && !opts.allowDestroy) {
      io.stderr(`refused: ${plan.destroy.refusal}; nothing was changed. If that is meant, apply with --allow-destroy\n`);
      return setExit(EXIT.invalid);
    }
    const question = opts.site ? `apply and roll out to ${opts.site}? [y/N] ` : `apply as revision ${(plan.parent ?? 0) + 1}? [y/N] `;
    if (!opts.yes && !(await confirm(io, question))) {
      io.stderr(process.stdin.isTTY ? 'not applied\n' : 'not applied: pass --yes to apply without a terminal\n');
      return setExit(EXIT.invalid);
    }
    const staging = { ...(opts.batch !== undefined ? { batch: opts.batch } : {}), ...(opts.gateTimeout !== undefined ? { gateTimeoutSeconds: opts.gateTimeout } : {}) };
    const res: ApplyResponse = await client.apply(files.sources, plan.parent, opts.message, { ...sent, ...staging, ...(opts.allowDestroy ? { allowDestroy: true } : {}) });
    if (!res.rollout) {
      if (opts.format === 'json') io.stdout(json(res));
      else io.stdout(`applied revision ${res.revision}${opts.site ? `; nothing to roll out at ${opts.site}` : ''}\n`);
      return setExit(EXIT.ok);
    }
    if (opts.format === 'text') io.stderr(`revision ${res.revision}: rollout ${res.rollout.id} at ${res.rollout.site} started (${res.rollout.stages.length} stage(s))\n`);
    const final = opts.detach ? res.rollout : await followRollout(client, res.rollout.id, opts.format === 'text' ? io : { stdout: () => {}, stderr: () => {} });
    if (opts.format === 'json') io.stdout(json({ ...res, rollout: final }));
    else io.stdout(opts.detach ? `rollout ${final.id} started; follow it with: hafen rollout status ${final.id} --watch\n` : rolloutText(final));
    setExit(final.state === 'failed' || final.state === 'aborted' ? EXIT.invalid : EXIT.ok);
  });

  remoteOptions(
    program
      .command('rollback')
      .description('Apply the fleet of an earlier revision again, as a new revision.')
      .argument('<revision>', 'revision number')
      .option('--allow-destroy', 'roll back although it removes every host or stops more than a quarter of the running replicas'),
  ).action(async (rev: string, opts: RemoteOptions & { allowDestroy?: boolean }) => {
    const n = Number(rev);
    if (!Number.isInteger(n) || n < 1) {
      io.stderr(`error: revision must be a positive whole number, not "${rev}"\n`);
      return setExit(EXIT.usage);
    }
    const res = await remoteClient(opts).rollback(n, opts.allowDestroy ? { allowDestroy: true } : {});
    io.stdout(`${diffText(res)}rolled back to revision ${n} as revision ${res.revision}\n`);
    setExit(EXIT.ok);
  });
}
