/**
 * The edge data plane: routes each request by host and path to a replica of its app (own site
 * first), forwards it over a keep-alive pool (undici) and streams the answer back. A request
 * that cannot reach a replica is retried on another one when that is safe:
 * - idempotent methods (GET, HEAD, OPTIONS; PUT and DELETE when configured) after any failure
 *   before the first response byte (connect error, reset, timeout);
 * - any method when the connection was never made (nothing was sent).
 * Requests with a body are retried only when the body was small enough to keep in memory.
 * Failed requests count against the replica (passive ejection); active checks run per replica.
 * A replica that hangs is found by the silence around each try (replica.ts): the try is given
 * up, the replica ejected, and the request sent to another replica when it may be sent again,
 * else answered 504 — never left waiting for the response timeout.
 */
import { STATUS_CODES, type IncomingMessage, type ServerResponse } from 'node:http';
import type { TLSSocket } from 'node:tls';
import type { Duplex } from 'node:stream';
import { Pool } from 'undici';
import type { Route, RouteTable } from '../core/render/routes.js';
import { errorBody, httpStatusOf, type ErrorCode } from '../lib/error-codes.js';
import { markTried, newAttempted, pickReplica, type Attempted } from './balancer.js';
import { forward } from './forward.js';
import { upstreamHeaders, type ClientInfo } from './headers.js';
import { checkOnce, every } from './health.js';
import { DEFAULT_HEALTH, ReplicaState, type HealthEvent, type HealthOptions, type Pending } from './replica.js';
import { normalizeHost, RouteMatcher } from './table.js';
import { openTunnel } from './upgrade.js';

export interface AccessEntry {
  method: string;
  host: string;
  path: string;
  status: number;
  ms: number;
  app?: string;
  replica?: string;
  site?: string;
  retries: number;
  error?: string;
  /** A WebSocket handshake: bytes each way and why it ended (logged when the tunnel closes; `ms` is its lifetime). */
  tunnel?: { fromClient: number; toClient: number; end: string };
}

export interface ProxyOptions {
  /** The site this proxy serves at: its replicas are preferred. */
  site: string;
  health?: Partial<HealthOptions>;
  /** Attempts per request, the first included (default 3). */
  maxAttempts?: number;
  /** PUT and DELETE count as idempotent (retried after a failure before the response). */
  retryPutDelete?: boolean;
  connectTimeoutMs?: number;
  /** Longest wait for the backend's response headers (default 60 s). */
  responseTimeoutMs?: number;
  /** Request bodies up to this size are kept so the request can be retried (default 64 KiB). */
  maxReplayBody?: number;
  /** Largest request body accepted (default 100 MiB). */
  maxBody?: number;
  /** Connections to one replica at most (default 256); more requests wait for one. */
  maxConnectionsPerReplica?: number;
  /** A WebSocket tunnel over which nothing crossed for this long is closed (default 1 h, HAProxy's `timeout tunnel`). */
  tunnelIdleTimeoutMs?: number;
  onAccess?: (e: AccessEntry) => void;
  onHealth?: (replica: string, event: Exclude<HealthEvent, undefined>) => void;
}

const IDEMPOTENT = new Set(['GET', 'HEAD', 'OPTIONS', 'TRACE']);
/** Errors that mean no connection was made, so nothing reached the backend. */
const NOT_CONNECTED = new Set(['ECONNREFUSED', 'EHOSTUNREACH', 'ENETUNREACH', 'EADDRNOTAVAIL', 'UND_ERR_CONNECT_TIMEOUT', 'ENOTFOUND']);

/** What the proxy answers a request with when no replica's answer can be passed on. */
class ProxyAnswer extends Error {
  constructor(
    readonly code: ProxyErrorCode,
    message: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }
}

type ProxyErrorCode = Extract<ErrorCode, `HAFEN_PROXY_${string}`>;

/** The client connection is TLS (the proxy's HTTPS listener). */
function encrypted(req: IncomingMessage): boolean {
  return (req.socket as TLSSocket).encrypted === true;
}

/** An error answer in hafen's one shape (as the API's), its code also in `x-hafen-error`. */
function answerError(res: ServerResponse, err: ProxyAnswer): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const body = `${JSON.stringify(errorBody(err.code, err.message))}\n`;
  res.writeHead(httpStatusOf(err.code), { 'content-type': 'application/json', 'cache-control': 'no-store', 'x-hafen-error': err.code, ...err.headers });
  res.end(body);
}

