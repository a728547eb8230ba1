/**
 * `hafen proxy`: the edge proxy of one site. It follows the controller's route table (cached
 * on disk, so it starts and serves without the controller) or, standalone, reads it from a file
 * (JSON or YAML) and reloads it when the file changes; a bad file is reported and the last good
 * table stays. Access log: one JSON line per request on stdout (pino, buffered); health and
 * route-table events as JSON lines on stderr. Metrics, health and the
 * replicas as this proxy sees them: on the admin address, never on the traffic port.
 */
import { readFileSync, unwatchFile, watchFile } from 'node:fs';
import { join } from 'node:path';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Command, InvalidArgumentError } from 'commander';
import { pino } from 'pino';
import { parse } from 'yaml';
import { HafenClient } from '../client/client.js';
import { hostCredential } from '../client/credential.js';
import type { TransportOptions } from '../client/controllers.js';
import { controllerTrust } from '../client/trust.js';
import { ALLOW_PLAIN_HTTP_HELP } from '../lib/plain-http.js';
import { RouteTableSchema, type RouteTable } from '../core/render/routes.js';
import { parseArgs, parseHostPort, serveUntilSignalled } from '../lib/daemon.js';
import { HafenError } from '../lib/errors.js';
import { adminAnswer } from './admin.js';
import { CertStore, type CertProblem } from './certs.js';
import { keepNewestTerms } from '../core/standby/terms.js';
import { RouteFollower, readCachedRoutes, writeCachedRoutes, type DataPlane } from './follow.js';
import { HaproxyDataPlane } from './haproxy/dataplane.js';
import { freeListen } from './haproxy/engine.js';
import { TrafficCounter } from './traffic.js';
import { ProxyMetrics } from './metrics.js';
import type { HealthOptions } from './replica.js';
import { isHandedBack, startProxyServer, type ProxyServer, type ServerLimits } from './server.js';

/** Reads and checks a route table file; every problem names its path in the file. */
export function readRouteFile(path: string): RouteTable {
  let data: unknown;
  try {
    const text = readFileSync(path, 'utf8');
    data = path.endsWith('.json') ? JSON.parse(text) : parse(text);
  } catch (err) {
    throw new HafenError('HAFEN_PROXY_ROUTES_UNREADABLE', `cannot read the route table ${path}: ${(err as Error).message}`);
  }
  const res = RouteTableSchema.safeParse(data);
  if (!res.success) {
    const problems = res.error.issues.map((i) => `${i.path.map((p) => (typeof p === 'number' ? `[${p}]` : `.${String(p)}`)).join('').replace(/^\./, '') || '(file)'}: ${i.message}`);
    throw new HafenError('HAFEN_PROXY_ROUTES_INVALID', `the route table ${path} is invalid: ${problems.join('; ')}`);
  }
  return res.data;
}

const hostPort = (value: string, option: string) => parseHostPort(value, option, '127.0.0.1:8080');
const urlOf = (a: AddressInfo) => `http://${a.family === 'IPv6' ? `[${a.address}]` : a.address}:${a.port}`;

/** The admin server: /metrics (Prometheus), /healthz, /replicas (health as this proxy sees it). */
function startAdmin(listen: { host: string; port: number }, ps: ProxyServer, metrics: ProxyMetrics): Promise<http.Server> {
  const server = http.createServer((req, res) => {
    if (req.url === '/metrics') {
      void metrics.registry.metrics().then((text) => res.writeHead(200, { 'content-type': metrics.registry.contentType }).end(text));
      return;
    }
    const body = adminAnswer(req.url, ps.proxy.revision, () => ps.proxy.health());
    if (body !== undefined) {
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(body));
    } else {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('try /metrics, /healthz or /replicas\n');
    }
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(listen.port, listen.host, () => resolve(server));
  });
}

export interface ProxyStartOptions {
  site?: string;
  /** A route table file (standalone), or… */
  routes?: string;
  /** …the controller to follow, with the host credential in `data`. */
  controller?: string;
  /** How an https controller is trusted (client/trust.ts). */
  trust?: TransportOptions;
  data: string;
  joinToken?: string;
  listen: string;
  admin?: string;
  retryPutDelete?: boolean;
  /** Access log lines (default on). */
  accessLog?: boolean;
  /** Where log lines go (default: stdout, JSON). */
  logStream?: NodeJS.WritableStream;
  limits?: Partial<ServerLimits>;
  health?: Partial<HealthOptions>;
  /** builtin (default): hafen's own proxy; haproxy: HAProxy driven by hafen (haproxy/engine.ts). */
  engine?: 'builtin' | 'haproxy';
  /** The haproxy binary (default: haproxy on the PATH). */
  haproxy?: string;
  /** HAProxy's worker threads (default: one per CPU). */
  haproxyThreads?: number;
  /** HTTPS: address and the certificate directory (one pair per host name, chosen by SNI). */
  tlsListen?: string;
  certs?: string;
}

