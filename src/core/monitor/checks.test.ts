import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { validateFleet } from '../fleet/validate.js';
import { schedule } from '../placement/schedule.js';
import { deriveChecks, probesHash, resolveProbes } from './checks.js';

const minimal = validateFleet([{ name: 'examples/minimal.yaml', text: readFileSync(new URL('../../../examples/minimal.yaml', import.meta.url), 'utf8') }]).fleet!;
const placements = schedule(minimal).placements;
const addresses = new Map(minimal.hosts.map((h, i) => [h.id, `127.0.1.${i + 1}`]));

test('every replica gets a direct check and every domain a check through the proxies and a TLS check', () => {
  const checks = deriveChecks(minimal, placements, addresses);
  const ids = checks.map((c) => c.id);
  assert.deepEqual(ids, ['domain:shop.baeckerei-huber.example', 'replica:huber-orders-r1', 'replica:huber-shop-r1', 'replica:huber-shop-r2', 'tls:shop.baeckerei-huber.example']);
  const r1 = checks.find((c) => c.id === 'replica:huber-shop-r1')!;
  assert.equal(r1.kind, 'http');
  assert.equal(r1.path, '/healthz');
  assert.equal(r1.customer, 'baeckerei-huber');
  assert.equal(r1.address, addresses.get(r1.host!));
  assert.equal(checks.find((c) => c.id === 'domain:shop.baeckerei-huber.example')!.via, 'proxy');
});

test('a replica on a host with no address gets no check; an app without HTTP health gets a TCP check', () => {
  const without = new Map([...addresses].filter(([h]) => h !== placements.find((p) => p.app === 'huber-orders')!.host));
  assert.ok(!deriveChecks(minimal, placements, without).some((c) => c.id === 'replica:huber-orders-r1'));
  const noHealth = { ...minimal, apps: minimal.apps.map((a) => (a.id === 'huber-orders' ? { ...a, health: undefined } : a)) };
  const tcp = deriveChecks(noHealth, placements, addresses).find((c) => c.id === 'replica:huber-orders-r1')!;
  assert.equal(tcp.kind, 'tcp');
  assert.equal(tcp.port, 8081);
});

test('checks through the proxies go to the own site\'s proxy, else another; TLS only where a proxy has TLS', () => {
  const checks = deriveChecks(minimal, placements, addresses);
  const proxies = [
    { site: 'vie', address: '127.0.2.1', port: 8080 },
    { site: 'nue', address: '127.0.1.9', port: 8080 },
  ];
  const atNue = resolveProbes(checks, 'nue', proxies);
  assert.equal(atNue.find((p) => p.id.startsWith('domain:'))!.address, '127.0.1.9');
  assert.equal(atNue.find((p) => p.id.startsWith('domain:'))!.host, 'shop.baeckerei-huber.example');
  assert.ok(!atNue.some((p) => p.kind === 'tls'), 'no proxy terminates TLS');
  const atHel = resolveProbes(checks, 'hel', proxies);
  assert.equal(atHel.find((p) => p.id.startsWith('domain:'))!.address, '127.0.1.9', 'no proxy at hel: the first other site');
  const withTls = resolveProbes(checks, 'nue', [{ ...proxies[1]!, tlsPort: 8443 }]);
  assert.deepEqual(
    withTls.filter((p) => p.kind === 'tls').map((p) => [p.port, p.host]),
    [[8443, 'shop.baeckerei-huber.example']],
  );
  assert.equal(resolveProbes(checks, 'nue', []).filter((p) => p.id.startsWith('replica:')).length, 3, 'direct checks need no proxy');
  assert.equal(probesHash(atNue), probesHash(resolveProbes(checks, 'nue', [...proxies].reverse())), 'the order of the proxies does not matter');
});

test('extra checks: per replica directly (HTTP on a port, TCP), or per domain through the proxies', () => {
  const withExtras = {
    ...minimal,
    apps: minimal.apps.map((a) =>
      a.id === 'huber-shop'
        ? { ...a, checks: [{ name: 'api', http: { path: '/api/ping', port: 9090, expectStatus: 204, via: 'direct' as const } }, { name: 'db', tcp: { port: 5432 } }, { name: 'cart', http: { path: '/cart', expectStatus: 200, keyword: 'Warenkorb', via: 'proxy' as const } }] }
        : a,
    ),
  };
  const checks = deriveChecks(withExtras, placements, addresses);
  const extras = checks.filter((c) => c.id.startsWith('extra:'));
  assert.deepEqual(extras.map((c) => c.id), [
    'extra:huber-shop-r1:api',
    'extra:huber-shop-r1:db',
    'extra:huber-shop-r2:api',
    'extra:huber-shop-r2:db',
    'extra:huber-shop:cart:shop.baeckerei-huber.example',
  ]);
  const api = extras.find((c) => c.id === 'extra:huber-shop-r1:api')!;
  assert.deepEqual([api.kind, api.port, api.path, api.expectStatus, api.via, api.site !== undefined], ['http', 9090, '/api/ping', 204, 'direct', true]);
  const cart = extras.find((c) => c.id.startsWith('extra:huber-shop:cart'))!;
  assert.deepEqual([cart.via, cart.domain, cart.keyword], ['proxy', 'shop.baeckerei-huber.example', 'Warenkorb']);
  assert.equal(extras.find((c) => c.id === 'extra:huber-shop-r2:db')!.kind, 'tcp');
});