async function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const c of req) {
    size += (c as Buffer).length;
    if (size > limit) throw new ProxyAnswer('HAFEN_PROXY_BODY_TOO_LARGE', 'request body too large');
    chunks.push(c as Buffer);
  }
  return Buffer.concat(chunks);
}


/** How long a stopping proxy lets requests in flight finish before it cuts them. */
export const CLOSE_GRACE_MS = 5000;
export class Proxy {
  private matcher = new RouteMatcher({ revision: 0, routes: [] });
  /** Per route of the current table; a route of an older table (a request in flight over an update) is looked up afresh. */
  private routeStates = new WeakMap<Route, ReplicaState[]>();
  private readonly replicas = new Map<string, ReplicaState>();
  private readonly checks = new Map<string, () => void>();
  private readonly pools = new Map<string, Pool>();
  private readonly opts: Required<Omit<ProxyOptions, 'onAccess' | 'onHealth' | 'health'>> & Pick<ProxyOptions, 'onAccess' | 'onHealth'> & { health: HealthOptions };
  revision = 0;
  /** Sites the controller declared lost: their replicas are used last. */
  private avoid: ReadonlySet<string> = new Set();
  private readonly stallTimer: NodeJS.Timeout;
  private readonly scanMs: number;
  /** When checkWaiting last ran: a late run means this process was not running (starved, stopped), not that replicas were silent. */
  private lastScan = Date.now();
  /** WebSocket exchanges (a handshake waiting, or a tunnel), each with the function that cuts it. */
  private readonly tunnels = new Set<() => void>();
  private tunnelsOpen = 0;

  constructor(options: ProxyOptions) {
    this.opts = {
      maxAttempts: 3,
      retryPutDelete: false,
      connectTimeoutMs: 1000,
      responseTimeoutMs: 60_000,
      maxReplayBody: 64 * 1024,
      maxBody: 100 * 1024 * 1024,
      maxConnectionsPerReplica: 256,
      tunnelIdleTimeoutMs: 3_600_000,
      ...options,
      health: { ...DEFAULT_HEALTH, ...options.health },
    };
    // Hung replicas (no refusal, no answer) show only as requests that wait: look eight times per
    // stall period. The same scan enforces the response timeout: one interval for every request
    // instead of a timer per request, whose objects outlive the young generation and make every
    // scavenge slower (measured: 2.4 MB promoted per scavenge at 2,000 req/s with undici's
    // headersTimeout, 0.5 MB without).
    this.scanMs = Math.max(25, Math.min(this.opts.health.stallMs || 800, this.opts.health.tryMinMs) / 8);
    this.stallTimer = setInterval(() => this.checkWaiting(), this.scanMs);
    this.stallTimer.unref();
  }

  private checkWaiting(): void {
    const now = Date.now();
    // This process was held up (a busy machine, a stop): answers that came meanwhile may not be
    // read yet, so silence proves nothing this round. Judged again at the next one.
    const late = now - this.lastScan > 2 * this.scanMs + 50;
    this.lastScan = now;
    for (const r of this.replicas.values()) {
      if (!late) {
        const { event, stalled } = r.checkStall(now);
        if (event) {
          this.event(r, event);
          // Nothing has come back for these: send them elsewhere now rather than after the response timeout.
          for (const p of stalled) if (p.retryable) p.abort?.(Object.assign(new Error('abandoned: the replica stalled'), { code: 'HAFEN_ABANDONED' }));
        }
      }
      for (const p of r.pending) {
        if (now - p.since >= this.opts.responseTimeoutMs) p.abort?.(Object.assign(new Error(`no response headers within ${this.opts.responseTimeoutMs} ms`), { code: 'UND_ERR_HEADERS_TIMEOUT' }));
        else if (!late && r.hung(p, now)) {
          if (r.eject()) this.event(r, 'ejected');
          p.abort?.(Object.assign(new Error(`the replica showed no sign of life for ${now - r.lastAlive} ms (try timeout ${p.tryTimeoutMs} ms)`), { code: 'HAFEN_TRY_TIMEOUT' }));
        }
      }
    }
  }

