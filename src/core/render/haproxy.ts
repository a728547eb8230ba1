/**
 * HAProxy as a data plane (pure): haproxy.cfg and its two map files rendered from the route
 * table, with the guarantees of the built-in proxy. Exact host names route through hosts.map
 * (host → backend), wildcards ("*.example.com") through wildcards.map (".example.com" → backend,
 * longest suffix first), path prefixes through ACL rules ahead of both (longest prefix first,
 * at a segment boundary). One backend per app; replicas at other sites are `backup` servers,
 * so the own site serves first (unless the app moves between sites, or the own site is among
 * the lost ones); weights and drains are server weights (drain = 0), which the engine changes at
 * run time. `structureHash` covers everything that needs a reload; weights and the maps do not.
 *
 * A replica that hangs: each try waits at most the app's try timeout (`http-request set-timeout
 * server` from try.map, backend → ms: the fleet's proxy.tryTimeout, else what the engine derives
 * from the replicas' recent answers, proxy/haproxy/try-timeouts.ts); a GET, HEAD or OPTIONS that
 * timed out is retried (`retry-on response-timeout`, `option redispatch`), anything else answered
 * 504. Checks every 500 ms that time out after 500 ms mark the hung server down within about
 * 1.7 s, so the retries reach the replicas at other sites.
 */
import { CLIENT_CLAIM_HEADERS } from './client-claims.js';
import { contentHash } from '../util/canonical.js';
import type { Route, RouteTable } from './routes.js';

export interface HaproxyLimits {
  maxHeaderBytes: number;
  headersTimeoutMs: number;
  requestTimeoutMs: number;
  keepAliveTimeoutMs: number;
  responseTimeoutMs: number;
  /** A WebSocket tunnel idle this long is closed. */
  tunnelIdleTimeoutMs: number;
  maxConnections: number;
  maxConnectionsPerClient: number;
}

export const HAPROXY_DEFAULT_LIMITS: HaproxyLimits = {
  maxHeaderBytes: 16 * 1024,
  headersTimeoutMs: 10_000,
  requestTimeoutMs: 60_000,
  keepAliveTimeoutMs: 60_000,
  responseTimeoutMs: 60_000,
  tunnelIdleTimeoutMs: 3_600_000,
  maxConnections: 20_000,
  maxConnectionsPerClient: 500,
};

export interface HaproxyOptions {
  site: string;
  /** host:port of plain HTTP. */
  listen: string;
  /** host:port of HTTPS with the certificates of `crtList` (PEM bundles, each with its SNI name). */
  tls?: { listen: string; crtList: string };
  /** host:port of the Prometheus exporter (/metrics) and /healthz. */
  admin?: string;
  /** A UNIX socket where hafen answers the admin address's other paths (/healthz, /replicas). */
  adminSocket?: string;
  /** Directory for the runtime socket, the maps, the server state and the Lua helper. */
  dir: string;
  limits?: Partial<HaproxyLimits>;
  /** Worker threads (default: HAProxy's, one per CPU). */
  threads?: number;
  /** One log line per request on HAProxy's stdout (default on). */
  accessLog?: boolean;
}

/** Each try's timeout when the fleet sets none: derived from the replicas' answers, within these bounds (as the built-in engine's). */
export const HAPROXY_TRY = { factor: 4, minMs: 1000, maxMs: 10_000 } as const;

export interface HaproxyBackend {
  name: string;
  /** The fleet's proxy.tryTimeout for the app; without it the engine derives one. */
  tryTimeoutMs?: number;
}

export interface HaproxyServer {
  backend: string;
  server: string;
  replica: string;
  app: string;
  site: string;
  /** HAProxy weight (0 to 256; 0 takes no new requests: drained or weighted out). */
  weight: number;
  address: string;
  port: number;
  /** Used only when no other server is up (replicas at other sites, or at a lost site). */
  backup: boolean;
}

/**
 * Every server's checks: every 500 ms (250 ms once one failed), each waiting at most 500 ms for
 * the answer (a hung replica is out within about 1.7 s), out after 2 failures and in after 2
 * passes; a replica
 * whose connection fails is out at once (a site loss: every retry then reaches the backups;
 * with layer7 and a limit of 3 the retries ran out first); 5xx answers are the active checks'
 * to judge (http-check expect). A `default-server` line, and spelled out for servers added at
 * run time (they do not inherit it).
 */
export const SERVER_CHECKS = 'check inter 500ms fastinter 250ms downinter 1s fall 2 rise 2 observe layer4 error-limit 1 on-error mark-down';

/** try.map's file name in HAProxy's directory. */
export const TRY_MAP = 'try.map';

