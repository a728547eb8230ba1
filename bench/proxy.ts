/**
 * Proxy benchmark (budget in docs/benchmarks.md: built-in proxy >= 0.5x HAProxy's req/s on the same machine, one
 * worker each, and ahead of the Node peers).
 *
 * One run, one machine, one 1 KiB backend (nginx serving a static file, one worker). wrk (one
 * thread, keep-alive) measures, in turn: the backend directly, nginx as a proxy, HAProxy (hand
 * configured twice — minimal, and for the same job as hafen's config: bench/peers/haproxy-same-job.ts
 * — and driven by hafen: `hafen proxy --engine haproxy`; one thread each),
 * http-proxy-3 and @fastify/http-proxy (the Node peers), and hafen proxy (access log off, as
 * the peers run without one; a second run with the JSON access log to /dev/null). Every proxy
 * keeps connections to the backend alive. Then a steady 2,000 req/s over 1,000 connections
 * (bench/steady-load.ts; direct, HAProxy, hafen) for the latency a proxy adds, and 5,000 idle
 * keep-alive client connections to a fresh hafen proxy, whose RSS is read.
 *
 * Run: npm run build && node --import tsx bench/proxy.ts [--seconds 8] [--connections 64]
 * Needs nginx, haproxy and wrk (scripts/install-system-deps.sh).
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BIN, ROOT } from '../test/helpers/paths.js';
import { haproxySameJob } from './peers/haproxy-same-job.js';
import { steadyLoad, type SteadyResult } from './steady-load.js';

const arg = (name: string, dflt: number) => {
  const at = process.argv.indexOf(`--${name}`);
  return at < 0 ? dflt : Number(process.argv[at + 1]);
};
const seconds = arg('seconds', 8);
const connections = arg('connections', 64);
const dir = mkdtempSync(join(tmpdir(), 'hafen-bench-proxy-'));
const children: ChildProcess[] = [];
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const HOST = 'bench.example.com';
const PORTS = { backend: 18500, nginx: 18501, haproxy: 18502, httpProxy3: 18503, fastify: 18504, hafen: 18505, hafenLog: 18506, hafenIdle: 18507, hafenHaproxy: 18508, haproxySameJob: 18509 };

function start(cmd: string, args: string[], env: NodeJS.ProcessEnv = {}, stdout: 'ignore' | number = 'ignore'): ChildProcess {
  const c = spawn(cmd, args, { cwd: ROOT, stdio: ['ignore', stdout, 'inherit'], env: { ...process.env, ...env } });
  children.push(c);
  return c;
}

async function waitFor(port: number): Promise<void> {
  for (let i = 0; i < 100; i++) {
    const ok = await new Promise<boolean>((resolve) => {
      const s = net.connect(port, '127.0.0.1', () => (s.destroy(), resolve(true)));
      s.on('error', () => resolve(false));
    });
    if (ok) return;
    await sleep(100);
  }
  throw new Error(`nothing listens on ${port}`);
}

interface Result {
  name: string;
  rps: number;
  p50: number;
  p99: number;
  errors: number;
}

/** wrk's latency figure ("1.23ms", "456.00us", "1.02s") in milliseconds. */
function ms(text: string): number {
  const m = /^([\d.]+)(us|ms|s)$/.exec(text.trim());
  if (!m) return NaN;
  return Number(m[1]) * (m[2] === 'us' ? 0.001 : m[2] === 's' ? 1000 : 1);
}

function wrk(name: string, port: number): Result {
  execFileSync('wrk', ['-t1', '-c', String(connections), '-d', '2s', '-H', `Host: ${HOST}`, `http://127.0.0.1:${port}/`], { stdio: ['ignore', 'ignore', 'inherit'] }); // warm-up (JIT, pools)
  const out = execFileSync('wrk', ['-t1', '-c', String(connections), '-d', `${seconds}s`, '--latency', '-H', `Host: ${HOST}`, `http://127.0.0.1:${port}/`], { encoding: 'utf8' });
  const rps = Number(/Requests\/sec:\s+([\d.]+)/.exec(out)?.[1]);
  const p50 = ms(/ 50%\s+(\S+)/.exec(out)?.[1] ?? '');
  const p99 = ms(/ 99%\s+(\S+)/.exec(out)?.[1] ?? '');
  const errs = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(out);
  const non2xx = Number(/Non-2xx or 3xx responses: (\d+)/.exec(out)?.[1] ?? 0);
  const errors = non2xx + (errs ? errs.slice(1).reduce((n, x) => n + Number(x), 0) : 0);
  return { name, rps, p50, p99, errors };
}

function rssMb(pid: number): number {
  const line = readFileSync(`/proc/${pid}/status`, 'utf8').split('\n').find((l) => l.startsWith('VmRSS:'))!;
  return Number(line.replace(/\D+/g, '')) / 1024;
}

