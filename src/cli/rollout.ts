/**
 * Staged rollouts on the CLI: what a site's change looks like (hafen plan/apply --site), the
 * rollout's progress while it runs, and `hafen rollout status|abort`.
 */
import type { Command } from 'commander';
import { InvalidArgumentError } from 'commander';
import type { HafenClient, PlanResponse, Rollout } from '../client/client.js';
import { parseDuration } from '../core/fleet/schema/monitoring.js';
import { EXIT, json, parseFormat, type CliIo, type OutputFormat } from './io.js';
import { remoteClient, remoteOptions, type RemoteOptions } from './remote.js';

export function parseBatch(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError(`--batch must be a whole number of at least 1, not "${value}"`);
  return n;
}

/** "90s", "5m" → whole seconds (at least 1 s, at most a day). */
export function parseGateTimeout(value: string): number {
  const ms = parseDuration(value);
  if (ms === undefined || ms < 1000 || ms > 86_400_000) throw new InvalidArgumentError(`--gate-timeout must be a duration from 1s to 24h like "90s" or "5m", not "${value}"`);
  return Math.round(ms / 1000);
}

/** One host's change: units added (+), changed (~), removed (-), and its firewall lines. */
export function hostChangeLines(h: PlanResponse['diff']['hosts'][number]): string[] {
  return [
    `host ${h.host}:`,
    ...h.added.map((u) => `  + ${u}`),
    ...h.changed.map((u) => `  ~ ${u}`),
    ...h.removed.map((u) => `  - ${u}`),
    ...h.firewall.added.map((l) => `  firewall + ${l}`),
    ...h.firewall.removed.map((l) => `  firewall - ${l}`),
  ];
}

/** What changes at `site`, host by host (units and firewall lines), the stages, and what the other sites keep. */
export function sitePlanText(plan: PlanResponse, site: string): string {
  const lines: string[] = [];
  const here = plan.diff.hosts.filter((h) => h.site === site);
  for (const h of here) lines.push(...hostChangeLines(h));
  for (const m of plan.diff.moved) if (here.some((h) => h.host === m.from || h.host === m.to)) lines.push(`move ${m.unit}: ${m.from} -> ${m.to}`);
  for (const v of plan.violations) lines.push(`warning: ${v.message}`);
  if (here.length === 0) lines.push(`nothing changes at ${site}`);
  const stages = plan.stages ?? [];
  if (stages.length > 0) {
    lines.push(`rollout at ${site}: ${stages.length} stage(s): canary ${stages[0]!.join(', ')}${stages.length > 1 ? `, then ${stages.slice(1).map((s) => s.length).join(' + ')} host(s)` : ''}`);
  }
  const held = plan.held ?? [];
  if (held.length > 0) {
    const bySite = new Map<string, number>();
    for (const h of plan.diff.hosts) if (held.includes(h.host)) bySite.set(h.site, (bySite.get(h.site) ?? 0) + 1);
    lines.push(`${held.length} host(s) at other sites change too (${[...bySite].map(([s, n]) => `${s}: ${n}`).join(', ')}); they keep their current state until you roll their site out (hafen apply FLEET --site SITE)`);
  }
  return `${lines.join('\n')}\n`;
}

/** One line per stage and the outcome. */
export function rolloutText(r: Rollout): string {
  const lines = [`rollout ${r.id}: revision ${r.revision} at ${r.site}, ${r.state.toUpperCase()}${r.finishedAt ? ` (${r.finishedAt})` : ''}, by ${r.author} at ${r.createdAt}`];
  r.stages.forEach((hosts, i) => {
    const mark = i < r.stage ? 'passed' : i === r.stage && r.state === 'running' ? (r.stageStartedAt ? 'gating' : 'next') : '';
    lines.push(`  stage ${i + 1}${i === 0 ? ' (canary)' : ''}${mark ? ` ${mark}` : ''}:`);
    for (const h of r.hosts.filter((x) => x.stage === i)) lines.push(`    ${h.host.padEnd(24)} ${h.state.padEnd(12)} ${h.detail ?? ''}`.trimEnd());
  });
  if (r.failure) lines.push(`  stopped: ${r.failure.reason}`);
  return `${lines.join('\n')}\n`;
}

/** Polls the rollout until it ends, printing each host that passes or fails and each stage that starts (to stderr). */
export async function followRollout(client: HafenClient, id: number, io: CliIo, intervalMs = 1000): Promise<Rollout> {
  const said = new Set<string>();
  const say = (key: string, text: string) => {
    if (said.has(key)) return;
    said.add(key);
    io.stderr(`${text}\n`);
  };
  const started = Date.now();
  const at = () => `[${Math.round((Date.now() - started) / 1000)} s]`;
  for (;;) {
    const r = await client.rollout(id);
    for (const h of r.hosts) {
      if (h.state === 'rolling') say(`${h.host}:rolling`, `${at()} stage ${h.stage + 1}/${r.stages.length}: ${h.host} got the change`);
      if (h.state === 'ok') say(`${h.host}:ok`, `${at()} ${h.host} passed: ${h.detail ?? ''}`);
      if (h.state === 'failed') say(`${h.host}:failed`, `${at()} ${h.host} FAILED: ${h.detail ?? ''}`);
    }
    if (r.state !== 'running') return r;
    await new Promise((res) => setTimeout(res, intervalMs));
  }
}

export function registerRollout(program: Command, io: CliIo, setExit: (code: number) => void): void {
  const cmd = program.command('rollout').description('Staged rollouts to one site (started by hafen apply FLEET --site SITE): follow them, or stop one and send its hosts back.');
  remoteOptions(
    cmd
      .command('status')
      .description('A rollout\'s stages, each host\'s gate and how it ended (default: the newest). Exit 1 when it failed or was aborted.')
      .argument('[id]', 'rollout number', rolloutId)
      .option('--watch', 'follow it until it ends')
      .option('--format <format>', 'output format: text or json', parseFormat, 'text' as OutputFormat),
  ).action(async (id: number | undefined, opts: RemoteOptions & { watch?: boolean; format: OutputFormat }) => {
    const client = remoteClient(opts);
    let r: Rollout | undefined = id === undefined ? (await client.rollouts(1)).rollouts[0] : await client.rollout(id);
    if (!r) {
      io.stderr('no rollout yet: hafen apply FLEET --site SITE starts one\n');
      return setExit(EXIT.invalid);
    }
    if (opts.watch && r.state === 'running') r = await followRollout(client, r.id, io);
    io.stdout(opts.format === 'json' ? json(r) : rolloutText(r));
    setExit(r.state === 'failed' || r.state === 'aborted' ? EXIT.invalid : EXIT.ok);
  });
  remoteOptions(
    cmd
      .command('abort')
      .description('Stop a running rollout: the hosts it changed go back to the revision they ran before; hosts it had not reached keep theirs.')
      .argument('<id>', 'rollout number', rolloutId),
  ).action(async (id: number, opts: RemoteOptions) => {
    const r = await remoteClient(opts).abortRollout(id);
    io.stdout(rolloutText(r));
    setExit(EXIT.ok);
  });
}

function rolloutId(text: string): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError(`a rollout number is a positive whole number, not "${text}"`);
  return n;
}
