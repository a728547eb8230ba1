import assert from 'node:assert/strict';
import { test } from 'node:test';
import { renderHaproxy } from './haproxy.js';
import type { Replica, RouteTable } from './routes.js';

const rep = (id: string, site: string, extra: Partial<Replica> = {}): Replica => ({ id, site, host: `${site}-1`, address: '10.0.0.1', port: 8080, weight: 100, state: 'active', ...extra });
const route = (host: string, app: string, replicas: Replica[], extra = {}) => ({ host, pathPrefix: '/', app, redirectHttps: false, replicas, ...extra });
const o = { site: 'nue', listen: '127.0.0.1:8080', dir: '/run/hafen' };
const serverLine = (config: string, name: string) => config.split('\n').find((l) => l.startsWith(`  server ${name} `));

test('own site first: replicas elsewhere are backups; a moving app weighs all alike; lost sites come last, the own one too', () => {
  const t: RouteTable = { revision: 1, routes: [route('shop.example.com', 'shop', [rep('shop-r1', 'nue'), rep('shop-r2', 'vie')]), route('blog.example.com', 'blog', [rep('blog-r1', 'vie')])] };
  const c = renderHaproxy(t, o).config;
  assert.doesNotMatch(serverLine(c, 'shop-r1')!, /backup/);
  assert.match(serverLine(c, 'shop-r2')!, / backup$/);
  assert.doesNotMatch(serverLine(c, 'blog-r1')!, /backup/, 'no replica at the own site: the others are primary');
  const moving = renderHaproxy({ ...t, routes: [route('shop.example.com', 'shop', t.routes[0]!.replicas, { siteAffinity: false })] }, o).config;
  assert.doesNotMatch(serverLine(moving, 'shop-r2')!, /backup/);
  const lost = renderHaproxy({ ...t, avoidSites: ['nue'] }, o).config;
  assert.match(serverLine(lost, 'shop-r1')!, / backup$/);
  assert.doesNotMatch(serverLine(lost, 'shop-r2')!, /backup/);
});

test('weights keep their ratios on HAProxy\'s 0–256 scale; drain and weight 0 take nothing', () => {
  const t: RouteTable = { revision: 1, routes: [route('w.example.com', 'w', [rep('w-r1', 'nue', { weight: 10 }), rep('w-r2', 'nue', { weight: 90 }), rep('w-r3', 'nue', { state: 'drain' }), rep('w-r4', 'nue', { weight: 0 })])] };
  assert.deepEqual(renderHaproxy(t, o).servers.map((s) => [s.server, s.weight]), [['w-r1', 28], ['w-r2', 256], ['w-r3', 0], ['w-r4', 0]]);
});

test('exact names go to hosts.map, wildcards to wildcards.map longest suffix first, path prefixes to rules ahead of them', () => {
  const t: RouteTable = {
    revision: 1,
    routes: [
      route('Shop.example.com', 'shop', [rep('shop-r1', 'nue')]),
      { ...route('shop.example.com', 'api', [rep('api-r1', 'nue')]), pathPrefix: '/api' },
      route('*.example.com', 'any', [rep('any-r1', 'nue')]),
      route('*.eu.example.com', 'eu', [rep('eu-r1', 'nue')]),
    ],
  };
  const r = renderHaproxy(t, o);
  assert.equal(r.hostsMap, 'shop.example.com app_shop\n');
  assert.equal(r.wildcardMap, '.eu.example.com app_eu\n.example.com app_any\n');
  const rules = r.config.split('\n').filter((l) => l.startsWith('  use_backend'));
  assert.equal(rules.length, 3);
  assert.match(rules[0]!, /^ {2}use_backend app_api if \{ var\(txn.host\) -m str shop.example.com \} \{ path \/api \} \|\| \{ var\(txn.host\) -m str shop.example.com \} \{ path_beg \/api\/ \}$/);
  assert.equal(rules[1], '  use_backend %[var(txn.exact)] if { var(txn.exact) -m found }');
  assert.equal(rules[2], '  use_backend %[var(txn.wild)] if { var(txn.wild) -m found }');
  assert.ok(r.config.includes('  http-request set-var(txn.exact) var(txn.host),map(/run/hafen/hosts.map)\n'));
  assert.ok(r.config.includes('  http-request set-var(txn.wild) var(txn.host),map_end(/run/hafen/wildcards.map) unless { var(txn.exact) -m found }\n'));
});

