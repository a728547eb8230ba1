/**
 * HAProxy driven by hafen: renders haproxy.cfg and its maps from the route table (core
 * render/haproxy.ts), runs HAProxy in master-worker mode, and applies route-table changes the
 * cheapest safe way: servers (added, removed, moved, weighted, drained) and exact host names of
 * existing backends through the Runtime API (plan.ts), anything structural (backends, routes,
 * wildcards, checks, site preference) by a hitless reload (SIGUSR2 to the master: the new
 * worker takes the listeners from the old one, which finishes its requests) with the servers'
 * states saved to the server-state file first, so health survives the reload. HTTPS certificates come from hafen's certificate
 * directory, watched; renewed, new and removed ones go through the Runtime API (certs.ts).
 * Each app's try timeout is kept in try.map, derived every 5 s from the servers' answers
 * (try-timeouts.ts) and changed through the Runtime API.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, watch, writeFileSync, type FSWatcher } from 'node:fs';
import net from 'node:net';
import { join, resolve } from 'node:path';
import { HOP_BY_HOP_LUA, renderHaproxy, TRY_MAP, type HaproxyConfig, type HaproxyOptions } from '../../core/render/haproxy.js';
import type { RouteTable } from '../../core/render/routes.js';
import { writeFileIfChanged } from '../../lib/fs.js';
import { HafenError } from '../../lib/errors.js';
import type { CertProblem } from '../certs.js';
import { certSteps, crtList, pemHash, readCertPairs } from './certs.js';
import { mapSteps, REFUSED, runtimePlan, type RuntimeStep } from './plan.js';
import { parseStat, runtimeCommand, type StatRow } from './runtime.js';
import { TryTimeouts } from './try-timeouts.js';

/** How often the try timeouts are derived anew (one window of answers). */
const TRY_WINDOW_MS = 5000;

export interface HaproxyEngineOptions extends Omit<HaproxyOptions, 'tls'> {
  /** HTTPS on `listen` with the certificates of `certs` (NAME.crt + NAME.key, "_.example.com" for the wildcard; watched). */
  tls?: { listen: string; certs: string };
  /** Called with the names served after every read of the certificate directory, and the pairs that did not load. */
  onCerts?: (names: string[], problems: CertProblem[]) => void;
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
  /** Certificates HAProxy holds: bundle file → hash of its PEM. */
  private certs = new Map<string, string>();
  private certWatcher?: FSWatcher;
  private certTimer?: NodeJS.Timeout;
  /** Servers out of the table, in maintenance until HAProxy lets them be deleted: "backend/server" → since. */
  private removing = new Map<string, number>();
  private removeTimer?: NodeJS.Timeout;
  /** Route-table updates, certificate changes and try timeouts, one at a time (any may reload). */
  private queue: Promise<unknown> = Promise.resolve();
  private readonly tries: TryTimeouts;
  /** try.map as HAProxy holds it. */
  private tryText: string;
  private tryTimer?: NodeJS.Timeout;
  private closed = false;

  private constructor(
    private readonly o: HaproxyEngineOptions,
    private readonly child: ChildProcess,
    first: HaproxyConfig,
    readonly url: string,
    tries: TryTimeouts,
  ) {
    this.current = first;
    this.tries = tries;
    this.tryText = tries.mapText(first.backends);
  }

  private get socket(): string {
    return join(this.o.dir, 'admin.sock');
  }

  /** The HTTPS address, when serving HTTPS. */
  get tlsUrl(): string | undefined {
    return this.o.tls ? `https://${this.o.tls.listen}` : undefined;
  }

