import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Scenario } from '../core/risk/scenarios.js';
import { heatRows } from './risk-view.js';

const s = (group: string, share: number): Scenario => ({ group, kind: group.split(':')[0] as Scenario['kind'], share, appsDown: 0, appsDegraded: 0, customersAffected: 0, customersTotal: 10, criticalAppsDown: 0, capacityLost: { hosts: 0, cpu: 0, memory: 0, disk: 0 }, failover: [], noQuorum: [], down: [], degraded: [], customers: [] });

test('heat rows: kinds from the widest failure to the narrowest, worst first, the limit at half heat, breaches marked', () => {
  const rows = heatRows({ scenarios: [s('host:a', 0.1), s('site:nue', 0.3), s('site:hel', 0.6), s('country:DE', 0.3), s('host:b', 0), { ...s('site:nue+site:hel', 1), kind: 'pair' }] }, 0.5);
  assert.deepEqual(rows.map((r) => r.kind), ['country', 'site', 'host']);
  assert.deepEqual(rows[1]!.cells.map((c) => [c.group, c.heat, c.over]), [['site:hel', 0.6, true], ['site:nue', 0.3, false]]);
  assert.deepEqual(rows[2]!.cells.map((c) => c.heat), [0.1, 0]);
  assert.equal(heatRows({ scenarios: [s('site:x', 1)] }, 0.2)[0]!.cells[0]!.heat, 1, 'capped at 1');
});
