/**
 * HAProxy driven by hafen: renders haproxy.cfg and its maps from the route table (core
 * render/haproxy.ts), runs HAProxy in master-worker mode, and applies route-table changes the
 * cheapest safe way: weights and drains (server weights) and exact host names of existing
 * backends through the Runtime API, anything structural (backends, servers, wildcards, checks)
 * by a hitless reload (SIGUSR2 to the master: the new worker takes the listeners from the old
 * one, which finishes its requests) with the servers' states saved to the server-state file
 * first, so health survives the reload.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { join } from 'node:path';
import { HOP_BY_HOP_LUA, renderHaproxy, type HaproxyConfig, type HaproxyOptions } from '../../core/render/haproxy.js';
import type { RouteTable } from '../../core/render/routes.js';
import { writeFileIfChanged } from '../../lib/fs.js';
import { HafenError } from '../../lib/errors.js';
import { parseStat, runtimeCommand, type StatRow } from './runtime.js';

export interface HaproxyEngineOptions extends HaproxyOptions {
  /** The haproxy binary (default: haproxy on the PATH). */
  binary?: string;
  /** HAProxy's own output (startup warnings, alerts, the request log), line by line. */
  onOutput?: (line: string) => void;
}

export interface ReplicaView {
  replica: string;
  app: string;
  site: string;
  /** As HAProxy's checks see it (a server without checks counts as up). */
  up: boolean;
  /** HAProxy's status word: UP, DOWN, "UP 1/2" (going down), NOLB, MAINT, … */
  status: string;
  weight: number;
  /** Requests on it now (its current sessions). */
  inflight: number;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** "host:port" for HAProxy's bind line; port 0 (any) becomes a port free right now, as HAProxy needs a fixed one. */
export async function freeListen(a: { host: string; port: number }): Promise<string> {
  if (a.port !== 0) return `${a.host}:${a.port}`;
  const port = await new Promise<number>((resolve, reject) => {
    const s = net.createServer().once('error', reject).listen(0, a.host, () => {
      const { port: p } = s.address() as net.AddressInfo;
      s.close(() => resolve(p));
    });
  });
  return `${a.host}:${port}`;
}

export class HaproxyEngine {
  private current: HaproxyConfig;
  private reloads = 0;

  private constructor(
    private readonly o: HaproxyEngineOptions,
    private readonly child: ChildProcess,
    first: HaproxyConfig,
    readonly url: string,
  ) {
    this.current = first;
  }

  private get socket(): string {
    return join(this.o.dir, 'admin.sock');
  }

