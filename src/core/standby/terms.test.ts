import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Route, RouteTable } from '../render/routes.js';
import { keepNewestTerms } from './terms.js';

const route = (host: string, term: number | undefined, writer: string): Route => ({
  host,
  pathPrefix: '/',
  app: host.split('.')[0]!,
  redirectHttps: false,
  replicas: ['r1', 'r2'].map((id) => ({ id: `${host}-${id}`, site: 's', host: 'h', address: '127.0.0.1', port: 1, weight: id === writer ? 100 : 0, state: 'active' as const })),
  ...(term !== undefined ? { term } : {}),
});
const table = (revision: number, ...routes: Route[]): RouteTable => ({ revision, routes });

test('a proxy never goes back to an older writer: a route of an older term keeps the newer one; newer and equal terms and other apps pass', () => {
  const applied = table(5, route('db.example', 3, 'r2'), route('web.example', undefined, 'r1'));
  const stale = table(4, route('db.example', 2, 'r1'), route('web.example', undefined, 'r2'));
  const { table: out, kept } = keepNewestTerms(stale, applied);
  assert.deepEqual(kept, ['db']);
  assert.deepEqual(out.routes[0], applied.routes[0], 'the term-3 writer stays');
  assert.deepEqual(out.routes[1], stale.routes[1], 'an app without terms takes the new table');
  assert.equal(out.revision, 4);
  assert.deepEqual(keepNewestTerms(table(6, route('db.example', 4, 'r1')), applied), { table: table(6, route('db.example', 4, 'r1')), kept: [] });
  assert.deepEqual(keepNewestTerms(stale, undefined).kept, []);
});