  static async start(table: RouteTable, options: HaproxyEngineOptions): Promise<HaproxyEngine> {
    // HAProxy reads a relative socket path as host:port: every path it is given is absolute.
    const o = { ...options, dir: resolve(options.dir) };
    mkdirSync(o.dir, { recursive: true, mode: 0o700 });
    const first = renderHaproxy(table, renderOptions(o));
    const tries = new TryTimeouts();
    await writeFiles(o.dir, first, tries.mapText(first.backends));
    const certs = o.tls ? await writeCerts(o) : undefined;
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
    const engine = new HaproxyEngine(o, child, first, `http://${o.listen}`, tries);
    if (certs) engine.certs = certs;
    const end = Date.now() + 10_000;
    for (;;) {
      const gone = await Promise.race([exited, sleep(100).then(() => undefined)]);
      if (gone !== undefined) throw new HafenError('HAFEN_HAPROXY_START', `haproxy exited (${gone}) at start:\n${output.trim()}`);
      if ((await engine.info().catch(() => undefined))?.Pid) {
        engine.watchCerts();
        engine.deriveTryTimeouts();
        return engine;
      }
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

  private serial<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.queue.then(fn, fn);
    this.queue = run.catch(() => undefined);
    return run;
  }

  /** Takes a new route table: at run time when only servers and exact host names changed, else by a hitless reload. */
  update(table: RouteTable): Promise<'runtime' | 'reload' | 'none'> {
    return this.serial(() => this.apply(table));
  }

  private async apply(table: RouteTable): Promise<'runtime' | 'reload' | 'none'> {
    const next = renderHaproxy(table, renderOptions(this.o));
    const plan = runtimePlan(this.current, next, join(this.o.dir, 'hosts.map'));
    if ('reload' in plan) {
      await this.reload(next);
      return 'reload';
    }
    const tryText = this.tryTextFor(next);
    const steps: RuntimeStep[] = [...plan.steps, ...mapSteps(join(this.o.dir, TRY_MAP), this.tryText, tryText).map((command) => ({ command }))];
    if (steps.length === 0) return 'none';
    await writeFiles(this.o.dir, next, tryText);
    for (const step of steps) {
      const answer = (await runtimeCommand(this.socket, step.command)).trim();
      // A refused change is made by a reload instead, so HAProxy never lags what hafen thinks it runs.
      if (step.ok ? !step.ok.test(answer) : REFUSED.test(answer)) {
        this.o.onOutput?.(`runtime API refused "${step.command}" (${answer}); reloading instead`);
        await this.reload(next);
        return 'reload';
      }
    }
    this.current = next;
    this.tryText = tryText;
    for (const k of plan.remove) this.removing.set(k, Date.now());
    await this.deleteRemoved();
    return 'runtime';
  }

  /**
   * Deletes servers taken out of the table once they hold no connection (HAProxy refuses before);
   * until then they stay in maintenance, taking nothing new. Retried every second; a server
   * still busy after a minute (a long tunnel) stays in maintenance until the next reload.
   */
  private async deleteRemoved(): Promise<void> {
    clearTimeout(this.removeTimer);
    for (const [k, since] of this.removing) {
      const answer = (await runtimeCommand(this.socket, `del server ${k}`)).trim();
      if (/Server deleted/.test(answer) || /No such|does not exist/i.test(answer) || Date.now() - since > 60_000) this.removing.delete(k);
    }
    if (this.removing.size > 0) {
      this.removeTimer = setTimeout(() => void this.serial(() => this.deleteRemoved()).catch((err: Error) => this.o.onOutput?.(`removing servers: ${err.message}`)), 1000);
      this.removeTimer.unref();
    }
  }

  private async reload(next: HaproxyConfig): Promise<void> {
    const before = (await this.info()).Pid;
    // The servers' states (health, weights) go to the new worker through the state file.
    writeFileSync(join(this.o.dir, 'server-state'), await runtimeCommand(this.socket, 'show servers state'));
    const tryText = this.tryTextFor(next);
    await writeFiles(this.o.dir, next, tryText);
    // A config HAProxy would refuse is never handed to it: the old files come back, the old worker serves on.
    const check = await checkConfig(this.o.binary ?? 'haproxy', join(this.o.dir, 'haproxy.cfg'));
    if (check) {
      await writeFiles(this.o.dir, this.current, this.tryText);
      throw new HafenError('HAFEN_HAPROXY_CONFIG', `HAProxy refuses the rendered configuration; the previous one stays:\n${check}`);
    }
    // Servers waiting to be deleted are not in the new config.
    this.removing.clear();
    this.child.kill('SIGUSR2');
    const end = Date.now() + 10_000;
    for (;;) {
      const pid = (await this.info().catch(() => undefined))?.Pid;
      if (pid !== undefined && pid !== before) break;
      if (Date.now() > end) throw new HafenError('HAFEN_HAPROXY_RELOAD', 'haproxy did not come back within 10 s after a reload (see its output; the old worker keeps serving)');
      await sleep(50);
    }
    this.current = next;
    this.tryText = tryText;
    this.reloads++;
  }

  /** try.map for the backends of `next` (those gone are forgotten). */
  private tryTextFor(next: HaproxyConfig): string {
    this.tries.keepOnly(next.backends);
    return this.tries.mapText(next.backends);
  }

  /**
   * Every window: the slowest answer of each server since the last one (then `clear counters`
   * starts the next), and the try timeouts that changed handed to HAProxy (try-timeouts.ts).
   */
  private deriveTryTimeouts(): void {
    this.tryTimer = setTimeout(() => {
      void this.serial(async () => {
        const rows = await this.stats();
        await runtimeCommand(this.socket, 'clear counters');
        this.tries.observe(rows, (backend) => this.tries.timeoutMs(this.current.backends.find((b) => b.name === backend) ?? { name: backend }));
        const text = this.tries.mapText(this.current.backends);
        const file = join(this.o.dir, TRY_MAP);
        for (const command of mapSteps(file, this.tryText, text)) {
          const answer = (await runtimeCommand(this.socket, command)).trim();
          if (REFUSED.test(answer)) throw new Error(`runtime API refused "${command}" (${answer})`);
        }
        await writeFileIfChanged(file, text, 0o600);
        this.tryText = text;
      })
        .catch((err: Error) => this.o.onOutput?.(`try timeouts: ${err.message}`))
        .finally(() => {
          if (!this.closed) this.deriveTryTimeouts();
        });
    }, TRY_WINDOW_MS);
    this.tryTimer.unref();
  }

  /** Each app's try timeout (ms) as HAProxy holds it now (`show map` of try.map), by backend. */
  async tryTimeouts(): Promise<Map<string, number>> {
    const text = await runtimeCommand(this.socket, `show map ${join(this.o.dir, TRY_MAP)}`);
    // Lines: "<entry id> <key> <value>".
    return new Map(text.split('\n').map((l) => l.trim().split(' ')).filter((f) => f.length === 3).map(([, k, v]) => [k!, Number(v)]));
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

  private watchCerts(): void {
    if (!this.o.tls) return;
    try {
      this.certWatcher = watch(this.o.tls.certs, () => {
        clearTimeout(this.certTimer);
        this.certTimer = setTimeout(() => void this.syncCerts().catch((err: Error) => this.o.onOutput?.(`certificates: ${err.message}`)), 200);
      });
    } catch (err) {
      this.o.onOutput?.(`certificates: cannot watch ${this.o.tls.certs} (${(err as Error).message}); read at start only`);
    }
  }

  /**
   * Reads the certificate directory again and hands HAProxy what changed through the Runtime
   * API; a step HAProxy refuses is made by a reload instead (the files are already written).
   */
  syncCerts(): Promise<'runtime' | 'reload' | 'none'> {
    return this.serial(async () => {
      const had = this.certs;
      const list = join(this.o.dir, 'certs.list');
      const read = readCertPairs(this.o.tls!.certs, join(this.o.dir, 'certs'));
      const steps = certSteps(had, read.bundles, list);
      if (steps.length === 0) {
        // Nothing to hand HAProxy, but a pair that does not load is still worth saying.
        if (read.problems.length > 0) this.o.onCerts?.(read.bundles.map((b) => b.sni), read.problems);
        return 'none';
      }
      this.certs = await writeCerts(this.o, read);
      let how: 'runtime' | 'reload' = 'runtime';
      for (const step of steps) {
        const answer = (await runtimeCommand(this.socket, step.command)).trim();
        if (!step.ok.test(answer)) {
          // HAProxy's answer names the file at most; the command (with the key) is never shown.
          this.o.onOutput?.(`runtime API refused to ${step.what} (${answer.split('\n')[0]}); reloading instead`);
          await this.reload(this.current);
          how = 'reload';
          break;
        }
      }
      removeStale(join(this.o.dir, 'certs'), this.certs);
      return how;
    });
  }

  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.tryTimer);
    clearTimeout(this.certTimer);
    clearTimeout(this.removeTimer);
    this.certWatcher?.close();
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

/** The renderer's options: the crt-list in HAProxy's directory stands for the certificate directory. */
function renderOptions(o: HaproxyEngineOptions): HaproxyOptions {
  const { tls, ...rest } = o;
  return { ...rest, ...(tls ? { tls: { listen: tls.listen, crtList: join(o.dir, 'certs.list') } } : {}) };
}

/** Writes every pair of the certificate directory as a bundle and the crt-list naming them; reports what the directory holds. */
async function writeCerts(o: HaproxyEngineOptions, read = readCertPairs(o.tls!.certs, join(o.dir, 'certs'))): Promise<Map<string, string>> {
  mkdirSync(join(o.dir, 'certs'), { recursive: true, mode: 0o700 });
  const { bundles, problems } = read;
  for (const b of bundles) await writeFileIfChanged(b.file, b.pem, 0o600);
  await writeFileIfChanged(join(o.dir, 'certs.list'), crtList(bundles), 0o600);
  o.onCerts?.(bundles.map((b) => b.sni), problems);
  return new Map(bundles.map((b) => [b.file, pemHash(b.pem)]));
}

/** Bundles of pairs no longer in the certificate directory. */
function removeStale(dir: string, keep: ReadonlyMap<string, string>): void {
  for (const f of existsSync(dir) ? readdirSync(dir) : []) if (!keep.has(join(dir, f))) rmSync(join(dir, f), { force: true });
}

/** Writes the config's files and try.map (each atomically; the config last, so it never names a map not yet written). */
async function writeFiles(dir: string, c: HaproxyConfig, tryText: string): Promise<void> {
  await writeFileIfChanged(join(dir, 'hop-by-hop.lua'), HOP_BY_HOP_LUA, 0o600);
  await writeFileIfChanged(join(dir, TRY_MAP), tryText, 0o600);
  await writeFileIfChanged(join(dir, 'hosts.map'), c.hostsMap, 0o600);
  await writeFileIfChanged(join(dir, 'wildcards.map'), c.wildcardMap, 0o600);
  await writeFileIfChanged(join(dir, 'haproxy.cfg'), c.config, 0o600);
}