export interface HaproxyConfig {
  config: string;
  hostsMap: string;
  wildcardMap: string;
  servers: HaproxyServer[];
  /** One per app, with the fleet's try timeout when it sets one (try.map is the engine's to write). */
  backends: HaproxyBackend[];
  /** Changes only when the config must be reloaded (not for weights or map entries). */
  structureHash: string;
}

/** HAProxy names: letters, digits, "-", "_", ".", ":"; app and replica ids already are. */
export const backendName = (app: string) => `app_${app}`;

/** Route weights (0 to 1000) as HAProxy weights (0 to 256), scaled per backend to keep their ratios. */
function scaled(weights: readonly number[]): number[] {
  const max = Math.max(0, ...weights);
  return weights.map((w) => (w <= 0 || max === 0 ? 0 : Math.max(1, Math.round((w / max) * 256))));
}

/** A fetch-safe literal for haproxy.cfg: double-quoted, with \ and " escaped. */
const q = (s: string) => `"${s.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n')}"`;

/** An error answer in hafen's one shape (src/lib/error-codes.ts errorBody), as the built-in proxy writes it. */
const errorJson = (code: string, message: string, retryable: boolean): string => `${JSON.stringify({ error: { code, message, retryable } })}\n`;

function serversOf(route: Route, site: string, avoid: ReadonlySet<string>): HaproxyServer[] {
  const weights = scaled(route.replicas.map((r) => (r.state === 'drain' ? 0 : r.weight)));
  const ownUsable = !avoid.has(site) && route.replicas.some((r) => r.site === site);
  return route.replicas.map((r, i) => ({
    backend: backendName(route.app),
    server: r.id,
    replica: r.id,
    app: route.app,
    site: r.site,
    weight: weights[i]!,
    address: r.address,
    port: r.port,
    // Own site first; lost sites last (even the own one); a moving app weighs all alike.
    backup: route.siteAffinity === false ? avoid.has(r.site) : avoid.has(r.site) || (ownUsable && r.site !== site),
  }));
}

function backendBlock(route: Route, servers: readonly HaproxyServer[], dir: string): string[] {
  const lines = [`backend ${backendName(route.app)}`, '  balance roundrobin', '  option allbackups', `  http-request set-timeout server be_name,map_str_int(${dir}/${TRY_MAP},${HAPROXY_TRY.minMs})`];
  if (route.health) {
    lines.push(`  option httpchk GET ${route.health.path}`, `  http-check expect status ${route.health.expectStatus}`);
  }
  const noReplica = errorJson('HAFEN_PROXY_NO_REPLICA', `no healthy replica of ${route.app} is available; try again shortly`, true);
  lines.push(`  http-error status 503 content-type application/json string ${q(noReplica)} hdr retry-after 5 hdr x-hafen-error HAFEN_PROXY_NO_REPLICA`);
  const timedOut = errorJson('HAFEN_PROXY_TIMEOUT', `a replica of ${route.app} hung with the request and it could not go to another one`, true);
  lines.push(`  http-error status 504 content-type application/json string ${q(timedOut)} hdr x-hafen-error HAFEN_PROXY_TIMEOUT`);
  for (const s of servers) lines.push(`  server ${s.server} ${s.address}:${s.port} weight ${s.weight}${s.backup ? ' backup' : ''}`);
  return lines;
}

/** A route's condition: its host (exact or a suffix) and its path prefix at a segment boundary ("/api": "/api" and "/api/…", not "/apix"). */
function routeCond(r: Route): string {
  const host = r.host.startsWith('*.') ? `{ var(txn.host) -m end ${r.host.slice(1).toLowerCase()} }` : `{ var(txn.host) -m str ${r.host.toLowerCase()} }`;
  if (r.pathPrefix.endsWith('/')) return `${host} { path_beg ${r.pathPrefix} }`;
  return `${host} { path ${r.pathPrefix} } || ${host} { path_beg ${r.pathPrefix}/ }`;
}