function nonNegativeInt(v: string, option: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0) throw new InvalidArgumentError(`${option} must be a whole number, 0 or more, not "${v}"`);
  return n;
}

function positiveInt(v: string, option: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError(`${option} must be a whole number above 0, not "${v}"`);
  return n;
}

export interface RunningProxy {
  url: string;
  tlsUrl?: string;
  site: string;
  engine: 'builtin' | 'haproxy';
  /** The admin address as bound (a port 0 asked for is the port the kernel gave), when there is one. */
  adminUrl?: string;
  /** The route table revision it serves. */
  revision(): number;
  stop(): Promise<void>;
}

/** Starts a proxy from a route file or by following the controller (from its cache when the controller is away). */
export async function startProxy(o: ProxyStartOptions): Promise<RunningProxy> {
  if ((o.routes === undefined) === (o.controller === undefined)) throw new HafenError('HAFEN_CLI_BAD_OPTION', 'give exactly one of --routes FILE (standalone) or --controller URL');
  // The access log (stdout) is buffered (4 KiB) and written asynchronously: a synchronous
  // write per request cost a third of the throughput; the buffer is flushed on stop. What an
  // operator must see at once (health changes, route tables, the controller) goes to stderr
  // unbuffered.
  const dest = o.logStream ?? pino.destination({ dest: 1, sync: false, minLength: 4096 });
  const access = pino({ base: {}, timestamp: pino.stdTimeFunctions.isoTime }, dest);
  const log = pino({ base: {}, timestamp: pino.stdTimeFunctions.isoTime }, o.logStream ?? pino.destination({ dest: 2, sync: true }));
  const metrics = new ProxyMetrics();
  const traffic = new TrafficCounter();
  let table: RouteTable = { revision: 0, routes: [] };
  let site = o.site;
  let client: HafenClient | undefined;
  let hash: string | undefined;
  if (o.routes !== undefined) {
    table = readRouteFile(o.routes);
  } else {
    const cred = await hostCredential(o.controller!, o.data, o.joinToken, 'proxy', o.trust);
    client = new HafenClient(o.controller!, cred.credential, o.trust);
    try {
      const first = await client.proxyRoutes(undefined, 0);
      // Never back to an older writer than the cache knew (core/standby/terms.ts).
      ({ table } = keepNewestTerms(first.table, readCachedRoutes(o.data)?.table));
      hash = first.hash;
      site ??= first.site ?? undefined;
      await writeCachedRoutes(o.data, { hash: first.hash, site: first.site, table });
    } catch (err) {
      const cached = readCachedRoutes(o.data);
      if (!cached) throw new HafenError('HAFEN_PROXY_NO_ROUTES', `the controller cannot be reached (${(err as Error).message}) and there is no cached route table in ${o.data} yet`);
      log.warn(`controller: ${(err as Error).message}; starting from the cached route table (revision ${cached.table.revision})`);
      ({ table, hash } = cached);
      site ??= cached.site ?? undefined;
    }
  }
  if (!site) throw new HafenError('HAFEN_CLI_BAD_OPTION', 'the proxy needs --site (or a controller that knows the site of its host)');
  if ((o.tlsListen === undefined) !== (o.certs === undefined)) throw new HafenError('HAFEN_CLI_BAD_OPTION', '--tls-listen and --certs go together');
  // Follows the controller (or the route file); the function it returns stops that and delivers the last counts.
  const follow = (plane: DataPlane, endpoints: { listen: string; tlsListen?: string }): (() => Promise<void>) => {
    if (client) {
      const f = new RouteFollower(client, o.data, plane, site, hash, (msg, extra) => log.info(extra ?? {}, msg), traffic, endpoints, 25, table);
      f.start();
      return async () => {
        f.stop();
        await f.flush();
      };
    }
    const file = o.routes!;
    watchFile(file, { interval: 1000 }, () => {
      void (async () => {
        const next = readRouteFile(file);
        await plane.update(next);
        log.info({ revision: next.revision, routes: next.routes.length }, 'route table reloaded');
      })().catch((err: HafenError) => log.error({ code: err.code }, `${err.message}; keeping revision ${plane.revision}`));
    });
    return async () => unwatchFile(file);
  };
  const onCerts = (names: string[], problems: CertProblem[]) => {
    for (const p of problems) log.error({ file: p.file }, `certificate ${p.file}: ${p.message}`);
    log.info({ names }, `${names.length} certificate(s) loaded from ${o.certs}`);
  };
  if (o.engine === 'haproxy') {
    const adminAt = o.admin ? await freeListen(hostPort(o.admin, '--admin')) : undefined;
    const dp = await HaproxyDataPlane.start(
      table,
      {
        site,
        listen: await freeListen(hostPort(o.listen, '--listen')),
        dir: join(o.data, 'haproxy'),
        ...(adminAt ? { admin: adminAt } : {}),
        ...(o.limits ? { limits: o.limits } : {}),
        ...(o.haproxy ? { binary: o.haproxy } : {}),
        ...(o.haproxyThreads ? { threads: o.haproxyThreads } : {}),
        ...(o.tlsListen && o.certs ? { tls: { listen: await freeListen(hostPort(o.tlsListen, '--tls-listen')), certs: o.certs }, onCerts } : {}),
        accessLog: o.accessLog !== false,
        onOutput: (line) => (o.accessLog !== false ? access.info({ haproxy: line }) : log.info({ haproxy: line }, 'haproxy')),
      },
      traffic,
      (msg, extra) => log.info(extra ?? {}, msg),
    );
    const unfollow = follow(dp, { listen: new URL(dp.url).host, ...(dp.tlsUrl ? { tlsListen: new URL(dp.tlsUrl).host } : {}) });
    return {
      url: dp.url,
      ...(dp.tlsUrl ? { tlsUrl: dp.tlsUrl } : {}),
      site,
      engine: 'haproxy',
      ...(adminAt ? { adminUrl: `http://${adminAt}` } : {}),
      revision: () => dp.revision,
      stop: async () => {
        await unfollow();
        await dp.close();
        if ('flushSync' in dest) (dest as { flushSync(): void }).flushSync();
      },
    };
  }
  const certs = o.certs ? new CertStore(o.certs, onCerts) : undefined;
  certs?.watch();
  const ps = await startProxyServer({
    site,
    table,
    ...(certs && o.tlsListen ? { tls: { listen: hostPort(o.tlsListen, '--tls-listen'), certs } } : {}),
    listen: hostPort(o.listen, '--listen'),
    ...(o.limits ? { limits: o.limits } : {}),
    ...(o.health ? { health: o.health } : {}),
    ...(o.retryPutDelete ? { retryPutDelete: true } : {}),
    onAccess: (e) => {
      metrics.access(e);
      traffic.count(e.app, e.status);
      if (o.accessLog !== false) access.info({ ...e, ms: Math.round(e.ms * 10) / 10 }, 'request');
    },
    onHealth: (replica, event) => {
      metrics.healthEvent(replica, event);
      log.warn({ replica, event }, `replica ${replica} ${event}`);
    },
  });
  metrics.countTunnels(() => ps.proxy.openTunnels);
  ps.server.on('connection', (s) => {
    if (isHandedBack(s)) return;
    metrics.connections.inc();
    traffic.connectionOpened();
    s.once('close', () => {
      metrics.connections.dec();
      traffic.connectionClosed();
    });
  });
  const admin = o.admin ? await startAdmin(hostPort(o.admin, '--admin'), ps, metrics) : undefined;
  const unfollow = follow(ps.proxy, { listen: new URL(ps.url).host, ...(ps.tlsUrl ? { tlsListen: new URL(ps.tlsUrl).host } : {}) });
  return {
    url: ps.url,
    ...(ps.tlsUrl ? { tlsUrl: ps.tlsUrl } : {}),
    site,
    engine: 'builtin',
    ...(admin ? { adminUrl: urlOf(admin.address() as AddressInfo) } : {}),
    revision: () => ps.proxy.revision,
    stop: async () => {
      await unfollow();
      certs?.close();
      admin?.close();
      await ps.close();
      if ('flushSync' in dest) (dest as { flushSync(): void }).flushSync();
    },
  };
}

