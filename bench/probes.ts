/**
 * bench/probes: one prober process runs 10,000 HTTP checks every 30 s against local test
 * servers (nginx from Debian's package, one worker, /healthz on 10 ports) and must stay on at
 * most one core with no check starved: p99 of (actual start − scheduled start) ≤ 1 s.
 *
 * The prober runs in a child process so that its CPU time is its own (process.cpuUsage over
 * the measured rounds). Every probe opens a fresh connection, as in production.
 *
 *   npm run bench:probes                       # 10,000 checks, 30 s interval, 3 rounds
 *   node --import tsx bench/probes.ts --checks 10000 --interval 30 --rounds 3
 *
 * The peers are not run here: Uptime Kuma and Gatus have no headless mode to drive with
 * 10,000 checks from a file; docs/benchmarks.md sets hafen's numbers beside their documented
 * and reported limits.
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Probe } from '../src/core/monitor/checks.js';
import { Prober } from '../src/agent/prober/prober.js';

const arg = (name: string, dflt: number) => {
  const at = process.argv.indexOf(`--${name}`);
  return at < 0 ? dflt : Number(process.argv[at + 1]);
};
const PORTS = Array.from({ length: 10 }, (_, i) => 18600 + i);

interface ChildResult {
  checks: number;
  intervalS: number;
  seconds: number;
  started: number;
  ok: number;
  failed: number;
  errors: Record<string, number>;
  latenessP50: number;
  latenessP99: number;
  latenessMax: number;
  cores: number;
  rssMb: number;
}

/** The prober side: runs in its own process, prints one JSON line. */
async function child(): Promise<void> {
  const checks = arg('checks', 10_000);
  const intervalMs = arg('interval', 30) * 1000;
  const rounds = arg('rounds', 3);
  const probes: Probe[] = Array.from({ length: checks }, (_, i) => ({
    id: `replica:bench-app-${i}-r1`,
    kind: 'http',
    address: '127.0.0.1',
    port: PORTS[i % PORTS.length]!,
    path: '/healthz',
    expectStatus: 200,
    intervalMs,
    timeoutMs: 5000,
  }));
  let ok = 0;
  let failed = 0;
  const errors: Record<string, number> = {};
  const prober = new Prober({
    concurrency: 1000,
    onResult: (r) => {
      if (r.ok) ok++;
      else {
        failed++;
        const key = (r.error ?? '').split(':')[0]!;
        errors[key] = (errors[key] ?? 0) + 1;
      }
    },
  });
  prober.set(probes);
  // The first round is measured too: every probe starts at its phase inside it.
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  await new Promise((r) => setTimeout(r, rounds * intervalMs));
  const cpu = process.cpuUsage(cpu0);
  const seconds = (performance.now() - t0) / 1000;
  const result: ChildResult = {
    checks,
    intervalS: intervalMs / 1000,
    seconds,
    started: prober.started,
    ok,
    failed,
    errors,
    latenessP50: prober.latenessQuantile(0.5),
    latenessP99: prober.latenessQuantile(0.99),
    latenessMax: prober.latenessQuantile(1),
    cores: (cpu.user + cpu.system) / 1e6 / seconds,
    rssMb: process.memoryUsage().rss / 2 ** 20,
  };
  await prober.stop();
  process.stdout.write(`${JSON.stringify(result)}\n`);
  process.exit(0);
}

async function waitFor(port: number): Promise<void> {
  for (let i = 0; i < 100; i++) {
    const up = await new Promise<boolean>((resolve) => {
      const s = net.connect(port, '127.0.0.1');
      s.once('connect', () => (s.destroy(), resolve(true)));
      s.once('error', () => resolve(false));
    });
    if (up) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`nothing listens on ${port}`);
}

async function main(): Promise<void> {
  if (spawnSync('nginx', ['-v']).status !== 0) throw new Error('nginx is not installed (scripts/install-system-deps.sh)');
  const dir = mkdtempSync(join(tmpdir(), 'hafen-bench-probes-'));
  const servers = PORTS.map((p) => `server { listen 127.0.0.1:${p} backlog=4096; location = /healthz { return 200 "ok\\n"; } }`).join('\n');
  writeFileSync(join(dir, 'nginx.conf'), `worker_processes 1; daemon off; pid ${dir}/nginx.pid; error_log ${dir}/error.log;\nevents { worker_connections 4096; }\nhttp { access_log off; ${servers} }\n`);
  const nginx = spawn('nginx', ['-c', join(dir, 'nginx.conf'), '-p', dir], { stdio: 'ignore' });
  try {
    for (const p of PORTS) await waitFor(p);
    const args = ['--import', 'tsx', new URL(import.meta.url).pathname, '--child', ...process.argv.slice(2)];
    const out = await new Promise<string>((resolve, reject) => {
      const c = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'inherit'] });
      let text = '';
      c.stdout.on('data', (d: Buffer) => (text += d.toString()));
      c.once('exit', (code) => (code === 0 ? resolve(text) : reject(new Error(`the prober exited with ${code}`))));
    });
    const r = JSON.parse(out.trim().split('\n').pop()!) as ChildResult;
    const expected = (r.checks * r.seconds) / r.intervalS;
    console.log(`\none prober process, ${r.checks.toLocaleString('en')} HTTP checks every ${r.intervalS} s against nginx, ${r.seconds.toFixed(0)} s (${new Date().toISOString().slice(0, 10)})\n`);
    console.log('| measurement | value | target |');
    console.log('|---|---|---|');
    console.log(`| probes started / expected | ${r.started.toLocaleString('en')} / ${Math.round(expected).toLocaleString('en')} | every check every interval |`);
    console.log(`| succeeded / failed | ${r.ok.toLocaleString('en')} / ${r.failed.toLocaleString('en')}${r.failed ? ` (${Object.entries(r.errors).map(([k, v]) => `${k}: ${v}`).join(', ')})` : ''} | |`);
    console.log(`| start lateness p50 / p99 / max (ms) | ${r.latenessP50.toFixed(1)} / ${r.latenessP99.toFixed(1)} / ${r.latenessMax.toFixed(1)} | p99 ≤ 1,000 |`);
    console.log(`| CPU (cores) | ${r.cores.toFixed(2)} | ≤ 1 |`);
    console.log(`| RSS (MB) | ${r.rssMb.toFixed(0)} | |`);
    const met = r.latenessP99 <= 1000 && r.cores <= 1 && r.started >= expected * 0.99;
    console.log(`\nprobe benchmark: ${met ? 'met' : 'MISSED'} (p99 lateness ${r.latenessP99.toFixed(1)} ms, ${r.cores.toFixed(2)} cores)`);
  } finally {
    nginx.kill('SIGTERM');
    await new Promise((r) => setTimeout(r, 300));
    rmSync(dir, { recursive: true, force: true });
  }
}

if (process.argv.includes('--child')) await child();
else await main();
