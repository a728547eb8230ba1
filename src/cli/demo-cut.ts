/**
 * `hafen demo fail|heal site:S` (or `host:H`): cuts a simulated site off and brings it back.
 * Cutting freezes (SIGSTOP) the site's agents, everything they started (the apps), its
 * database hosts' PostgreSQL servers and its edge proxy: their sockets stay open but nothing answers, so from outside the site hangs like
 * one whose network went dark, the harder case for failover than a refused connection. Healing
 * lets them go on (SIGCONT): clocks jump, heartbeats and probes resume, the site comes back.
 * Both wait (unless --no-wait) until the controller sees the change and say how long it took.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Command } from 'commander';
import { identify, processTree, signalAll } from '../lib/proc.js';
import { demoAdmin, readCuts, readDemo, writeCuts, type DemoDatabaseHost, type DemoHost, type DemoState } from './demo-state.js';
import { EXIT, json, parseFormat, type CliIo, type OutputFormat } from './io.js';

interface CutOptions {
  data: string;
  wait: boolean;
  timeout: string;
  format: OutputFormat;
}

export function registerDemoCut(demo: Command, io: CliIo, setExit: (code: number) => void): void {
  for (const verb of ['fail', 'heal'] as const) {
    demo
      .command(`${verb} <target>`)
      .description(
        verb === 'fail'
          ? 'Cut a simulated site off (target site:S or host:H): its agents, apps and proxy freeze and stop answering; waits until the controller sees the site down.'
          : 'Bring a site cut off by `demo fail` back (target site:S, host:H or all); waits until the controller sees it up again.',
      )
      .option('--data <dir>', 'the running demo\'s data directory', '.hafen-demo')
      .option('--no-wait', 'return at once instead of waiting for the controller to see the change')
      .option('--timeout <seconds>', 'how long to wait for the controller', '90')
      .option('--format <format>', 'output format: text or json', parseFormat, 'text' as OutputFormat)
      .action(async (target: string, opts: CutOptions) => setExit(await cut(verb, target, opts, io)));
  }
}

/** The PostgreSQL servers a database host's agent runs (daemons of their own: pg_ctl starts them outside the agent's tree). */
function postmasters(db: DemoDatabaseHost): number[] {
  const root = join(db.data, 'state', 'postgres');
  const pids: number[] = [];
  for (const unit of existsSync(root) ? readdirSync(root) : []) {
    try {
      const pid = Number(readFileSync(join(root, unit, 'data', 'postmaster.pid'), 'utf8').split('\n')[0]);
      if (Number.isInteger(pid) && pid > 0) pids.push(pid);
    } catch {
      // not running
    }
  }
  return pids;
}

/** The hosts' agents with everything they started, their proxies, and the database hosts at their sites with their servers. */
const treesOf = (hosts: readonly DemoHost[], dbs: readonly DemoDatabaseHost[]) => [
  ...hosts.flatMap((h) => [...processTree(h.agentPid), ...processTree(h.proxy.pid)]),
  ...dbs.filter((d) => hosts.some((h) => h.site === d.site)).flatMap((d) => [...processTree(d.agentPid), ...postmasters(d).flatMap((pid) => processTree(pid))]),
];

/** The demo hosts a target names; throws with the valid targets when it names none. */
function hostsOf(state: DemoState, target: string): { sites: string[]; hosts: DemoHost[] } {
  const [kind, id] = target.includes(':') ? (target.split(':', 2) as [string, string]) : ['site', target];
  const sites = [...new Set(state.hosts.map((h) => h.site))];
  if (kind === 'site' && sites.includes(id)) return { sites: [id], hosts: state.hosts.filter((h) => h.site === id) };
  const host = state.hosts.find((h) => h.host === id);
  if (kind === 'host' && host) return { sites: [host.site], hosts: [host] };
  throw new Error(`unknown target "${target}": name one of ${[...sites.map((s) => `site:${s}`), ...state.hosts.map((h) => `host:${h.host}`)].join(', ')}`);
}

