import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { validateFleet } from '../fleet/validate.js';
import { analyseRisk } from '../risk/scenarios.js';
import { rebalance } from './rebalance.js';
import { schedule } from './schedule.js';

// The provider-heavy fixture with c3 free to go anywhere and c4 of weight 1 (so that provider
// B can take c3 without breaking the policy itself).
const text = readFileSync(new URL('../../../test/fixtures/scenarios/rebalance.yaml', import.meta.url), 'utf8');

test('rebalance finds the single move that brings the skewed fleet back under the policy', () => {
  const { fleet } = validateFleet([{ name: 'f.yaml', text }]);
  assert.ok(fleet);
  const skewed = schedule(fleet, { previous: [{ app: 'c3-web', replica: 1, host: 'a2-app-1', site: 'a2' }] });
  assert.equal(skewed.placements.find((p) => p.app === 'c3-web')?.host, 'a2-app-1', 'the previous placement is kept');
  assert.deepEqual(analyseRisk(fleet, skewed.placements).violations.map((v) => v.group), ['provider:prov-a']);

  const fixed = rebalance(fleet, skewed.placements);
  assert.deepEqual(fixed.moves, [{ app: 'c3-web', replica: 1, from: 'a2-app-1', to: 'b1-app-1' }]);
  assert.deepEqual(fixed.remaining, []);
  assert.deepEqual(analyseRisk(fleet, fixed.placements).violations, []);
});

test('rebalance leaves a fleet alone when nothing can fix it, and says what remains', () => {
  const { fleet } = validateFleet([{ name: 'f.yaml', text: readFileSync(new URL('../../../test/fixtures/scenarios/provider-heavy.yaml', import.meta.url), 'utf8') }]);
  assert.ok(fleet);
  const plan = schedule(fleet);
  const res = rebalance(fleet, plan.placements);
  assert.deepEqual(res.moves, []);
  assert.deepEqual(res.remaining.map((v) => v.group), ['provider:prov-a']);
});