test('the structure hash ignores servers and host names of existing apps (changed at run time), and sees apps, routes and checks', () => {
  const base: RouteTable = { revision: 1, routes: [route('a.example.com', 'a', [rep('a-r1', 'nue'), rep('a-r2', 'vie')])] };
  const h = renderHaproxy(base, o).structureHash;
  assert.equal(renderHaproxy({ ...base, routes: [route('a.example.com', 'a', [rep('a-r1', 'nue', { weight: 10 }), rep('a-r2', 'vie', { state: 'drain' })])] }, o).structureHash, h);
  assert.equal(renderHaproxy({ ...base, routes: [...base.routes, route('b.example.com', 'a', base.routes[0]!.replicas)] }, o).structureHash, h);
  assert.equal(renderHaproxy({ ...base, routes: [route('a.example.com', 'a', [...base.routes[0]!.replicas, rep('a-r3', 'hel')])] }, o).structureHash, h);
  assert.equal(renderHaproxy({ ...base, avoidSites: ['nue'] }, o).structureHash, h);
  assert.notEqual(renderHaproxy({ ...base, routes: [route('a.example.com', 'a', base.routes[0]!.replicas, { health: { path: '/h', expectStatus: 200 } })] }, o).structureHash, h);
  assert.notEqual(renderHaproxy({ ...base, routes: [...base.routes, route('b.example.com', 'b', [rep('b-r1', 'nue')])] }, o).structureHash, h);
  assert.notEqual(renderHaproxy({ ...base, routes: [...base.routes, route('a.example.com', 'a', base.routes[0]!.replicas, { pathPrefix: '/api' })] }, o).structureHash, h);
});

test('hafen\'s defaults: checks every second, fall 2, rise 2, passive mark-down, redispatch and safe retries; a 503 that says why', () => {
  const c = renderHaproxy({ revision: 1, routes: [route('a.example.com', 'a', [rep('a-r1', 'nue')], { health: { path: '/healthz', expectStatus: 204 } })] }, { ...o, limits: { headersTimeoutMs: 500, maxConnectionsPerClient: 5 } }).config;
  for (const line of ['timeout check 500ms', 'default-server check inter 500ms fastinter 250ms downinter 1s fall 2 rise 2 observe layer4 error-limit 1 on-error mark-down', 'option redispatch 1', 'retry-on conn-failure empty-response response-timeout', 'http-reuse never', 'option idle-close-on-response', 'hard-stop-after 10m', 'http-request disable-l7-retry unless METH_GET || METH_OPTIONS', 'option httpchk GET /healthz', 'http-check expect status 204', 'timeout http-request 500ms', 'tcp-request connection reject if { sc0_conn_cur gt 5 }']) {
    assert.ok(c.includes(`  ${line}\n`), line);
  }
  assert.ok(c.includes('  http-error status 503 content-type application/json string "{\\"error\\":{\\"code\\":\\"HAFEN_PROXY_NO_REPLICA\\",\\"message\\":\\"no healthy replica of a is available; try again shortly\\",\\"retryable\\":true}}\\n" hdr retry-after 5 hdr x-hafen-error HAFEN_PROXY_NO_REPLICA\n'));
});

test('the admin address: HAProxy serves /metrics and hands the rest to hafen over its socket; without one, /healthz only', () => {
  const t: RouteTable = { revision: 1, routes: [route('a.example.com', 'a', [rep('a-r1', 'nue')])] };
  const withSocket = renderHaproxy(t, { ...o, admin: '127.0.0.1:9100', adminSocket: '/run/hafen/hafen-admin.sock' }).config;
  assert.ok(withSocket.includes('frontend hafen_admin\n  bind 127.0.0.1:9100\n  http-request use-service prometheus-exporter if { path /metrics }\n  default_backend hafen_admin\n'));
  assert.ok(withSocket.includes('backend hafen_admin\n  server hafen unix@/run/hafen/hafen-admin.sock no-check\n'));
  const alone = renderHaproxy(t, { ...o, admin: '127.0.0.1:9100' }).config;
  assert.match(alone, /http-request return status 200 content-type application\/json string "\{\\"ok\\":true\}" if \{ path \/healthz \}/);
  assert.doesNotMatch(alone, /backend hafen_admin/);
});
