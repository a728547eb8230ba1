/**
 * Convergence benchmark (budget in docs/benchmarks.md: config change -> applied on 100 agents, p95 <= 2 s;
 * controller RSS <= 200 MB for the reference fleet with 100 agents connected).
 *
 * Runs the controller and 100 agents as separate processes on loopback (process driver).
 * The fleet is the reference fleet (examples/frachtwerk: 100 hosts, 180 customers, 250 apps)
 * with every workload turned into a `sleep` process so it runs anywhere. Each round changes
 * an environment value of every app and measures, per host, the time from the apply call
 * until the controller's status shows the host has applied the new desired state.
 *
 * Run: npm run build && node --import tsx bench/converge.ts [--rounds 5] [--store postgres://…] [--follower]
 * --store: the controller on PostgreSQL (an empty database); --follower: a second controller on
 * that store, which the agents talk to (it passes every request on to the leader).
 * To find where the time goes: BENCH_PROFILE_CONTROLLER=DIR (a CPU profile of the controller),
 * BENCH_PROFILE_AGENTS=DIR (of the first five agents), BENCH_AGENT_LOGS=DIR (every agent's log);
 * where the memory goes: BENCH_HEAP_SNAPSHOT=DIR (a heap snapshot of the controller at the end),
 * BENCH_HEAP_PROFILE=DIR (what the controller allocates, sampled: a .heapprofile).
 * No peer runs here (Kamal, Coolify and Dokploy push over SSH; there is nothing comparable
 * to start on loopback), so this benchmark reports against the budget only.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { parse, stringify } from 'yaml';
import { HafenClient } from '../src/client/client.js';
import { yamlFiles, ROOT, BIN } from '../test/helpers/paths.js';

const arg = (name: string) => (process.argv.includes(name) ? process.argv[process.argv.indexOf(name) + 1] : undefined);
const rounds = Number(arg('--rounds') || 5);
const store = arg('--store');
const viaFollower = process.argv.includes('--follower');
if (viaFollower && !store) throw new Error('--follower needs --store postgres://… (several controllers share a PostgreSQL store)');
const storeArgs = store ? ['--store', store] : [];
// Every controller on one store needs the same secret key.
const controllerEnv = { ...process.env, HAFEN_SECRET_KEY: 'e'.repeat(64) };
const dir = mkdtempSync(join(tmpdir(), 'hafen-converge-'));
const children: ChildProcess[] = [];
const fleetDir = join(ROOT, 'examples', 'frachtwerk');

function sources(version: number): { name: string; text: string }[] {
  return yamlFiles(fleetDir).map((f) => {
    const doc = parse(readFileSync(f, 'utf8')) as Record<string, Record<string, unknown>[]>;
    for (const h of doc.hosts ?? []) h.runtime = 'process';
    for (const a of doc.apps ?? []) {
      a.workload = { process: { command: ['sleep', '100000'], env: { BENCH_VERSION: String(version) } } };
      delete a.health;
    }
    return { name: relative(fleetDir, f), text: stringify(doc) };
  });
}

function rssMb(pid: number): number {
  const line = readFileSync(`/proc/${pid}/status`, 'utf8').split('\n').find((l) => l.startsWith('VmRSS:'))!;
  return Number(line.replace(/\D+/g, '')) / 1024;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Node flags that write a CPU profile into `dir` when the process exits (none without a dir). */
const profile = (dir: string | undefined) => (dir ? ['--cpu-prof', '--cpu-prof-dir', dir] : []);
/** Node flags that write a sampling allocation profile into `dir` when the process exits (none without a dir). */
const heapProfile = (dir: string | undefined) => (dir ? ['--heap-prof', '--heap-prof-dir', dir] : []);
/** Node flags that write a heap snapshot into `dir` on SIGUSR2 (none without a dir). */
const heapSnapshot = (dir: string | undefined) => (dir ? ['--heapsnapshot-signal=SIGUSR2', '--diagnostic-dir', dir] : []);

