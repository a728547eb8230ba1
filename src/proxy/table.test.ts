import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Route } from '../core/render/routes.js';
import { normalizeHost, RouteMatcher } from './table.js';

const route = (host: string, app: string, pathPrefix = '/'): Route => ({ host, app, pathPrefix, redirectHttps: false, replicas: [] });

test('host names are normalised: case, port, trailing dot; malformed ones are refused', () => {
  assert.equal(normalizeHost('Shop.Example.COM:8443'), 'shop.example.com');
  assert.equal(normalizeHost('shop.example.com.'), 'shop.example.com');
  assert.equal(normalizeHost('[::1]:80'), '[::1]');
  assert.equal(normalizeHost(undefined), undefined);
  assert.equal(normalizeHost('bad host'), undefined);
  assert.equal(normalizeHost('evil.com/x'), undefined);
});

test('exact names win over wildcards, longer wildcards over shorter, longer path prefixes over shorter', () => {
  const m = new RouteMatcher({
    revision: 1,
    routes: [route('*.example.com', 'any'), route('*.shop.example.com', 'tenant'), route('shop.example.com', 'shop'), route('shop.example.com', 'api', '/api')],
  });
  assert.equal(m.match('shop.example.com', '/')?.app, 'shop');
  assert.equal(m.match('shop.example.com', '/api/orders')?.app, 'api');
  assert.equal(m.match('shop.example.com', '/api')?.app, 'api');
  assert.equal(m.match('shop.example.com', '/apix')?.app, 'shop', 'a prefix matches whole segments');
  assert.equal(m.match('a.shop.example.com', '/')?.app, 'tenant');
  assert.equal(m.match('blog.example.com', '/')?.app, 'any');
  assert.equal(m.match('a.b.example.com', '/')?.app, 'any');
  assert.equal(m.match('example.com', '/'), undefined, 'a wildcard does not match its own base name');
  assert.equal(m.match('example.org', '/'), undefined);
});
