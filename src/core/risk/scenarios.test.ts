import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { validateFleet } from '../fleet/validate.js';
import { schedule } from '../placement/schedule.js';
import { buildGroups } from './groups.js';
import { analyseRisk } from './scenarios.js';

const { fleet } = validateFleet([{ name: 'f.yaml', text: readFileSync(new URL('../../../test/fixtures/scenarios/shared-facility.yaml', import.meta.url), 'utf8') }]);

test('a site inside another provider\'s facility belongs to both providers\' fate', () => {
  assert.ok(fleet);
  const g = buildGroups(fleet);
  const nue = fleet.hosts.findIndex((h) => h.id === 'nue-1');
  const keys = g.hostGroups[nue]!.map((i) => g.groups[i]!.key);
  assert.deepEqual(keys.sort(), ['country:DE', 'facility:nbg', 'host:nue-1', 'provider:provider-a', 'provider:provider-b', 'site:nue']);
});

test('scenarios: down, degraded, weighted share, critical; pairs add double failures', () => {
  assert.ok(fleet);
  const { placements } = schedule(fleet);
  const report = analyseRisk(fleet, placements, { pairs: true });
  const s = (k: string) => report.scenarios.find((x) => x.group === k)!;
  assert.deepEqual([s('site:nue').appsDown, s('site:nue').appsDegraded], [0, 1]);
  assert.deepEqual([s('provider:provider-b').appsDown, s('provider:provider-b').criticalAppsDown, s('provider:provider-b').share], [1, 1, 0.5]);
  assert.equal(s('provider:provider-b').capacityLost.hosts, 2);
  const pair = s('site:hel+site:nue');
  assert.equal(pair.kind, 'pair');
  assert.deepEqual(pair.down, ['acme-db']);
  assert.ok(!report.scenarios.some((x) => x.kind === 'pair' && x.group.includes('host:')), 'pairs leave out single hosts');
  // Worst first.
  for (let i = 1; i < report.scenarios.length; i++) assert.ok(report.scenarios[i - 1]!.share >= report.scenarios[i]!.share);
});
