import assert from 'node:assert/strict';
import { test } from 'node:test';
import { renderHaproxy, SERVER_CHECKS } from '../../core/render/haproxy.js';
import type { Replica, RouteTable } from '../../core/render/routes.js';
import { REFUSED, runtimePlan } from './plan.js';

const rep = (id: string, site: string, extra: Partial<Replica> = {}): Replica => ({ id, site, host: `${site}-1`, address: '10.0.0.1', port: 8080, weight: 100, state: 'active', ...extra });
const table = (replicas: Replica[], extra: Partial<RouteTable> = {}, hosts = ['shop.example.com']): RouteTable => ({
  revision: 1,
  routes: hosts.map((host) => ({ host, pathPrefix: '/', app: 'shop', redirectHttps: false, replicas })),
  ...extra,
});
const o = { site: 'nue', listen: '127.0.0.1:8080', dir: '/run/hafen' };
const plan = (a: RouteTable, b: RouteTable) => runtimePlan(renderHaproxy(a, o), renderHaproxy(b, o), '/run/hafen/hosts.map');
const commands = (p: ReturnType<typeof plan>) => ('steps' in p ? p.steps.map((s) => s.command) : p);

test('a replica added to an app: added with every check keyword (it does not inherit default-server), then its checks and traffic enabled', () => {
  const p = plan(table([rep('shop-r1', 'nue')]), table([rep('shop-r1', 'nue'), rep('shop-r2', 'nue', { address: '10.0.0.2', port: 9000 }), rep('shop-r3', 'vie')]));
  assert.deepEqual(commands(p), [
    `add server app_shop/shop-r2 10.0.0.2:9000 weight 256 ${SERVER_CHECKS}`,
    'enable health app_shop/shop-r2',
    'enable server app_shop/shop-r2',
    `add server app_shop/shop-r3 10.0.0.1:8080 weight 256 backup ${SERVER_CHECKS}`,
    'enable health app_shop/shop-r3',
    'enable server app_shop/shop-r3',
  ]);
  assert.ok('steps' in p && p.steps[0]!.ok!.test('New server registered.'));
});

test('a replica removed: new servers first, the removed one put in maintenance last and listed for deletion', () => {
  const p = plan(table([rep('shop-r1', 'nue'), rep('shop-r2', 'nue')]), table([rep('shop-r2', 'nue'), rep('shop-r4', 'nue')]));
  assert.deepEqual(commands(p), [`add server app_shop/shop-r4 10.0.0.1:8080 weight 256 ${SERVER_CHECKS}`, 'enable health app_shop/shop-r4', 'enable server app_shop/shop-r4', 'set server app_shop/shop-r1 state maint']);
  assert.ok('remove' in p);
  assert.deepEqual(p.remove, ['app_shop/shop-r1']);
});

test('a moved replica gets its new address; weights and drains are set; host names of the app added and removed', () => {
  const p = plan(table([rep('shop-r1', 'nue'), rep('shop-r2', 'nue')]), table([rep('shop-r1', 'nue', { address: '10.0.0.9', port: 8081 }), rep('shop-r2', 'nue', { state: 'drain' })], {}, ['www.example.com']));
  assert.deepEqual(commands(p), [
    'set server app_shop/shop-r1 addr 10.0.0.9 port 8081',
    'set server app_shop/shop-r2 weight 0',
    'add map /run/hafen/hosts.map www.example.com app_shop',
    'del map /run/hafen/hosts.map shop.example.com',
  ]);
  assert.deepEqual(commands(plan(table([rep('shop-r1', 'nue')]), table([rep('shop-r1', 'nue')]))), []);
});

test('what servers cannot change at run time is a reload: a site preference that makes a server a backup, a new app, checks, wildcards', () => {
  const two = [rep('shop-r1', 'nue'), rep('shop-r2', 'vie')];
  assert.match(String((plan(table(two), table(two, { avoidSites: ['nue'] })) as { reload: string }).reload), /shop-r1 became a backup/);
  assert.ok('reload' in plan(table(two), { revision: 2, routes: [...table(two).routes, { host: 'blog.example.com', pathPrefix: '/', app: 'blog', redirectHttps: false, replicas: [rep('blog-r1', 'nue')] }] }));
  assert.ok('reload' in plan(table(two), { revision: 2, routes: table(two).routes.map((r) => ({ ...r, health: { path: '/healthz', expectStatus: 200 } })) }));
  assert.ok('reload' in plan(table(two), table(two, {}, ['shop.example.com', '*.shop.example.com'])));
});

test('REFUSED: HAProxy\'s error answers, not its notes', () => {
  for (const a of ['No such server.', 'Unknown command', "Backend 'app_x' does not exist", 'Already exists a server with the same name in backend.', "Can't find", 'Require admin level']) assert.ok(REFUSED.test(a), a);
  for (const a of ['', "no need to change the addr, port changed from '18601' to '18600' by 'stats socket command'", 'Server deleted.', 'New server registered.']) assert.equal(REFUSED.test(a), false, a);
});