  static async start(table: RouteTable, o: HaproxyEngineOptions): Promise<HaproxyEngine> {
    mkdirSync(o.dir, { recursive: true, mode: 0o700 });
    const first = renderHaproxy(table, o);
    await writeFiles(o.dir, first);
    // No servers' states yet: an empty state file of format 1 (HAProxy warns about a missing one).
    if (!existsSync(join(o.dir, 'server-state'))) writeFileSync(join(o.dir, 'server-state'), '1\n');
    const cfg = join(o.dir, 'haproxy.cfg');
    const pidFile = join(o.dir, 'haproxy.pid');
    await stopStale(pidFile, cfg);
    const child = spawn(o.binary ?? 'haproxy', ['-W', '-db', '-f', cfg, '-p', pidFile], { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    const onData = (d: Buffer) => {
      output = (output + d.toString()).slice(-4000);
      if (o.onOutput) for (const line of d.toString().split('\n')) if (line.trim()) o.onOutput(line);
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
    const engine = new HaproxyEngine(o, child, first, `http://${o.listen}`);
    const end = Date.now() + 10_000;
    for (;;) {
      const gone = await Promise.race([exited, sleep(100).then(() => undefined)]);
      if (gone !== undefined) throw new HafenError('HAFEN_HAPROXY_START', `haproxy exited (${gone}) at start:\n${output.trim()}`);
      if ((await engine.info().catch(() => undefined))?.Pid) return engine;
      if (Date.now() > end) {
        child.kill('SIGKILL');
        throw new HafenError('HAFEN_HAPROXY_START', `haproxy did not answer on ${engine.socket} within 10 s:\n${output.trim()}`);
      }
    }
  }

  /** `show info` as a record. */
  async info(): Promise<Record<string, string>> {
    const text = await runtimeCommand(this.socket, 'show info');
    return Object.fromEntries(text.split('\n').filter((l) => l.includes(': ')).map((l) => [l.slice(0, l.indexOf(': ')), l.slice(l.indexOf(': ') + 2)]));
  }

  async stats(): Promise<StatRow[]> {
    return parseStat(await runtimeCommand(this.socket, 'show stat'));
  }

  /** Reloads since start (for tests and the status report). */
  get reloadCount(): number {
    return this.reloads;
  }

  /** Takes a new route table: at run time when only weights and exact host names changed, else by a hitless reload. */
  async update(table: RouteTable): Promise<'runtime' | 'reload' | 'none'> {
    const next = renderHaproxy(table, this.o);
    const prev = this.current;
    if (next.structureHash !== prev.structureHash || next.wildcardMap !== prev.wildcardMap) {
      await this.reload(next);
      return 'reload';
    }
    const commands: string[] = [];
    const had = new Map(prev.servers.map((s) => [`${s.backend}/${s.server}`, s.weight]));
    for (const s of next.servers) if (had.get(`${s.backend}/${s.server}`) !== s.weight) commands.push(`set server ${s.backend}/${s.server} weight ${s.weight}`);
    const map = join(this.o.dir, 'hosts.map');
    const before = mapEntries(prev.hostsMap);
    const after = mapEntries(next.hostsMap);
    for (const [k, v] of after) if (before.get(k) !== v) commands.push(before.has(k) ? `set map ${map} ${k} ${v}` : `add map ${map} ${k} ${v}`);
    for (const k of before.keys()) if (!after.has(k)) commands.push(`del map ${map} ${k}`);
    if (commands.length === 0) return 'none';
    await writeFiles(this.o.dir, next);
    for (const c of commands) {
      const answer = (await runtimeCommand(this.socket, c)).trim();
      // Success is silent, or "…weight…" notes; HAProxy reports errors in words. A refused
      // change is made by a reload instead, so HAProxy never lags what hafen thinks it runs.
      if (/^(No such|Unknown|Require|Invalid|.*not found)/i.test(answer)) {
        this.o.onOutput?.(`runtime API refused "${c}" (${answer}); reloading instead`);
        await this.reload(next);
        return 'reload';
      }
    }
    this.current = next;
    return 'runtime';
  }

  private async reload(next: HaproxyConfig): Promise<void> {
    const before = (await this.info()).Pid;
    // The servers' states (health, weights) go to the new worker through the state file.
    writeFileSync(join(this.o.dir, 'server-state'), await runtimeCommand(this.socket, 'show servers state'));
    await writeFiles(this.o.dir, next);
    // A config HAProxy would refuse is never handed to it: the old files come back, the old worker serves on.
    const check = await checkConfig(this.o.binary ?? 'haproxy', join(this.o.dir, 'haproxy.cfg'));
    if (check) {
      await writeFiles(this.o.dir, this.current);
      throw new HafenError('HAFEN_HAPROXY_CONFIG', `HAProxy refuses the rendered configuration; the previous one stays:\n${check}`);
    }
    this.child.kill('SIGUSR2');
    const end = Date.now() + 10_000;
    for (;;) {
      const pid = (await this.info().catch(() => undefined))?.Pid;
      if (pid !== undefined && pid !== before) break;
      if (Date.now() > end) throw new HafenError('HAFEN_HAPROXY_RELOAD', 'haproxy did not come back within 10 s after a reload (see its output; the old worker keeps serving)');
      await sleep(50);
    }
    this.current = next;
    this.reloads++;
  }

  /** Each replica as HAProxy's checks see it (from `rows` of show stat, or a fresh sample). */
  async replicas(rows?: readonly StatRow[]): Promise<ReplicaView[]> {
    rows ??= await this.stats();
    const byKey = new Map(rows.map((r) => [`${r.pxname}/${r.svname}`, r]));
    return this.current.servers.map((s) => {
      const row = byKey.get(`${s.backend}/${s.server}`);
      const status = row?.status ?? 'unknown';
      return { replica: s.replica, app: s.app, site: s.site, status, up: /^(UP|no check|DRAIN|NOLB)/.test(status), weight: Number(row?.weight ?? s.weight), inflight: Number(row?.scur) || 0 };
    });
  }

  async close(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    const exited = new Promise((r) => this.child.once('exit', r));
    this.child.kill('SIGTERM');
    const done = await Promise.race([exited.then(() => true), sleep(5000).then(() => false)]);
    if (!done) {
      this.child.kill('SIGKILL');
      await exited;
    }
  }
}

/** `haproxy -c`: undefined when the config is valid, else what HAProxy says about it. */
function checkConfig(binary: string, cfg: string): Promise<string | undefined> {
  return new Promise((resolve) => {
    const c = spawn(binary, ['-c', '-q', '-f', cfg], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    c.stdout!.on('data', (d: Buffer) => (out += d.toString()));
    c.stderr!.on('data', (d: Buffer) => (out += d.toString()));
    c.on('error', (err) => resolve(err.message));
    c.on('close', (code) => resolve(code === 0 ? undefined : out.trim() || `haproxy -c exited with ${code}`));
  });
}

/**
 * An HAProxy left running from this directory by a hafen proxy that died (it holds the ports):
 * stopped before a new one starts. Only a process whose command line names this config.
 */
async function stopStale(pidFile: string, cfg: string): Promise<void> {
  let pid: number;
  try {
    pid = Number(readFileSync(pidFile, 'utf8').trim());
    if (!Number.isInteger(pid) || pid <= 1 || !readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(cfg)) return;
  } catch {
    return;
  }
  process.kill(pid, 'SIGTERM');
  for (let i = 0; i < 50; i++) {
    if (!existsSync(`/proc/${pid}`) || readFileSync(`/proc/${pid}/stat`, 'utf8').split(' ')[2] === 'Z') return;
    await sleep(100);
  }
  process.kill(pid, 'SIGKILL');
}

function mapEntries(text: string): Map<string, string> {
  return new Map(text.split('\n').filter(Boolean).map((l) => l.split(' ', 2) as [string, string]));
}

/** Writes the config's files (each atomically; the config last, so it never names a map not yet written). */
async function writeFiles(dir: string, c: HaproxyConfig): Promise<void> {
  await writeFileIfChanged(join(dir, 'hop-by-hop.lua'), HOP_BY_HOP_LUA, 0o600);
  await writeFileIfChanged(join(dir, 'hosts.map'), c.hostsMap, 0o600);
  await writeFileIfChanged(join(dir, 'wildcards.map'), c.wildcardMap, 0o600);
  await writeFileIfChanged(join(dir, 'haproxy.cfg'), c.config, 0o600);
}
