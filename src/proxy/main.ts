/**
 * `hafen proxy`: the edge proxy of one site. Standalone, it reads its route table from a file
 * (JSON or YAML) and reloads it when the file changes; a bad file is reported and the last good
 * table stays. Access log: one JSON line per request on stdout (pino). Metrics, health and the
 * replicas as this proxy sees them: on the admin address, never on the traffic port.
 */
import { readFileSync, watchFile } from 'node:fs';
import http from 'node:http';
import { Command } from 'commander';
import { pino } from 'pino';
import { parse } from 'yaml';
import { RouteTableSchema, type RouteTable } from '../core/render/routes.js';
import { parseArgs, serveUntilSignalled } from '../lib/daemon.js';
import { HafenError } from '../lib/errors.js';
import { ProxyMetrics } from './metrics.js';
import { startProxyServer, type ProxyServer } from './server.js';

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

function hostPort(value: string, option: string): { host: string; port: number } {
  const m = /^(.*):(\d+)$/.exec(value);
  if (!m) throw new HafenError('HAFEN_CLI_BAD_OPTION', `${option} must be HOST:PORT, like 127.0.0.1:8080, not "${value}"`);
  return { host: m[1]!.replace(/^\[|\]$/g, ''), port: Number(m[2]) };
}

/** The admin server: /metrics (Prometheus), /healthz, /replicas (health as this proxy sees it). */
function startAdmin(listen: { host: string; port: number }, ps: ProxyServer, metrics: ProxyMetrics): Promise<http.Server> {
  const server = http.createServer((req, res) => {
    if (req.url === '/metrics') {
      void metrics.registry.metrics().then((text) => res.writeHead(200, { 'content-type': metrics.registry.contentType }).end(text));
    } else if (req.url === '/healthz') {
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ ok: true, revision: ps.proxy.revision }));
    } else if (req.url === '/replicas') {
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ revision: ps.proxy.revision, replicas: ps.proxy.health() }));
    } else {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('try /metrics, /healthz or /replicas\n');
    }
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(listen.port, listen.host, () => resolve(server));
  });
}

export async function runProxy(argv: string[]): Promise<number> {
  const program = new Command('hafen proxy')
    .description('Run the edge proxy of one site: routes host names to app replicas at any site, own site first, with health checks, retries and failover.')
    .requiredOption('--site <site>', 'the site this proxy serves at (its replicas are preferred)')
    .requiredOption('--routes <file>', 'route table file (JSON or YAML), reloaded when it changes')
    .option('--listen <host:port>', 'traffic address', '0.0.0.0:8080')
    .option('--admin <host:port>', 'admin address: /metrics, /healthz, /replicas', '127.0.0.1:9180')
    .option('--retry-put-delete', 'treat PUT and DELETE as idempotent (retried after a failure before the response)')
    .option('--quiet', 'no access log')
    .addHelpText(
      'after',
      `
A route table file:
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
  const o = program.opts<{ site: string; routes: string; listen: string; admin: string; retryPutDelete?: boolean; quiet?: boolean }>();
  return serveUntilSignalled(async () => {
    const log = pino({ base: { site: o.site }, timestamp: pino.stdTimeFunctions.isoTime });
    const metrics = new ProxyMetrics();
    const table = readRouteFile(o.routes);
    const ps = await startProxyServer({
      site: o.site,
      table,
      listen: hostPort(o.listen, '--listen'),
      ...(o.retryPutDelete ? { retryPutDelete: true } : {}),
      onAccess: (e) => {
        metrics.access(e);
        if (!o.quiet) log.info({ ...e, ms: Math.round(e.ms * 10) / 10 }, 'request');
      },
      onHealth: (replica, event) => {
        metrics.healthEvent(replica, event);
        log.warn({ replica, event }, `replica ${replica} ${event}`);
      },
    });
    ps.server.on('connection', (s) => {
      metrics.connections.inc();
      s.once('close', () => metrics.connections.dec());
    });
    const admin = await startAdmin(hostPort(o.admin, '--admin'), ps, metrics);
    watchFile(o.routes, { interval: 1000 }, () => {
      try {
        const next = readRouteFile(o.routes);
        ps.update(next);
        log.info({ revision: next.revision, routes: next.routes.length }, 'route table reloaded');
      } catch (err) {
        log.error({ code: (err as HafenError).code }, `${(err as Error).message}; keeping revision ${ps.proxy.revision}`);
      }
    });
    process.stderr.write(`hafen proxy for site ${o.site} on ${ps.url} (admin http://${o.admin}), ${table.routes.length} route(s), revision ${table.revision}\n`);
    return {
      stop: async () => {
        admin.close();
        await ps.close();
      },
    };
  });
}
