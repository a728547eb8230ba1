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
  // A critical app must survive the loss of a provider as well as a site's: provider-b takes nue (its facility) and hel.
  assert.deepEqual(
    report.violations.map((v) => [v.rule, v.group]),
    [['critical-survives-provider-loss', 'provider:provider-b']],
  );
  assert.match(report.violations[0]!.message, /losing provider:provider-b takes down critical app acme-db/);
  assert.equal(s('provider:provider-b').capacityLost.hosts, 2);
  const pair = s('site:hel+site:nue');
  assert.equal(pair.kind, 'pair');
  assert.deepEqual(pair.down, ['acme-db']);
  assert.ok(!report.scenarios.some((x) => x.kind === 'pair' && x.group.includes('host:')), 'pairs leave out single hosts');
  // Worst first.
  for (let i = 1; i < report.scenarios.length; i++) assert.ok(report.scenarios[i - 1]!.share >= report.scenarios[i]!.share);
});

test('a standby app whose writer is lost fails over where two sites outside can see it, with its RTO and RPO; without that quorum it is down, until a witness site gives the quorum', () => {
  const text = `${readFileSync(new URL('../../../examples/three-sites.yaml', import.meta.url), 'utf8')}
  - id: huber-notes
    customer: huber
    criticality: critical
    workload: { process: { command: [node, notes.mjs] } }
    port: 8091
    volumes: [{ name: data, size: 10MB }]
    redundancy: { replicas: 2, spreadOver: site, mode: standby, replicateEvery: 20s }
    placement: { hosts: [hel-app-01, vie-app-01] }
    resources: { cpu: 0.5, memory: 256MiB }
`;
  const three = validateFleet([{ name: 'three-sites.yaml', text }]).fleet!;
  const { placements } = schedule(three);
  const writer = placements.filter((p) => p.app === 'huber-notes').sort((a, b) => a.replica - b.replica)[0]!;
  assert.equal(writer.host, 'hel-app-01', 'placement is deterministic: the writer at hel');
  const report = analyseRisk(three, placements);
  const s = (k: string) => report.scenarios.find((x) => x.group === k)!;
  // Declared lost after `fall` failed rounds and one more, then the 15 s budget; RPO three intervals.
  const m = three.apps.find((a) => a.id === 'huber-notes')!.monitoring;
  assert.deepEqual(s(`site:${writer.site}`).failover, [{ app: 'huber-notes', rtoSeconds: Math.ceil(((m.fall + 1) * m.intervalMs) / 1000) + 15, rpoSeconds: 60 }]);
  // A host alone (a second host at the writer's site): its heartbeat must be silent 20 s as well.
  const two = validateFleet([{ name: 'three-sites.yaml', text: text.replace('  - { id: hel-app-01, site: hel,', '  - { id: hel-app-00, site: hel, runtime: process, cpu: 8, memory: 32GiB, disk: 500GiB }\n  - { id: hel-app-01, site: hel,') }]).fleet!;
  const hostOnly = analyseRisk(two, schedule(two).placements).scenarios.find((x) => x.group === `host:${writer.host}`)!;
  assert.deepEqual(hostOnly.failover.map((f) => f.rtoSeconds), [Math.max(20, Math.ceil(((m.fall + 1) * m.intervalMs) / 1000)) + 15]);
  assert.deepEqual(s(`site:${writer.site}`).noQuorum, []);
  assert.deepEqual(s(`host:${writer.host}`).failover.map((f) => f.app), ['huber-notes'], 'one host: its site still sees, with the two others');
  // provider-b runs hel and the facility of nue: only vie is left to see, no quorum.
  const providerB = s('provider:provider-b');
  assert.deepEqual([providerB.failover, providerB.noQuorum], [[], ['huber-notes']]);
  // Nothing takes its writes until provider-b is back: down, and a critical app down is a violation.
  assert.deepEqual([providerB.down.includes('huber-notes'), providerB.degraded.includes('huber-notes'), providerB.criticalAppsDown], [true, false, 1]);
  const violation = report.violations.find((v) => v.group === 'provider:provider-b' && v.rule === 'critical-survives-provider-loss')!;
  assert.ok(violation, JSON.stringify(report.violations));
  assert.match(violation.message, /huber-notes: standby without the quorum to fail over; a witness site at another provider gives it/);
  const other = placements.find((p) => p.app === 'huber-notes' && p.replica !== writer.replica)!;
  assert.deepEqual(s(`site:${other.site}`).failover, [], 'losing a standby needs no failover');

  // A witness at a third provider: vie and the witness see hel gone, so it fails over; the policy holds.
  const witnessed = text
    .replace('  - { id: provider-b, name: Provider B }\n', '  - { id: provider-b, name: Provider B }\n  - { id: provider-c, name: Provider C }\n')
    .replace('  - { id: hel-1, operator: provider-b, country: FI, city: Helsinki }\n', '  - { id: hel-1, operator: provider-b, country: FI, city: Helsinki }\n  - { id: ams-1, operator: provider-c, country: NL, city: Amsterdam }\n')
    .replace('\nsiteTemplate:', '  - { id: wit, provider: provider-c, facility: ams-1, country: NL, witness: true }\n\nsiteTemplate:')
    .replace('hosts:\n', 'hosts:\n  - { id: wit-probe-01, site: wit, role: management, cpu: 1, memory: 1GiB, disk: 10GiB, address: 203.0.113.10 }\n');
  const res = validateFleet([{ name: 'three-sites.yaml', text: witnessed }]);
  assert.ok(res.ok, JSON.stringify(res.problems));
  const w = analyseRisk(res.fleet!, schedule(res.fleet!).placements);
  const wb = w.scenarios.find((x) => x.group === 'provider:provider-b')!;
  assert.deepEqual([wb.failover.map((f) => f.app), wb.noQuorum, wb.criticalAppsDown], [['huber-notes'], [], 0]);
  assert.deepEqual(w.violations.filter((v) => v.rule !== 'max-customer-share'), [], 'no critical app lost with a site, facility or provider');
  assert.deepEqual(w.scenarios.find((x) => x.group === 'site:wit')!.appsDown + w.scenarios.find((x) => x.group === 'site:wit')!.appsDegraded, 0, 'losing the witness takes no app');
});

