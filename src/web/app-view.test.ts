import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { CheckStatus } from '../core/monitor/status.js';
import { healthRows, replicaRows, type AppStatus } from './app-view.js';

test('health rows: each site sees up, down, or nothing decided; sites that do not probe show –', () => {
  const check = { id: 'replica:shop-r1', title: 'shop replica 1', state: 'degraded', views: { nue: { up: true, fails: 0, at: '', ms: 3 }, hel: { up: false, fails: 2, at: '', ms: 0, error: 'refused' }, vie: { up: null, fails: 0, at: '', ms: 0 } } } as unknown as CheckStatus;
  assert.deepEqual(healthRows([check], ['nue', 'vie', 'hel', 'ams']), [{ check: 'replica:shop-r1', title: 'shop replica 1', state: 'degraded', sites: { nue: 'up', vie: '–', hel: 'down', ams: '–' } }]);
});

test('replica rows are sorted by site, then unit', () => {
  const u = (unit: string, site: string) => ({ unit, host: 'h', site, state: 'running', check: 'up', hostUp: true, restarts: 0 });
  const app = { app: 'shop', customer: 'c', critical: false, domains: [], desired: 3, running: 3, units: [u('shop-r2', 'vie'), u('shop-r3', 'hel'), u('shop-r1', 'vie')] } as AppStatus;
  assert.deepEqual(replicaRows(app).units.map((x) => x.unit), ['shop-r3', 'shop-r1', 'shop-r2']);
});