  /** Applies a new route table: replicas keep their health across updates; connections in use are not touched. */
  update(table: RouteTable): void {
    const seen = new Set<string>();
    for (const route of table.routes) {
      for (const spec of route.replicas) {
        seen.add(spec.id);
        const known = this.replicas.get(spec.id);
        if (known) {
          const moved = known.spec.address !== spec.address || known.spec.port !== spec.port;
          known.spec = spec;
          if (!moved) continue;
          this.checks.get(spec.id)?.();
        }
        const state = known ?? new ReplicaState(spec, this.opts.health);
        this.replicas.set(spec.id, state);
        this.checks.set(spec.id, this.startChecks(state, route.health));
      }
    }
    for (const [id] of this.replicas) {
      if (seen.has(id)) continue;
      this.checks.get(id)?.();
      this.checks.delete(id);
      this.replicas.delete(id);
    }
    const wanted = new Set([...this.replicas.values()].map((r) => `${r.spec.address}:${r.spec.port}`));
    for (const [key, pool] of this.pools) {
      // Requests in flight finish; the pool closes when they are done.
      if (!wanted.has(key)) {
        this.pools.delete(key);
        void pool.close().catch(() => {});
      }
    }
    this.routeStates = new WeakMap();
    this.avoid = new Set(table.avoidSites ?? []);
    this.matcher = new RouteMatcher(table);
    this.revision = table.revision;
  }

  private startChecks(state: ReplicaState, health: Route['health']): () => void {
    // Checks run every interval ±20% and take up to their timeout: the longest a live replica goes without one passing.
    state.checkGapMs = health ? Math.ceil(1.2 * this.opts.health.intervalMs + this.opts.health.timeoutMs) : 0;
    return every(this.opts.health.intervalMs, async () => {
      const ok = await checkOnce(state.spec, health, this.opts.health.timeoutMs);
      if (ok && health) state.checkPassed(Date.now());
      this.event(state, state.activeResult(ok));
    });
  }

  private event(state: ReplicaState, e: HealthEvent): void {
    if (e) this.opts.onHealth?.(state.id, e);
  }

  /** Replica health as this proxy sees it (for status and metrics). */
  health(): { id: string; site: string; host: string; up: boolean; ejected: boolean; inflight: number }[] {
    return [...this.replicas.values()].map((r) => ({ id: r.id, site: r.spec.site, host: r.spec.host, up: r.up, ejected: r.ejected, inflight: r.inflight }));
  }

  private pool(state: ReplicaState): Pool {
    const key = `${state.spec.address}:${state.spec.port}`;
    let pool = this.pools.get(key);
    if (!pool) {
      pool = new Pool(`http://${key}`, {
        connect: { timeout: this.opts.connectTimeoutMs },
        // The response timeout is the proxy's own (checkWaiting), not a timer per request.
        headersTimeout: 0,
        bodyTimeout: 0,
        keepAliveTimeout: 4000,
        pipelining: 1,
        // Requests wait in the pool rather than opening a connection each: a burst of clients
        // must not become a burst of connections that overflows the replica's accept queue.
        connections: this.opts.maxConnectionsPerReplica,
      });
      this.pools.set(key, pool);
    }
    return pool;
  }

  private client(req: IncomingMessage, host: string): ClientInfo {
    return { ip: req.socket.remoteAddress ?? '', proto: encrypted(req) ? 'https' : 'http', host };
  }

  private route(req: IncomingMessage): { route: Route; host: string } {
    const host = normalizeHost(req.headers.host);
    if (!host) throw new ProxyAnswer('HAFEN_PROXY_BAD_REQUEST', 'a request needs a valid Host header');
    // Node keeps the first of several Host headers: which one the backend or a cache would take is not ours to guess.
    if (req.rawHeaders.filter((h, i) => i % 2 === 0 && h.toLowerCase() === 'host').length > 1) throw new ProxyAnswer('HAFEN_PROXY_BAD_REQUEST', 'a request has one Host header, not several');
    // Over TLS the Host must be the name the connection was made for (RFC 9110 421): no other customer's domain on it.
    const sni = (req.socket as TLSSocket).servername;
    if (encrypted(req) && typeof sni === 'string' && sni && normalizeHost(sni) !== host) throw new ProxyAnswer('HAFEN_PROXY_MISDIRECTED', `this connection was made for ${sni}, not ${host}`);
    const path = req.url ?? '/';
    if (!path.startsWith('/')) throw new ProxyAnswer('HAFEN_PROXY_BAD_REQUEST', 'the request target must be a path');
    const route = this.matcher.match(host, path);
    if (!route) throw new ProxyAnswer('HAFEN_PROXY_UNKNOWN_HOST', `no site is served here for ${host}`);
    return { route, host };
  }

  /** The replicas of a route, looked up once per route table rather than on every request. */
  private states(route: Route): ReplicaState[] {
    let list = this.routeStates.get(route);
    if (!list) {
      list = route.replicas.map((r) => this.replicas.get(r.id)).filter((r): r is ReplicaState => r !== undefined);
      this.routeStates.set(route, list);
    }
    return list;
  }

