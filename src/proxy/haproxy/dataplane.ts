/**
 * HAProxy as the data plane `hafen proxy --engine haproxy` follows the controller with: the
 * engine (engine.ts) plus what the controller wants to hear: each replica's health as HAProxy's
 * checks see it, and the requests per app (the backends' req_tot and 5xx counters, as deltas
 * between samples; a reload starts them again from zero) and the connections open, sampled
 * every second. On the admin address HAProxy serves /metrics itself and hands /healthz and
 * /replicas (as the built-in engine answers them) to hafen over a UNIX socket.
 */
import { mkdirSync, rmSync } from 'node:fs';
import http from 'node:http';
import { resolve } from 'node:path';
import type { ProxyReplicaView } from '../../client/client.js';
import type { RouteTable } from '../../core/render/routes.js';
import type { DataPlane } from '../follow.js';
import type { TrafficCounter } from '../traffic.js';
import { adminAnswer } from '../admin.js';
import { HaproxyEngine, type HaproxyEngineOptions } from './engine.js';
import type { StatRow } from './runtime.js';

const SAMPLE_MS = 1000;

export class HaproxyDataPlane implements DataPlane {
  revision: number;
  private view: ProxyReplicaView[] = [];
  private hosts = new Map<string, string>();
  private counters = new Map<string, { requests: number; errors: number }>();
  private timer?: NodeJS.Timeout;
  private admin?: http.Server;

  private constructor(
    readonly engine: HaproxyEngine,
    table: RouteTable,
    private readonly traffic: TrafficCounter,
    private readonly log: (msg: string, extra?: Record<string, unknown>) => void,
  ) {
    this.revision = table.revision;
    this.remember(table);
  }

  static async start(table: RouteTable, o: HaproxyEngineOptions, traffic: TrafficCounter, log: (msg: string, extra?: Record<string, unknown>) => void): Promise<HaproxyDataPlane> {
    let dp: HaproxyDataPlane | undefined;
    mkdirSync(o.dir, { recursive: true, mode: 0o700 });
    const adminSocket = resolve(o.dir, 'hafen-admin.sock');
    const admin = o.admin ? await listenAdmin(adminSocket, () => dp) : undefined;
    try {
      dp = new HaproxyDataPlane(await HaproxyEngine.start(table, { ...o, ...(admin ? { adminSocket } : {}) }), table, traffic, log);
    } catch (err) {
      admin?.close();
      throw err;
    }
    if (admin) dp.admin = admin;
    await dp.sample();
    dp.timer = setInterval(() => void dp.sample().catch((err: Error) => log(`haproxy statistics: ${err.message}`)), SAMPLE_MS);
    dp.timer.unref();
    return dp;
  }

  get url(): string {
    return this.engine.url;
  }

  get tlsUrl(): string | undefined {
    return this.engine.tlsUrl;
  }

  private remember(table: RouteTable): void {
    this.hosts = new Map(table.routes.flatMap((r) => r.replicas.map((x) => [x.id, x.host] as const)));
  }

  async update(table: RouteTable): Promise<void> {
    const how = await this.engine.update(table);
    this.revision = table.revision;
    this.remember(table);
    if (how !== 'none') this.log(`route table ${table.revision} applied by ${how === 'reload' ? 'a hitless reload' : 'the runtime API'}`, { revision: table.revision, how });
  }

  health(): ProxyReplicaView[] {
    return this.view;
  }

  /** One sample of HAProxy's statistics: replica states, request counts, open connections. */
  async sample(now = new Date()): Promise<void> {
    const rows = await this.engine.stats();
    const replicas = await this.engine.replicas(rows);
    const was = new Map(this.view.map((v) => [v.id, v.up]));
    for (const r of replicas) {
      if (was.has(r.replica) && was.get(r.replica) !== r.up) this.log(`replica ${r.replica} ${r.up ? 'up' : 'down'} (${r.status})`, { replica: r.replica, status: r.status });
    }
    this.view = replicas.map((r) => ({ id: r.replica, site: r.site, host: this.hosts.get(r.replica) ?? '', up: r.up, ejected: false, inflight: r.inflight }));
    this.count(rows, now);
  }

  private count(rows: readonly StatRow[], now: Date): void {
    const front = rows.find((r) => r.svname === 'FRONTEND' && r.pxname === 'hafen');
    if (front) this.traffic.connectionsNow(Number(front.scur) || 0, now);
    for (const d of requestDeltas(rows, this.counters)) this.traffic.add(d.app, d.requests, d.errors, now);
  }

  /** What /healthz and /replicas answer (as the built-in engine's admin address does). */
  adminAnswer(url: string | undefined): { status: number; body: unknown } {
    const body = adminAnswer(url, this.revision, () => this.view);
    return body === undefined ? { status: 404, body: { error: 'try /metrics, /healthz or /replicas' } } : { status: 200, body };
  }

  async close(): Promise<void> {
    clearInterval(this.timer);
    this.admin?.close();
    await this.engine.close();
  }
}

/** hafen's half of the admin address: a UNIX socket HAProxy's admin frontend passes /healthz and /replicas to. */
async function listenAdmin(path: string, dp: () => HaproxyDataPlane | undefined): Promise<http.Server> {
  rmSync(path, { force: true });
  const server = http.createServer((req, res) => {
    const plane = dp();
    const { status, body } = plane ? plane.adminAnswer(req.url) : { status: 503, body: { error: 'starting' } };
    res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
  });
  await new Promise<void>((resolve, reject) => server.once('error', reject).listen(path, () => resolve()));
  return server;
}

/**
 * Requests and 5xx answers per app since the last sample, from the backends' counters in `rows`
 * (`last` holds the previous sample and is updated). HAProxy is this process's child, so its
 * counters start at zero with it: an app's first sample is all new, and so is a counter that went
 * down (a reload started it again).
 */
export function requestDeltas(rows: readonly StatRow[], last: Map<string, { requests: number; errors: number }>): { app: string; requests: number; errors: number }[] {
  const out: { app: string; requests: number; errors: number }[] = [];
  for (const row of rows) {
    if (row.svname !== 'BACKEND' || !row.pxname?.startsWith('app_')) continue;
    const app = row.pxname.slice(4);
    const now = { requests: Number(row.req_tot) || 0, errors: Number(row.hrsp_5xx) || 0 };
    const before = last.get(app) ?? { requests: 0, errors: 0 };
    last.set(app, now);
    const restarted = now.requests < before.requests || now.errors < before.errors;
    const d = restarted ? now : { requests: now.requests - before.requests, errors: now.errors - before.errors };
    if (d.requests > 0 || d.errors > 0) out.push({ app, ...d });
  }
  return out;
}