try {
  writeFileSync(join(dir, 'index.html'), 'x'.repeat(1024));
  // nginx's worker runs as an unprivileged user: it must be able to read the file.
  chmodSync(dir, 0o755);
  chmodSync(join(dir, 'index.html'), 0o644);
  const nginxConf = (port: number, body: string) => `worker_processes 1; daemon off; pid ${dir}/nginx-${port}.pid; error_log ${dir}/nginx-${port}.err;
events { worker_connections 4096; }
http { access_log off; keepalive_requests 100000; ${body} }`;
  writeFileSync(join(dir, 'backend.conf'), nginxConf(PORTS.backend, `server { listen 127.0.0.1:${PORTS.backend} backlog=4096; root ${dir}; }`));
  writeFileSync(
    join(dir, 'proxy.conf'),
    nginxConf(PORTS.nginx, `upstream be { server 127.0.0.1:${PORTS.backend}; keepalive 128; } server { listen 127.0.0.1:${PORTS.nginx} backlog=4096; location / { proxy_pass http://be; proxy_http_version 1.1; proxy_set_header Connection ""; proxy_set_header Host $host; proxy_set_header X-Forwarded-For $remote_addr; } }`),
  );
  writeFileSync(
    join(dir, 'haproxy.cfg'),
    `global\n  nbthread 1\n  maxconn 8000\ndefaults\n  mode http\n  timeout connect 1s\n  timeout client 60s\n  timeout server 60s\n  option forwardfor\n  http-reuse always\nfrontend fe\n  bind 127.0.0.1:${PORTS.haproxy}\n  default_backend be\nbackend be\n  server b1 127.0.0.1:${PORTS.backend}\n`,
  );
  writeFileSync(
    join(dir, 'routes.json'),
    JSON.stringify({ revision: 1, routes: [{ host: HOST, app: 'bench', replicas: [{ id: 'bench-r1', site: 'nue', host: 'h1', address: '127.0.0.1', port: PORTS.backend }] }] }),
  );
  start('nginx', ['-c', join(dir, 'backend.conf'), '-p', dir]);
  await waitFor(PORTS.backend);
  const targets: [string, number][] = [['backend (direct)', PORTS.backend]];
  start('nginx', ['-c', join(dir, 'proxy.conf'), '-p', dir]);
  start('haproxy', ['-f', join(dir, 'haproxy.cfg'), '-db']);
  start('haproxy', ['-f', haproxySameJob(dir, { port: PORTS.haproxySameJob, host: HOST, backendPort: PORTS.backend }), '-db']);
  start(process.execPath, [join(ROOT, 'bench', 'peers', 'http-proxy-3.mjs'), String(PORTS.httpProxy3), String(PORTS.backend)]);
  start(process.execPath, [join(ROOT, 'bench', 'peers', 'fastify-http-proxy.mjs'), String(PORTS.fastify), String(PORTS.backend)]);
  const hafen = start(process.execPath, [BIN, 'proxy', '--routes', join(dir, 'routes.json'), '--site', 'nue', '--listen', `127.0.0.1:${PORTS.hafen}`, '--admin', '127.0.0.1:18515', '--quiet', '--max-connections-per-client', '10000']);
  start(process.execPath, [BIN, 'proxy', '--routes', join(dir, 'routes.json'), '--site', 'nue', '--listen', `127.0.0.1:${PORTS.hafenLog}`, '--admin', '127.0.0.1:18516'], {}, openSync('/dev/null', 'w'));
  // HAProxy driven by hafen (its config rendered from the same route table, health checks and
  // header hygiene included), one thread like the hand-written one.
  start(process.execPath, [BIN, 'proxy', '--engine', 'haproxy', '--routes', join(dir, 'routes.json'), '--site', 'nue', '--data', join(dir, 'hafen-haproxy'), '--listen', `127.0.0.1:${PORTS.hafenHaproxy}`, '--admin', '127.0.0.1:18518', '--quiet', '--haproxy-threads', '1', '--max-connections-per-client', '10000']);
  for (const p of [PORTS.nginx, PORTS.haproxy, PORTS.httpProxy3, PORTS.fastify, PORTS.hafen, PORTS.hafenLog, PORTS.hafenHaproxy, PORTS.haproxySameJob]) await waitFor(p);
  targets.push(['nginx', PORTS.nginx], ['HAProxy', PORTS.haproxy], ['HAProxy, same job by hand', PORTS.haproxySameJob], ['hafen-driven HAProxy', PORTS.hafenHaproxy], ['http-proxy-3', PORTS.httpProxy3], ['@fastify/http-proxy', PORTS.fastify], ['hafen proxy', PORTS.hafen], ['hafen proxy + access log', PORTS.hafenLog]);

  const results: Result[] = [];
  for (const [name, port] of targets) {
    const r = wrk(name, port);
    results.push(r);
    console.error(`${name}: ${r.rps.toFixed(0)} req/s`);
  }
  const haproxy = results.find((r) => r.name === 'HAProxy')!;
  const direct = results[0]!;
  console.log(`\nwrk -t1 -c${connections} -d${seconds}s, 1 KiB response, one worker each (${new Date().toISOString().slice(0, 10)})\n`);
  console.log('| target | req/s | × HAProxy | p50 ms | p99 ms | p99 added vs direct | errors |');
  console.log('|---|---|---|---|---|---|---|');
  for (const r of results) {
    console.log(`| ${r.name} | ${r.rps.toFixed(0)} | ${(r.rps / haproxy.rps).toFixed(2)} | ${r.p50.toFixed(2)} | ${r.p99.toFixed(2)} | ${r === direct ? '' : (r.p99 - direct.p99).toFixed(2)} | ${r.errors} |`);
  }
  const mine = results.find((r) => r.name === 'hafen proxy')!;
  const peers = results.filter((r) => r.name === 'http-proxy-3' || r.name === '@fastify/http-proxy');
  const driven = results.find((r) => r.name === 'hafen-driven HAProxy')!;
  const sameJob = results.find((r) => r.name === 'HAProxy, same job by hand')!;
  console.log(`\nhafen-driven HAProxy: ${(driven.rps / sameJob.rps).toFixed(2)}x HAProxy configured by hand for the same job (target: the same throughput, >= 0.9: ${driven.rps >= 0.9 * sameJob.rps ? 'met' : 'MISSED'}); ${(driven.rps / haproxy.rps).toFixed(2)}x the minimal config (the job's own cost: same job by hand ${(sameJob.rps / haproxy.rps).toFixed(2)}x)`);
  console.log(`hafen proxy: ${(mine.rps / haproxy.rps).toFixed(2)}x HAProxy (target >= 0.5: ${mine.rps >= 0.5 * haproxy.rps ? 'met' : 'MISSED'}); ahead of the Node peers: ${peers.every((p) => mine.rps > p.rps) ? 'yes' : 'NO'}`);

  // Added latency at a steady 2,000 req/s over 1,000 connections (bench/steady-load.ts: the
  // connections are opened first, then requests go out on a fixed schedule after a 3 s warm-up
  // and are timed from when they were meant to be sent).
  const steadyRuns: (SteadyResult & { name: string })[] = [];
  const steadyTargets = [['backend (direct)', PORTS.backend], ['HAProxy', PORTS.haproxy], ['hafen proxy', PORTS.hafen]] as const;
  for (const [name, port] of steadyTargets) {
    steadyRuns.push({ name, ...(await steadyLoad({ port, host: HOST, rate: 2000, connections: 1000, seconds, warmupSeconds: 3 })) });
  }
  console.log(`\nsteady load: 2,000 req/s over 1,000 connections opened beforehand, 3 s warm-up, ${seconds} s measured, timed from the intended send time\n`);
  console.log('| target | answered | errors | p50 ms | p90 ms | p99 ms | p99 added vs direct |');
  console.log('|---|---|---|---|---|---|---|');
  for (const r of steadyRuns) console.log(`| ${r.name} | ${r.answered} | ${r.errors} | ${r.p50.toFixed(2)} | ${r.p90.toFixed(2)} | ${r.p99.toFixed(2)} | ${r === steadyRuns[0] ? '' : (r.p99 - steadyRuns[0]!.p99).toFixed(2)} |`);
  const added = steadyRuns[2]!.p99 - steadyRuns[0]!.p99;
  console.log(`\nhafen proxy adds ${added.toFixed(2)} ms at p99 (target <= 2 ms: ${added <= 2 ? 'met' : 'MISSED'}); HAProxy adds ${(steadyRuns[1]!.p99 - steadyRuns[0]!.p99).toFixed(2)} ms`);

  // 5,000 idle keep-alive connections, each after one request, to a fresh proxy (what the
  // connections cost, not what the load before left on the heap).
  const idle = start(process.execPath, [BIN, 'proxy', '--routes', join(dir, 'routes.json'), '--site', 'nue', '--listen', `127.0.0.1:${PORTS.hafenIdle}`, '--admin', '127.0.0.1:18517', '--quiet', '--max-connections-per-client', '10000']);
  await waitFor(PORTS.hafenIdle);
  const base = rssMb(idle.pid!);
  const sockets: net.Socket[] = [];
  for (let i = 0; i < 5000; i++) {
    const s = net.connect(PORTS.hafenIdle, '127.0.0.1');
    s.on('error', () => {});
    s.write(`GET / HTTP/1.1\r\nHost: ${HOST}\r\n\r\n`);
    s.resume();
    sockets.push(s);
    if (i % 500 === 499) await sleep(200);
  }
  await sleep(2000);
  const open = sockets.filter((s) => !s.destroyed).length;
  const rss = rssMb(idle.pid!);
  console.log(`hafen proxy holding ${open} idle keep-alive connections: RSS ${rss.toFixed(0)} MB, ${base.toFixed(0)} MB before them (target <= 150 MB: ${rss <= 150 ? 'met' : 'MISSED'})`);
  console.log(`(the proxy that took the load above: ${rssMb(hafen.pid!).toFixed(0)} MB)`);
  for (const s of sockets) s.destroy();
} finally {
  for (const c of children.reverse()) c.kill('SIGTERM');
  await sleep(500);
  rmSync(dir, { recursive: true, force: true });
}