export function renderHaproxy(table: RouteTable, o: HaproxyOptions): HaproxyConfig {
  const limits = { ...HAPROXY_DEFAULT_LIMITS, ...o.limits };
  const avoid = new Set(table.avoidSites ?? []);
  const byApp = new Map<string, Route>();
  for (const r of table.routes) if (!byApp.has(r.app)) byApp.set(r.app, r);
  const apps = [...byApp.keys()].sort();
  const servers = apps.flatMap((a) => serversOf(byApp.get(a)!, o.site, avoid));

  const exact = table.routes.filter((r) => !r.host.startsWith('*.'));
  const wild = table.routes.filter((r) => r.host.startsWith('*.'));
  const byPrefix = (a: Route, b: Route) => b.pathPrefix.length - a.pathPrefix.length || (a.host < b.host ? -1 : 1);
  const hosts = `${o.dir}/hosts.map`;
  const wildcards = `${o.dir}/wildcards.map`;
  // Each map is looked up once per request (into a variable); the wildcard map only without an exact hit.
  const lookups = [
    `  http-request set-var(txn.exact) var(txn.host),map(${hosts})`,
    `  http-request set-var(txn.wild) var(txn.host),map_end(${wildcards}) unless { var(txn.exact) -m found }`,
  ];
  const rules = [
    ...exact.filter((x) => x.pathPrefix !== '/').sort(byPrefix).map((r) => `  use_backend ${backendName(r.app)} if ${routeCond(r)}`),
    '  use_backend %[var(txn.exact)] if { var(txn.exact) -m found }',
    ...wild.filter((x) => x.pathPrefix !== '/').sort(byPrefix).map((r) => `  use_backend ${backendName(r.app)} if ${routeCond(r)}`),
    '  use_backend %[var(txn.wild)] if { var(txn.wild) -m found }',
  ];

  const hostsMap = exact.filter((r) => r.pathPrefix === '/').map((r) => `${r.host.toLowerCase()} ${backendName(r.app)}`).sort().join('\n');
  const wildcardMap = wild
    .filter((r) => r.pathPrefix === '/')
    .map((r) => [r.host.slice(1).toLowerCase(), backendName(r.app)] as const)
    .sort((a, b) => b[0].length - a[0].length || (a[0] < b[0] ? -1 : 1))
    .map(([k, v]) => `${k} ${v}`)
    .join('\n');

  const s = (ms: number) => `${Math.max(1, Math.round(ms))}ms`;
  const lines = [
    '# Rendered by hafen from the route table; changes here are overwritten.',
    'global',
    '  master-worker',
    ...(o.threads ? [`  nbthread ${o.threads}`] : []),
    `  stats socket ${o.dir}/admin.sock mode 600 level admin expose-fd listeners`,
    `  server-state-file ${o.dir}/server-state`,
    `  lua-load ${o.dir}/hop-by-hop.lua`,
    // The request head must fit a buffer: its size less the rewrite reserve.
    `  tune.bufsize ${limits.maxHeaderBytes + 1024}`,
    '  tune.maxrewrite 1024',
    // A worker replaced by a reload finishes what it holds; tunnels (WebSockets) it still holds
    // after this are cut so old workers do not pile up.
    '  hard-stop-after 10m',
    '',
    'defaults',
    '  mode http',
    ...(o.accessLog === false ? [] : ['  log stdout format raw local0 info', '  option httplog']),
    '  load-server-state-from-file global',
    // After a reload the old worker keeps idle keep-alive connections and answers the next
    // request on each (with Connection: close) instead of closing them under a client that
    // may be sending on one that instant.
    '  option idle-close-on-response',
    '  timeout connect 1s',
    `  timeout client ${s(limits.requestTimeoutMs)}`,
    `  timeout http-request ${s(limits.headersTimeoutMs)}`,
    `  timeout http-keep-alive ${s(limits.keepAliveTimeoutMs)}`,
    `  timeout server ${s(limits.responseTimeoutMs)}`,
    `  timeout tunnel ${s(limits.tunnelIdleTimeoutMs)}`,
    '  timeout queue 5s',
    // A check's answer after connecting: a hung replica fails two in about 2 s.
    '  timeout check 500ms',
    // Enough tries for every replica of a lost site to be marked down and give way to the backups.
    '  retries 5',
    '  option redispatch 1',
    '  retry-on conn-failure empty-response response-timeout',
    // Idle server connections stay with their client connection. Shared ones ("safe") let a
    // retry after a site loss take the next pooled connection to the same dead replica, and the
    // next, until the retries ran out (1 in ~10 site losses under load lost a GET that way);
    // a fresh connection is refused at once and marks the replica down. Same throughput with
    // keep-alive clients (bench/proxy.ts).
    '  http-reuse never',
    `  default-server ${SERVER_CHECKS}`,
    '',
    'frontend hafen',
    `  bind ${o.listen}`,
    // The global limit is HAProxy's own, from the file-descriptor limit it runs with.
    `  maxconn ${limits.maxConnections}`,
    // strict-sni: a name without a certificate fails the handshake (no other site's certificate shown).
    ...(o.tls ? [`  bind ${o.tls.listen} ssl crt-list ${o.tls.crtList} strict-sni alpn http/1.1`] : []),
    '  stick-table type ipv6 size 1m expire 60s store conn_cur',
    '  tcp-request connection track-sc0 src',
    `  tcp-request connection reject if { sc0_conn_cur gt ${limits.maxConnectionsPerClient} }`,
    '  http-request set-var(txn.host) req.hdr(host),field(1,:),lower,regsub(\\.$,)',
    // Over TLS the Host is the name the connection was made for (RFC 9110 421): no other customer's domain on it.
    ...(o.tls
      ? [
          '  http-request set-var(txn.sni) ssl_fc_sni,lower if { ssl_fc_has_sni }',
          `  http-request return status 421 content-type application/json lf-string ${q('{"error":{"code":"HAFEN_PROXY_MISDIRECTED","message":"this connection was made for another host","retryable":false}}\n')} hdr x-hafen-error HAFEN_PROXY_MISDIRECTED if { ssl_fc_has_sni } !{ var(txn.sni),strcmp(txn.host) eq 0 }`,
        ]
      : []),
    // Only a Connection header naming more than keep-alive or close needs the Lua helper.
    '  http-request lua.hafen_hop_by_hop if { req.hdr(connection) -m found } !{ req.hdr(connection) -m str -i keep-alive close upgrade }',
    // Only a WebSocket handshake may become a tunnel: any other upgrade request is served as the
    // ordinary request it also is (HAProxy would tunnel whatever protocol a server switched to).
    '  acl hafen_upgrade req.hdr(upgrade) -m found',
    '  acl hafen_websocket req.hdr(upgrade) -m str -i websocket',
    '  http-request del-header upgrade if hafen_upgrade !hafen_websocket or hafen_upgrade !METH_GET',
    // The forwarding headers are the proxy's own: set-header replaces a client's; the rest go.
    ...CLIENT_CLAIM_HEADERS.map((h) => `  http-request del-header ${h}`),
    ...table.routes.filter((r) => r.redirectHttps).map((r) => `  http-request redirect scheme https code 308 if !{ ssl_fc } { var(txn.host) -m str ${r.host.toLowerCase()} }`),
    '  http-request set-header x-forwarded-for %[src]',
    '  http-request set-header x-forwarded-proto %[ssl_fc,iif(https,http)]',
    '  http-request set-header x-forwarded-host %[var(txn.host)]',
    '  http-request set-header forwarded for=%[src];proto=%[ssl_fc,iif(https,http)];host=%[var(txn.host)]',
    // L7 retries (empty response, response timeout) only for requests that are safe to repeat.
    '  http-request disable-l7-retry unless METH_GET || METH_OPTIONS',
    ...lookups,
    ...rules,
    '  default_backend hafen_no_route',
    '',
    'backend hafen_no_route',
    // The host is escaped by the json converter; the rest is written as errorJson would.
    `  http-request return status 404 content-type application/json lf-string ${q(`{"error":{"code":"HAFEN_PROXY_UNKNOWN_HOST","message":"no site is served here for %[var(txn.host),json(utf8s)]","retryable":false}}\n`)} hdr x-hafen-error HAFEN_PROXY_UNKNOWN_HOST`,
    ...(o.admin
      ? [
          '',
          'frontend hafen_admin',
          `  bind ${o.admin}`,
          '  http-request use-service prometheus-exporter if { path /metrics }',
          ...(o.adminSocket
            ? ['  default_backend hafen_admin', '', 'backend hafen_admin', `  server hafen unix@${o.adminSocket} no-check`]
            : ['  http-request return status 200 content-type application/json string "{\\"ok\\":true}" if { path /healthz }', '  http-request return status 404']),
        ]
      : []),
    ...apps.flatMap((a) => ['', ...backendBlock(byApp.get(a)!, servers.filter((x) => x.app === a), o.dir)]),
    '',
  ];
  const config = lines.join('\n');
  // Servers are added, removed, re-addressed and weighted at run time (proxy/haproxy/plan.ts);
  // everything else in the config needs a reload.
  const structureHash = contentHash(config.replace(/^ {2}server .*\n/gm, ''));
  const backends = apps.map((a) => ({ name: backendName(a), ...(byApp.get(a)!.tryTimeoutMs !== undefined ? { tryTimeoutMs: byApp.get(a)!.tryTimeoutMs } : {}) }));
  return { config, hostsMap: hostsMap ? `${hostsMap}\n` : '', wildcardMap: wildcardMap ? `${wildcardMap}\n` : '', servers, backends, structureHash };
}

/** The Lua helper: headers named in Connection are hop-by-hop and do not cross (RFC 9110 7.6.1). */
export const HOP_BY_HOP_LUA = `-- Rendered by hafen.
core.register_action("hafen_hop_by_hop", { "http-req" }, function(txn)
  local conn = txn.http:req_get_headers()["connection"]
  if conn == nil then return end
  for _, value in pairs(conn) do
    for name in string.gmatch(value, "[^,%s]+") do
      local n = string.lower(name)
      if n ~= "close" and n ~= "keep-alive" and n ~= "upgrade" and n ~= "host" then txn.http:req_del_header(n) end
    end
  end
end)
`;