async function cut(verb: 'fail' | 'heal', target: string, opts: CutOptions, io: CliIo): Promise<number> {
  try {
    const timeoutS = Number(opts.timeout);
    if (!Number.isFinite(timeoutS) || timeoutS <= 0) throw new Error(`--timeout must be a number of seconds above 0, not "${opts.timeout}"`);
    const state = readDemo(opts.data);
    const cuts = readCuts(opts.data);
    const { sites, hosts } =
      verb === 'heal' && target === 'all' ? { sites: [...new Set(state.hosts.map((h) => h.site))], hosts: state.hosts } : hostsOf(state, target);
    const key = target.includes(':') || target === 'all' ? target : `site:${target}`;
    // A site's database hosts go with it (a host target: that host alone).
    const dbs = key.startsWith('host:') ? [] : (state.databases ?? []);
    let pids: number[];
    if (verb === 'fail') {
      if (cuts[key]) {
        io.stdout(opts.format === 'json' ? json({ target: key, already: true, since: cuts[key].at }) : `${key} is already cut off (since ${cuts[key].at}); \`hafen demo heal ${key}\` brings it back\n`);
        return EXIT.ok;
      }
      // Freeze the agents first so none of them sees its apps stop; then look again for
      // anything started in between.
      pids = signalAll(treesOf(hosts, dbs), 'SIGSTOP');
      pids = [...new Set([...pids, ...signalAll(treesOf(hosts, dbs), 'SIGSTOP')])];
      const started = Object.fromEntries([...identify(pids)].map(([pid, s]) => [String(pid), s]));
      await writeCuts(opts.data, { ...cuts, [key]: { at: new Date().toISOString(), pids, started } });
    } else {
      const healed = Object.keys(cuts).filter((k) => target === 'all' || k === key || hostsOf(state, k).hosts.some((h) => hosts.includes(h)));
      const recorded = healed.flatMap((k) => cuts[k]!.pids);
      // The recorded pids and whatever runs in the hosts' trees now (SIGCONT is harmless to a running process).
      pids = signalAll([...new Set([...recorded, ...treesOf(hosts, dbs)])], 'SIGCONT');
      const rest = { ...cuts };
      for (const k of healed) delete rest[k];
      await writeCuts(opts.data, rest);
    }
    const siteDbs = dbs.filter((d) => hosts.some((h) => h.site === d.site));
    const what = `${key}: ${verb === 'fail' ? 'froze' : 'resumed'} ${pids.length} processes (${hosts.map((h) => `${h.host}'s agent and apps, the ${h.site} proxy`).join('; ')}${siteDbs.length ? `; ${siteDbs.map((d) => `${d.host}'s agent and PostgreSQL`).join('; ')}` : ''})`;
    if (opts.format === 'text') io.stdout(`${what}\n`);
    if (!opts.wait) {
      if (opts.format === 'json') io.stdout(json({ target: key, action: verb, processes: pids.length }));
      return EXIT.ok;
    }
    const want = verb === 'fail' ? 'down' : 'up';
    const admin = demoAdmin(opts.data, state.controller);
    const started = Date.now();
    const deadline = started + timeoutS * 1000;
    if (opts.format === 'text') io.stdout(`waiting for the controller to see ${sites.join(', ')} ${want} (hafen status shows it as it happens)...\n`);
    for (;;) {
      const st = await admin.status().catch(() => undefined);
      const seen = st?.sites.filter((s) => sites.includes(s.site)) ?? [];
      if (seen.length === sites.length && seen.every((s) => s.state === want)) {
        const seconds = (Date.now() - started) / 1000;
        const by = [...new Set(seen.flatMap((s) => s.seenDownBy))];
        if (opts.format === 'json') io.stdout(json({ target: key, action: verb, processes: pids.length, state: want, seconds, seenDownBy: by }));
        else io.stdout(`${sites.join(', ')} ${want} after ${seconds.toFixed(1)} s${want === 'down' ? ` (every check down as seen from ${by.join(' and ')}); heal with \`hafen demo heal ${key}\`` : ''}\n`);
        return EXIT.ok;
      }
      if (Date.now() > deadline) {
        io.stderr(`error: the controller did not see ${sites.join(', ')} ${want} within ${opts.timeout} s; see \`hafen status\`\n`);
        return EXIT.invalid;
      }
      await new Promise((r) => setTimeout(r, 500));
    }
  } catch (err) {
    io.stderr(`error: ${(err as Error).message}\n`);
    return EXIT.invalid;
  }
}
