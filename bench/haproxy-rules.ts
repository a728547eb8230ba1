/**
 * What each rule of hafen's HAProxy config costs: the config rendered for one app (as
 * `hafen proxy --engine haproxy` renders it, one thread), then the same with the lines matching
 * one pattern taken out at a time, each against the minimal config of bench/proxy.ts. wrk
 * (`-t1 -c64`, keep-alive) against one nginx backend serving 1 KiB; best of the rounds.
 *
 * Run: node --import tsx bench/haproxy-rules.ts [--rounds 3] [--seconds 4] [--drop 'retry-on|set-header|lua']
 * Needs nginx, haproxy and wrk (scripts/install-system-deps.sh).
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { HOP_BY_HOP_LUA, renderHaproxy } from '../src/core/render/haproxy.js';

const arg = (name: string, dflt: string) => {
  const at = process.argv.indexOf(`--${name}`);
  return at < 0 ? dflt : process.argv[at + 1]!;
};
const rounds = Number(arg('rounds', '3'));
const seconds = Number(arg('seconds', '4'));
const drops = arg('drop', 'retry-on|set-header|lua\\.|sc0|del-header|tune\\.').split('|');
const PORT = { backend: 18600, proxy: 18601 };
const HOST = 'bench.example.com';
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const dir = mkdtempSync(join(tmpdir(), 'hafen-bench-rules-'));
const children: ChildProcess[] = [];

try {
  chmodSync(dir, 0o755);
  writeFileSync(join(dir, 'index.html'), 'x'.repeat(1024));
  chmodSync(join(dir, 'index.html'), 0o644);
  writeFileSync(join(dir, 'backend.conf'), `worker_processes 1; daemon off; pid ${dir}/nginx.pid; error_log ${dir}/nginx.err; events { worker_connections 4096; } http { access_log off; keepalive_requests 100000; server { listen 127.0.0.1:${PORT.backend} backlog=4096; root ${dir}; } }`);
  children.push(spawn('nginx', ['-c', join(dir, 'backend.conf'), '-p', dir], { stdio: 'ignore' }));
  const table = { revision: 1, routes: [{ host: HOST, pathPrefix: '/', app: 'bench', redirectHttps: false, replicas: [{ id: 'bench-r1', site: 'nue', host: 'h1', address: '127.0.0.1', port: PORT.backend, weight: 100, state: 'active' as const }] }] };
  const rendered = renderHaproxy(table, { site: 'nue', listen: `127.0.0.1:${PORT.proxy}`, dir, threads: 1, accessLog: false });
  writeFileSync(join(dir, 'hop-by-hop.lua'), HOP_BY_HOP_LUA);
  writeFileSync(join(dir, 'hosts.map'), rendered.hostsMap);
  writeFileSync(join(dir, 'wildcards.map'), rendered.wildcardMap);
  writeFileSync(join(dir, 'server-state'), '1\n');
  // Without master-worker: one process to start and kill per measurement.
  const hafen = rendered.config.replace('  master-worker\n', '');
  const minimal = `global\n  nbthread 1\n  maxconn 8000\ndefaults\n  mode http\n  timeout connect 1s\n  timeout client 60s\n  timeout server 60s\n  option forwardfor\n  http-reuse always\nfrontend fe\n  bind 127.0.0.1:${PORT.proxy}\n  default_backend be\nbackend be\n  server b1 127.0.0.1:${PORT.backend}\n`;
  const variants: [string, string][] = [
    ['minimal', minimal],
    ['hafen', hafen],
    ...drops.map((d): [string, string] => [`hafen without /${d}/`, hafen.split('\n').filter((l) => !new RegExp(d).test(l)).join('\n')]),
  ];
  const best = new Map<string, number>();
  for (let r = 0; r < rounds; r++) {
    for (const [name, cfg] of variants) {
      writeFileSync(join(dir, 'haproxy.cfg'), cfg);
      const h = spawn('haproxy', ['-db', '-f', join(dir, 'haproxy.cfg')], { stdio: ['ignore', 'ignore', 'inherit'] });
      await sleep(400);
      const wrk = (s: number) => execFileSync('wrk', ['-t1', '-c64', `-d${s}s`, '-H', `Host: ${HOST}`, `http://127.0.0.1:${PORT.proxy}/`], { encoding: 'utf8' });
      wrk(1);
      const out = wrk(seconds);
      h.kill('SIGKILL');
      await new Promise((res) => h.once('exit', res));
      if (/Non-2xx/.test(out)) throw new Error(`${name}: answers other than 2xx (a rule taken out that the routing needs?)`);
      const rps = Number(/Requests\/sec:\s+([\d.]+)/.exec(out)![1]);
      best.set(name, Math.max(best.get(name) ?? 0, rps));
      console.error(`round ${r + 1}: ${name}: ${rps.toFixed(0)} req/s`);
    }
  }
  const base = best.get('minimal')!;
  console.log(`\nwrk -t1 -c64 -d${seconds}s, best of ${rounds} (${new Date().toISOString().slice(0, 10)})\n`);
  console.log('| config | req/s | × minimal |');
  console.log('|---|---|---|');
  for (const [name, rps] of best) console.log(`| ${name} | ${rps.toFixed(0)} | ${(rps / base).toFixed(2)} |`);
} finally {
  for (const c of children) c.kill();
  rmSync(dir, { recursive: true, force: true });
}