test('a critical PostgreSQL app fails over with RPO 0 (its writer commits synchronously); a standard one with its stated RPO', () => {
  const withDb = (criticality: string) => `${readFileSync(new URL('../../../examples/three-sites.yaml', import.meta.url), 'utf8').replace('hosts:\n', 'hosts:\n  - { id: hel-db-01, site: hel, runtime: postgres, cpu: 8, memory: 32GiB, disk: 500GiB }\n  - { id: vie-db-01, site: vie, runtime: postgres, cpu: 8, memory: 32GiB, disk: 500GiB }\n')}
  - id: huber-db
    customer: huber
    criticality: ${criticality}
    workload: { postgres: { password: { secret: huber-db } } }
    port: 5432
    redundancy: { replicas: 2, spreadOver: site, mode: standby, rpo: 30s }
    resources: { cpu: 1, memory: 1GiB }
`;
  const rpo = (criticality: string) => {
    const fleet = validateFleet([{ name: 'three-sites.yaml', text: withDb(criticality) }]).fleet!;
    const { placements } = schedule(fleet);
    const writer = placements.filter((p) => p.app === 'huber-db').sort((a, b) => a.replica - b.replica)[0]!;
    return analyseRisk(fleet, placements).scenarios.find((x) => x.group === `site:${writer.site}`)!.failover.map((f) => [f.app, f.rpoSeconds]);
  };
  assert.deepEqual(rpo('critical'), [['huber-db', 0]]);
  assert.deepEqual(rpo('standard'), [['huber-db', 30]]);
});