/** The controller's own memory figures from its /metrics (prom-client's process metrics), in MB. */
async function memoryOf(url: string, token: string): Promise<string> {
  const text = await (await fetch(`${url}/metrics`, { headers: { authorization: `Bearer ${token}` } })).text();
  const mb = (name: string) => {
    const line = text.split('\n').find((l) => l.startsWith(`hafen_controller_${name} `) || l.startsWith(`hafen_controller_${name}{`));
    return line ? `${(Number(line.split(' ').pop()) / 2 ** 20).toFixed(0)} MB` : '?';
  };
  return `V8 heap used ${mb('nodejs_heap_size_used_bytes')} of ${mb('nodejs_heap_size_total_bytes')}, external ${mb('nodejs_external_memory_bytes')}`;
}

/** CPU seconds (user + system) a process has used so far. */
function cpuSeconds(pid: number): number {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return 0;
  }
}

try {
  const port = 17400 + (process.pid % 1000);
  const url = `http://127.0.0.1:${port}`;
  const controller = spawn(process.execPath, [...profile(process.env.BENCH_PROFILE_CONTROLLER), ...heapSnapshot(process.env.BENCH_HEAP_SNAPSHOT), ...heapProfile(process.env.BENCH_HEAP_PROFILE), BIN, 'controller', '--data', join(dir, 'controller'), '--listen', `127.0.0.1:${port}`, '--quiet', ...storeArgs], { stdio: 'ignore', env: controllerEnv });
  children.push(controller);
  const answering = async (u: string) => {
    for (let i = 0; i < 100; i++) {
      try {
        return await new HafenClient(u).health();
      } catch {
        await sleep(100);
      }
    }
    throw new Error(`no controller answers at ${u}`);
  };
  await answering(url);
  // The agents' controller: this one, or a follower that passes their requests on to it.
  let agentsUrl = url;
  let follower: ChildProcess | undefined;
  if (viaFollower) {
    agentsUrl = `http://127.0.0.1:${port + 1}`;
    follower = spawn(process.execPath, [BIN, 'controller', '--data', join(dir, 'follower'), '--listen', `127.0.0.1:${port + 1}`, '--quiet', ...storeArgs], { stdio: 'ignore', env: controllerEnv });
    children.push(follower);
    const h = (await answering(agentsUrl)) as { role?: string };
    if (h.role !== 'follower') throw new Error(`the second controller is ${h.role}, not a follower`);
  }
  console.log(`controller on ${store ? 'PostgreSQL' : 'SQLite'}${viaFollower ? '; the agents talk to a follower, which passes their requests on' : ''}`);
  // The controller's RSS every half second from here on: its peak, besides the figure at the end.
  const rssSamples: number[] = [];
  const sampler = setInterval(() => rssSamples.push(rssMb(controller.pid!)), 500);
  sampler.unref();
  const adminToken = readFileSync(join(dir, 'controller', 'admin.token'), 'utf8').trim();
  const admin = new HafenClient(url, adminToken);
  let rev = (await admin.apply(sources(0), null, 'bench')).revision;
  const hosts = (await admin.status()).hosts.map((h) => h.host);
  for (const host of hosts) {
    const { token } = await admin.joinToken(host);
    const logs = process.env.BENCH_AGENT_LOGS;
    const agent = spawn(process.execPath, [...profile(children.length <= 5 ? process.env.BENCH_PROFILE_AGENTS : undefined), BIN, 'agent', '--controller', agentsUrl, '--data', join(dir, 'agents', host)], {
      stdio: ['ignore', 'ignore', logs ? openSync(join(logs, `${host}.log`), 'w') : 'ignore'],
      env: { ...process.env, HAFEN_JOIN_TOKEN: token },
    });
    children.push(agent);
  }
  // Wait until every agent has applied the first revision.
  for (;;) {
    const st = await admin.status();
    if (st.hosts.every((h) => h.current)) break;
    await sleep(200);
  }
  console.log(`${hosts.length} agents connected and converged on revision ${rev}`);
  const samples: number[] = [];
  const agentPids = children.filter((c) => c !== controller && c !== follower).map((c) => c.pid!);
  const followerCpu = () => (follower ? cpuSeconds(follower.pid!) : 0);
  {
    // What 100 idle agents and the controller cost between changes (heartbeats, long-polls).
    const a0 = agentPids.reduce((n, p) => n + cpuSeconds(p), 0);
    const c0 = cpuSeconds(controller.pid!);
    await sleep(5000);
    const agents = (agentPids.reduce((n, p) => n + cpuSeconds(p), 0) - a0) / 5;
    console.log(`idle: agents use ${(agents * 100).toFixed(1)}% of a core together, the controller ${(((cpuSeconds(controller.pid!) - c0) / 5) * 100).toFixed(1)}%`);
  }
  for (let round = 1; round <= rounds; round++) {
    await sleep(1000);
    const cpu0 = { controller: cpuSeconds(controller.pid!), follower: followerCpu(), agents: agentPids.reduce((n, p) => n + cpuSeconds(p), 0), bench: cpuSeconds(process.pid) };
    const next = sources(round);
    const t0 = performance.now();
    const wall0 = Date.now();
    rev = (await admin.apply(next, rev, `bench round ${round}`)).revision;
    const applied = performance.now() - t0;
    const done = new Map<string, number>();
    let slowest = 0;
    while (done.size < hosts.length) {
      const asked = performance.now();
      const st = await admin.status();
      const now = performance.now();
      slowest = Math.max(slowest, now - asked);
      // When the controller first received the report that shows the new state (appliedAt),
      // not when this poll saw it: polling only collects the times, so it can be slow and rare
      // (every poll takes CPU from the agents being measured).
      for (const h of st.hosts) if (h.current && !done.has(h.host)) done.set(h.host, Date.parse(h.appliedAt!) - wall0);
      if (now - t0 > 60_000) throw new Error(`round ${round}: ${hosts.length - done.size} hosts did not converge within 60 s`);
      await sleep(1000);
    }
    const cpu = { controller: cpuSeconds(controller.pid!) - cpu0.controller, follower: followerCpu() - cpu0.follower, agents: agentPids.reduce((n, p) => n + cpuSeconds(p), 0) - cpu0.agents, bench: cpuSeconds(process.pid) - cpu0.bench };
    const times = [...done.values()].sort((a, b) => a - b);
    samples.push(...times);
    console.log(`round ${round}: apply call ${applied.toFixed(0)} ms; all ${times.length} hosts applied after p50 ${times[Math.floor(times.length / 2)]!.toFixed(0)} ms, p95 ${times[Math.floor(times.length * 0.95)]!.toFixed(0)} ms, max ${times[times.length - 1]!.toFixed(0)} ms at ${[...done].sort((a, b) => b[1] - a[1])[0]![0]} (slowest status poll ${slowest.toFixed(0)} ms; CPU: controller ${cpu.controller.toFixed(2)} s${follower ? `, follower ${cpu.follower.toFixed(2)} s` : ''}, agents ${cpu.agents.toFixed(2)} s, this benchmark ${cpu.bench.toFixed(2)} s)`);
  }
  samples.sort((a, b) => a - b);
  const p95 = samples[Math.floor(samples.length * 0.95)]!;
  await sleep(2000);
  const rss = rssMb(controller.pid!);
  clearInterval(sampler);
  const sorted = [...rssSamples].sort((a, b) => a - b);
  console.log(`\nconvergence over ${rounds} rounds x ${hosts.length} hosts: p95 ${p95.toFixed(0)} ms (budget <= 2000 ms: ${p95 <= 2000 ? 'met' : 'MISSED'})`);
  console.log(`controller RSS with the reference fleet and ${hosts.length} agents connected: ${rss.toFixed(0)} MB (budget <= 200 MB: ${rss <= 200 ? 'met' : 'MISSED'}); during the run: median ${sorted[Math.floor(sorted.length / 2)]?.toFixed(0)} MB, peak ${sorted[sorted.length - 1]?.toFixed(0)} MB; ${await memoryOf(url, adminToken)}`);
  if (process.env.BENCH_HEAP_SNAPSHOT) {
    controller.kill('SIGUSR2');
    await sleep(8000);
    console.log(`heap snapshot of the controller written to ${process.env.BENCH_HEAP_SNAPSHOT}`);
  }
} finally {
  for (const c of children.reverse()) c.kill('SIGTERM');
  await sleep(500);
  // The sleep processes belong to no agent now; end them by the marker their units carry.
  spawn('pkill', ['-f', '^sleep 100000$'], { stdio: 'ignore' });
  await sleep(300);
  rmSync(dir, { recursive: true, force: true });
}
