import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { gate, rolloutStages, type GateInput } from './rollout.js';

test('stages: an app host is the canary, proxies and management come last, batches of a quarter', () => {
  const hosts = [
    { id: 'vie-mgmt-01', role: 'management' as const },
    { id: 'vie-proxy-01', role: 'proxy' as const },
    { id: 'vie-app-10', role: 'app' as const },
    { id: 'vie-app-2', role: 'app' as const },
    { id: 'vie-data-01', role: 'data' as const },
    { id: 'vie-app-1', role: 'app' as const },
  ];
  assert.deepEqual(rolloutStages(hosts), [['vie-app-1'], ['vie-app-2', 'vie-app-10'], ['vie-data-01', 'vie-proxy-01'], ['vie-mgmt-01']]);
  assert.deepEqual(rolloutStages(hosts, 10), [['vie-app-1'], ['vie-app-2', 'vie-app-10', 'vie-data-01', 'vie-proxy-01', 'vie-mgmt-01']]);
  assert.deepEqual(rolloutStages([]), []);
  assert.deepEqual(rolloutStages([{ id: 'a', role: 'proxy' }]), [['a']]);
});

test('stages: every host exactly once, the canary alone, no batch larger than asked', () => {
  const roles = ['app', 'data', 'backup', 'proxy', 'edge', 'management'] as const;
  fc.assert(
    fc.property(fc.uniqueArray(fc.tuple(fc.string({ minLength: 1, maxLength: 6 }), fc.constantFrom(...roles)), { selector: (t) => t[0], maxLength: 40 }), fc.option(fc.integer({ min: 1, max: 12 }), { nil: undefined }), (list, batch) => {
      const stages = rolloutStages(list.map(([id, role]) => ({ id, role })), batch);
      assert.deepEqual(stages.flat().sort(), list.map(([id]) => id).sort());
      if (list.length > 0) assert.equal(stages[0]!.length, 1);
      if (batch !== undefined) assert.ok(stages.every((s) => s.length <= batch));
      assert.ok(stages.every((s) => s.length > 0));
    }),
  );
});

const since = '2026-11-27T10:00:00.000Z';
const after = '2026-11-27T10:00:05.000Z';
const base: GateInput = {
  desiredHash: 'h2',
  units: [{ name: 'shop-r1', hash: 'u2', health: { path: '/healthz' } }],
  firewallHash: 'f2',
  since,
  report: { reportedAt: after, appliedHash: 'h2', units: [{ name: 'shop-r1', hash: 'u2', state: 'running', healthy: true }], firewall: { hash: 'f2', state: 'confirmed' } },
};
const withReport = (r: Partial<NonNullable<GateInput['report']>>): GateInput => ({ ...base, report: { ...base.report!, ...r } });

test('gate: passes only on a report after the change with the state applied, units healthy and the firewall confirmed', () => {
  assert.deepEqual(gate(base), { pass: true, detail: '1 unit(s) running; firewall confirmed' });
  const { report: _none, ...noReport } = base;
  assert.deepEqual(gate(noReport), { pass: false, fail: false, detail: 'no report since it got the change (unreachable?)' });
  assert.equal(gate(withReport({ reportedAt: '2026-11-27T09:59:59.000Z' })).pass, false, 'a report from before the change says nothing');
  assert.deepEqual(gate(withReport({ appliedHash: 'h1' })), { pass: false, fail: false, detail: 'applying the change' });
  assert.deepEqual(gate(withReport({ units: [{ name: 'shop-r1', hash: 'u1', state: 'running' }] })), { pass: false, fail: false, detail: 'unit shop-r1 not started yet' });
  assert.deepEqual(gate(withReport({ units: [{ name: 'shop-r1', hash: 'u2', state: 'backoff' }] })), { pass: false, fail: false, detail: 'unit shop-r1 is backoff' });
  assert.deepEqual(gate(withReport({ units: [{ name: 'shop-r1', hash: 'u2', state: 'running', healthy: false }] })), { pass: false, fail: false, detail: 'unit shop-r1 is not healthy' });
  assert.deepEqual(gate(withReport({ units: [{ name: 'shop-r1', hash: 'u2', state: 'running' }] })), { pass: false, fail: false, detail: 'unit shop-r1 is not healthy yet' }, 'running is not enough with a health check');
  assert.equal(gate({ ...withReport({ units: [{ name: 'shop-r1', hash: 'u2', state: 'running' }] }), units: [{ name: 'shop-r1', hash: 'u2' }] }).pass, true, 'without one it is');
  assert.deepEqual(gate(withReport({ firewall: { hash: 'f2', state: 'confirming' } })), { pass: false, fail: false, detail: 'firewall waiting for confirmation' });
  assert.deepEqual(gate(withReport({ firewall: { hash: 'f1', state: 'confirmed' } })), { pass: false, fail: false, detail: 'firewall not applied yet' });
});

test('gate: fails at once on a unit given up on, a ruleset refused or rolled back', () => {
  assert.deepEqual(gate(withReport({ units: [{ name: 'shop-r1', hash: 'u2', state: 'failed', lastError: 'exit 3' }] })), { pass: false, fail: true, detail: 'unit shop-r1 failed: exit 3' });
  const rolledBack = gate(withReport({ firewall: { hash: 'f2', state: 'rolled-back' } }));
  assert.equal(rolledBack.pass === false && rolledBack.fail, true);
  assert.match(rolledBack.detail, /could not reach the controller/);
  assert.deepEqual(gate(withReport({ firewall: { hash: 'f2', state: 'failed', error: 'syntax error' } })), { pass: false, fail: true, detail: 'nft refused the ruleset: syntax error' });
});

test('gate: an agent without --firewall passes on its units and says so; a host without a ruleset needs none', () => {
  const { firewall: _fw, ...report } = base.report!;
  assert.deepEqual(gate({ ...base, report }), { pass: true, detail: '1 unit(s) running; firewall not managed by its agent (no --firewall)' });
  const { firewallHash: _h, ...noFirewall } = base;
  assert.deepEqual(gate(noFirewall), { pass: true, detail: '1 unit(s) running' });
});
