import assert from 'node:assert/strict';
import { test } from 'node:test';
import { deriveAlerts } from './alerts.js';
import { firewallAlerts, firewallStates } from './firewall.js';
import type { FirewallReport } from '../report/host-report.js';

const NOW = new Date('2026-11-27T12:00:00.000Z');

test('firewall alerts: only when the ruleset the revision wants was rolled back or refused', () => {
  const desired = new Map([
    ['nue-app-01', { firewall: { hash: 'new' } }],
    ['nue-app-02', { firewall: { hash: 'new' } }],
    ['nue-app-03', { firewall: { hash: 'new' } }],
    ['nue-app-04', {}],
  ]);
  const hosts = ['nue-app-01', 'nue-app-02', 'nue-app-03', 'nue-app-04', 'nue-app-05'].map((id) => ({ id, site: 'nue' }));
  const fw = (hash: string, state: FirewallReport['state'], error?: string) => ({ units: [], agent: { firewall: { hash, state, at: '2026-11-27T11:00:00.000Z', ...(error ? { error } : {}) } } });
  const reports = [
    { host: 'nue-app-01', status: fw('new', 'rolled-back', 'the controller could not be reached') },
    { host: 'nue-app-02', status: fw('old', 'rolled-back') },
    { host: 'nue-app-03', status: fw('new', 'confirmed') },
    { host: 'nue-app-04', status: fw('x', 'failed') },
  ];
  const states = firewallStates(hosts, desired, reports);
  assert.deepEqual(states.map((s) => s.host), ['nue-app-01', 'nue-app-02', 'nue-app-03'], 'hosts with a desired firewall');
  const alerts = firewallAlerts(states);
  assert.deepEqual(alerts.map((a) => [a.key, a.severity, a.group]), [['firewall:nue-app-01', 'warning', 'firewall:nue']], 'an older ruleset rolled back is not the newest revision\'s problem');
  assert.equal(alerts[0]!.summary, 'the firewall of nue-app-01 was rolled back (the controller could not be reached); the host keeps its previous ruleset (once mended: hafen firewall reapply nue-app-01)');
  const muted = deriveAlerts([], [], [], NOW, [{ host: 'nue-app-01', site: 'nue', state: 'down', lastReport: '2026-11-27T11:00:00.000Z' }], alerts);
  assert.equal(muted.find((a) => a.key === 'firewall:nue-app-01')?.inhibitedBy, 'host:nue-app-01');
});
