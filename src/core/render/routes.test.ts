import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { schedule } from '../placement/schedule.js';
import { validateFleet } from '../fleet/validate.js';
import { routeTable } from './routes.js';

const minimal = readFileSync(new URL('../../../examples/minimal.yaml', import.meta.url), 'utf8');
/** The minimal fleet with `proxy:` given to huber-shop. */
const withProxy = (proxy: string) => [{ name: 'f.yaml', text: minimal.replace('    health: { path: /healthz }\n', `    health: { path: /healthz }\n    proxy: ${proxy}\n`) }];

test("an app's try timeout from the fleet reaches its routes; without one the proxies derive it", () => {
  const res = validateFleet(withProxy('{ tryTimeout: 30s }'));
  assert.deepEqual(res.problems.filter((p) => p.severity === 'error'), []);
  const addresses = new Map(res.fleet!.hosts.map((h) => [h.id, h.address ?? '10.0.0.1']));
  const routes = routeTable(res.fleet!, schedule(res.fleet!).placements, 1, addresses).routes;
  assert.equal(routes.find((r) => r.app === 'huber-shop')!.tryTimeoutMs, 30_000);
  assert.ok(routes.filter((r) => r.app !== 'huber-shop').every((r) => r.tryTimeoutMs === undefined));
});

test('a try timeout outside 100ms … 10m, or not a duration, is an error at its path', () => {
  for (const bad of ['{ tryTimeout: 50ms }', '{ tryTimeout: 11m }', '{ tryTimeout: soon }', '{ retries: 2 }']) {
    const errors = validateFleet(withProxy(bad)).problems.filter((p) => p.severity === 'error');
    assert.ok(errors.some((p) => p.path.startsWith('apps[0].proxy')), `${bad}: ${JSON.stringify(errors.map((e) => [e.path, e.message]))}`);
  }
});