export async function runProxy(argv: string[]): Promise<number> {
  const program = new Command('hafen proxy')
    .description('Run the edge proxy of one site: routes host names to app replicas at any site, own site first, with health checks, retries and failover.')
    .option('--controller <urls>', 'follow the controller (route table by long-poll, cached on disk); several URLs comma-separated are tried in order')
    .option('--routes <file>', 'standalone: route table file (JSON or YAML), reloaded when it changes')
    .option('--site <site>', 'the site this proxy serves at (default with --controller: the site of its host)')
    .option('--data <dir>', 'data directory: host credential (shared with the host\'s agent) and the cached route table', '.hafen-proxy')
    .option('--join-token <token>', 'one-time token from "hafen host join HOST" (first start only; or HAFEN_JOIN_TOKEN)')
    .option('--ca <file>', 'the CA certificate(s), PEM, that an https controller\'s certificate must chain to (default: $HAFEN_CA, else the system\'s CA store)')
    .option('--allow-plain-http', ALLOW_PLAIN_HTTP_HELP)
    .option('--listen <host:port>', 'traffic address', '0.0.0.0:8080')
    .option('--tls-listen <host:port>', 'HTTPS address (with --certs)')
    .option('--certs <dir>', 'certificates by host name: NAME.crt + NAME.key, "_.example.com" for *.example.com; reloaded on change')
    .option('--admin <host:port>', 'admin address: /metrics, /healthz, /replicas', '127.0.0.1:9180')
    .option('--engine <engine>', 'builtin (hafen\'s own proxy) or haproxy (HAProxy driven by hafen: config and maps rendered from the route table, weights and certificates by its runtime API, hitless reloads)', (v: string) => {
      if (v !== 'builtin' && v !== 'haproxy') throw new InvalidArgumentError(`--engine must be builtin or haproxy, not "${v}"`);
      return v;
    }, 'builtin')
    .option('--haproxy <binary>', 'the haproxy binary for --engine haproxy', 'haproxy')
    .option('--haproxy-threads <n>', 'HAProxy worker threads (default: one per CPU)', (v) => positiveInt(v, '--haproxy-threads'))
    .option('--retry-put-delete', 'treat PUT and DELETE as idempotent (retried after a failure before the response)')
    .option('--max-connections <n>', 'client connections overall (default 20000)', (v) => positiveInt(v, '--max-connections'))
    .option('--max-connections-per-client <n>', 'client connections per client address (default 500)', (v) => positiveInt(v, '--max-connections-per-client'))
    .option('--stall-ms <ms>', 'eject a replica when 3 requests waited this long and it answered nothing meanwhile (0: off)', (v) => nonNegativeInt(v, '--stall-ms'), 800)
    .option('--quiet', 'no access log')
    .addHelpText(
      'after',
      `
A route table file (standalone mode):
  revision: 1
  routes:
    - host: shop.example.com          # or "*.example.com"
      app: shop
      health: { path: /healthz, expectStatus: 200 }
      replicas:
        - { id: shop-r1, site: nue, host: nue-app-01, address: 10.0.0.11, port: 8080 }
        - { id: shop-r2, site: vie, host: vie-app-01, address: 10.1.0.11, port: 8080, weight: 100, state: active }`,
    );
  const early = parseArgs(program, argv);
  if (early !== undefined) return early;
  const o = program.opts<
    Pick<ProxyStartOptions, 'site' | 'routes' | 'controller' | 'data' | 'joinToken' | 'listen' | 'retryPutDelete' | 'tlsListen' | 'certs' | 'engine' | 'haproxy' | 'haproxyThreads'> & {
      admin: string;
      quiet?: boolean;
      maxConnections?: number;
      maxConnectionsPerClient?: number;
      stallMs: number;
      ca?: string;
      allowPlainHttp?: boolean;
    }
  >();
  const joinToken = o.joinToken ?? process.env.HAFEN_JOIN_TOKEN;
  return serveUntilSignalled(async () => {
    const limits = { ...(o.maxConnections ? { maxConnections: o.maxConnections } : {}), ...(o.maxConnectionsPerClient ? { maxConnectionsPerClient: o.maxConnectionsPerClient } : {}) };
    const p = await startProxy({ ...o, ...(joinToken ? { joinToken } : {}), ...(o.controller ? { trust: controllerTrust(o.controller, '--controller', o) } : {}), accessLog: !o.quiet, limits, health: { stallMs: o.stallMs } });
    process.stderr.write(`hafen proxy${p.engine === 'haproxy' ? ' (HAProxy)' : ''} for site ${p.site} on ${p.url}${p.tlsUrl ? ` and ${p.tlsUrl}` : ''} (admin ${p.adminUrl}), revision ${p.revision()}${o.controller ? `, following ${o.controller}` : ''}\n`);
    return { stop: () => p.stop() };
  });
}