  /** The request handler of the proxy's HTTP server. */
  async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const start = performance.now();
    const entry: AccessEntry = { method: req.method ?? 'GET', host: req.headers.host ?? '', path: req.url ?? '', status: 0, ms: 0, retries: 0 };
    try {
      const { route, host } = this.route(req);
      entry.app = route.app;
      if (route.redirectHttps && !encrypted(req)) {
        const location = `https://${host}${req.url ?? '/'}`;
        entry.status = 308;
        res.writeHead(308, { location, 'content-type': 'text/plain; charset=utf-8', 'cache-control': 'no-store' }).end(`moved to ${location}\n`);
        return;
      }
      const method = req.method ?? 'GET';
      const idempotent = IDEMPOTENT.has(method) || (this.opts.retryPutDelete && (method === 'PUT' || method === 'DELETE'));
      const length = Number(req.headers['content-length'] ?? 0);
      if (length > this.opts.maxBody) throw new ProxyAnswer('HAFEN_PROXY_BODY_TOO_LARGE', 'request body too large');
      const chunked = req.headers['transfer-encoding'] !== undefined;
      // Keep small bodies so the request can be sent again; stream the rest (sent once).
      const replayable = !chunked && length <= this.opts.maxReplayBody;
      const body = replayable ? (length > 0 ? await readBody(req, this.opts.maxReplayBody) : undefined) : undefined;
      const headers = upstreamHeaders(req.headers, this.client(req, host));
      const states = this.states(route);
      const tried: Attempted = newAttempted();
      let lastError = '';
      for (let attempt = 0; attempt < this.opts.maxAttempts; attempt++) {
        // During a move the weights decide across sites (no site is "own" to this route).
        const replica = pickReplica(states, route.siteAffinity === false ? '' : this.opts.site, tried, Math.random, this.avoid);
        if (!replica) break;
        markTried(tried, replica);
        entry.replica = replica.id;
        entry.site = replica.spec.site;
        entry.retries = attempt;
        replica.inflight++;
        // A request that can go elsewhere may be abandoned while it waits for a stalled replica.
        const retryable = idempotent && replayable;
        const pending: Pending = { since: Date.now(), retryable, tryTimeoutMs: replica.tryTimeoutMs(route.tryTimeoutMs), ...(route.tryTimeoutMs !== undefined ? { fixed: true } : {}) };
        replica.pending.add(pending);
        try {
          await forward(
            this.pool(replica),
            { method, path: req.url ?? '/', headers, body: replayable ? body : req },
            res,
            (statusCode) => {
              replica.pending.delete(pending);
              const now = Date.now();
              replica.answered(now, now - pending.since);
              if (statusCode >= 500) this.event(replica, replica.passiveFailure(now));
              else replica.passiveSuccess();
              entry.status = statusCode;
            },
            (abort) => (pending.abort = abort),
          );
          return;
        } catch (err) {
          const code = (err as NodeJS.ErrnoException).code ?? (err as Error).name;
          lastError = code;
          if (res.headersSent) {
            // The answer had begun: nothing can be replayed; end the client's response as broken.
            entry.error = `response cut: ${code}`;
            res.destroy();
            return;
          }
          if (code === 'HAFEN_CLIENT_GONE') {
            entry.error = 'the client closed the connection';
            return;
          }
          // An abandoned request, or one on a hung replica, was already counted by the ejection.
          if (code !== 'HAFEN_ABANDONED' && code !== 'HAFEN_TRY_TIMEOUT') this.event(replica, replica.passiveFailure(Date.now()));
          const safe = NOT_CONNECTED.has(code) || retryable;
          if (!safe && code === 'HAFEN_TRY_TIMEOUT') throw new ProxyAnswer('HAFEN_PROXY_TIMEOUT', `a replica of ${route.app} hung with the request, and a request that is not idempotent is not sent twice`);
          if (!safe) throw new ProxyAnswer('HAFEN_PROXY_NOT_RESENT', `the backend failed (${code}) and the request cannot be sent again`);
        } finally {
          replica.pending.delete(pending);
          replica.inflight--;
        }
      }
      if (tried.replicas.size === 0) throw new ProxyAnswer('HAFEN_PROXY_NO_REPLICA', `no healthy replica of ${route.app} is available; try again shortly`, { 'retry-after': '5' });
      if (lastError === 'HAFEN_TRY_TIMEOUT') throw new ProxyAnswer('HAFEN_PROXY_TIMEOUT', `no replica of ${route.app} answered: the last one tried hung`);
      throw new ProxyAnswer('HAFEN_PROXY_BAD_GATEWAY', `no replica of ${route.app} answered (${lastError})`);
    } catch (err) {
      const e = err instanceof ProxyAnswer ? err : new ProxyAnswer('HAFEN_PROXY_BAD_GATEWAY', 'bad gateway');
      entry.status = httpStatusOf(e.code);
      entry.error ??= e.message;
      answerError(res, e);
    } finally {
      entry.ms = performance.now() - start;
      this.opts.onAccess?.(entry);
    }
  }

  /** WebSocket tunnels open now. */
  get openTunnels(): number {
    return this.tunnelsOpen;
  }

  /** A WebSocket handshake (server.ts serves other upgrade requests as ordinary ones): a tunnel to one replica once it answered 101 (upgrade.ts). */
  upgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    const start = performance.now();
    const entry: AccessEntry = { method: req.method ?? 'GET', host: req.headers.host ?? '', path: req.url ?? '', status: 0, ms: 0, retries: 0 };
    const done = () => {
      entry.ms = performance.now() - start;
      this.opts.onAccess?.(entry);
    };
    let route: Route;
    let host: string;
    try {
      ({ route, host } = this.route(req));
    } catch (err) {
      const e = err instanceof ProxyAnswer ? err : new ProxyAnswer('HAFEN_PROXY_BAD_REQUEST', 'bad request');
      const body = `${JSON.stringify(errorBody(e.code, e.message))}\n`;
      socket.end(
        `HTTP/1.1 ${httpStatusOf(e.code)} ${STATUS_CODES[httpStatusOf(e.code)] ?? 'Error'}\r\nconnection: close\r\ncontent-type: application/json\r\n` +
          `x-hafen-error: ${e.code}\r\ncontent-length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
      );
      entry.status = httpStatusOf(e.code);
      entry.error = e.message;
      return done();
    }
    entry.app = route.app;
    const tried = newAttempted();
    let cut: (() => void) | undefined;
    let open = false;
    openTunnel(req, socket, head, {
      next: () => {
        const replica = pickReplica(this.states(route), route.siteAffinity === false ? '' : this.opts.site, tried, Math.random, this.avoid);
        if (replica) markTried(tried, replica);
        return replica;
      },
      headers: upstreamHeaders(req.headers, this.client(req, host), true),
      connectTimeoutMs: this.opts.connectTimeoutMs,
      responseTimeoutMs: this.opts.responseTimeoutMs,
      idleTimeoutMs: this.opts.tunnelIdleTimeoutMs,
      maxAttempts: this.opts.maxAttempts,
      onConnectFailure: (replica) => this.event(replica, replica.passiveFailure(Date.now())),
      onStart: (c) => {
        if (cut) this.tunnels.delete(cut);
        this.tunnels.add((cut = c));
      },
      onOpen: () => {
        open = true;
        this.tunnelsOpen++;
      },
      onEnd: (e) => {
        if (cut) this.tunnels.delete(cut);
        if (open) this.tunnelsOpen--;
        entry.status = e.status;
        entry.retries = Math.max(0, e.attempts - 1);
        if (e.replica) {
          entry.replica = e.replica.id;
          entry.site = e.replica.spec.site;
        }
        if (e.status === 101) entry.tunnel = { fromClient: e.fromClient, toClient: e.toClient, end: e.end };
        else if (e.status === 0 || e.status >= 500) entry.error = e.end;
        done();
      },
    });
  }

  /** Stops: requests in flight get `graceMs` to finish (one hung on a replica that went silent would hold the stop forever), then are cut. */
  async close(graceMs = CLOSE_GRACE_MS): Promise<void> {
    clearInterval(this.stallTimer);
    // WebSocket tunnels may last for hours: they get the same grace, then are cut.
    const tunnels = setTimeout(() => [...this.tunnels].forEach((cut) => cut()), graceMs);
    if (this.tunnels.size === 0) clearTimeout(tunnels);
    for (const stop of this.checks.values()) stop();
    this.checks.clear();
    const pools = [...this.pools.values()];
    this.pools.clear();
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<void>((resolve) => (timer = setTimeout(resolve, graceMs)));
    await Promise.race([Promise.all(pools.map((p) => p.close().catch(() => {}))), late]);
    clearTimeout(timer);
    await Promise.all(pools.map((p) => (p.closed ? undefined : p.destroy().catch(() => {}))));
  }
}
