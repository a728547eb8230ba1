import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { domainOf, siteAllowed } from '../fleet/eligibility.js';
import type { App, Fleet } from '../fleet/model.js';
import { validateFleet } from '../fleet/validate.js';
import { singleFile } from '../generate/files.js';
import { generateFleet } from '../generate/fleet.js';
import { schedule } from './schedule.js';
import { replicaDemand } from './state.js';
import type { Plan } from './types.js';

/** A valid generated fleet; tests derive impossible ones from it (validation would refuse them as input). */
function fleetOf(params: { customers: number; hosts: number; sites: number; seed: number }): Fleet {
  const input = generateFleet(params);
  const res = validateFleet([{ name: 'f.yaml', text: singleFile(input, () => '') }]);
  assert.ok(res.fleet, JSON.stringify(res.problems.slice(0, 3)));
  return res.fleet;
}

/** Checks every hard rule of a plan, independently of the scheduler's own bookkeeping. */
function checkPlan(fleet: Fleet, plan: Plan): void {
  const hosts = new Map(fleet.hosts.map((h) => [h.id, h]));
  const sites = new Map(fleet.sites.map((s) => [s.id, s]));
  const apps = new Map(fleet.apps.map((a) => [a.id, a]));
  const keep = 1 - fleet.policies.capacityHeadroom;
  const used = new Map<string, { cpu: number; memory: number; disk: number }>();
  for (const p of plan.placements) {
    const app = apps.get(p.app)!;
    const host = hosts.get(p.host)!;
    assert.ok(host, `${p.host} exists`);
    assert.equal(p.site, host.site);
    assert.ok(host.role === 'app' || host.role === 'data', `${p.app} on an app host`);
    assert.equal(host.runtime, app.workloadKind, `${p.app} on a ${app.workloadKind} host`);
    assert.ok(siteAllowed(app, sites.get(host.site)!), `${p.app} allowed at ${host.site}`);
    for (const [k, v] of Object.entries(app.placement?.hostLabels ?? {})) assert.equal(host.labels?.[k], v, `${p.app} needs ${k}=${v}`);
    const d = replicaDemand(app);
    const u = used.get(p.host) ?? { cpu: 0, memory: 0, disk: 0 };
    used.set(p.host, { cpu: u.cpu + d.cpu, memory: u.memory + d.memory, disk: u.disk + d.disk });
  }
  const portsOn = new Map<string, Map<string, string>>();
  for (const p of plan.placements) {
    const taken = portsOn.get(p.host) ?? new Map<string, string>();
    for (const port of apps.get(p.app)!.hostClaims) {
      assert.ok(!taken.has(port), `${p.app} and ${taken.get(port)} both publish ${port} on ${p.host}`);
      taken.set(port, p.app);
    }
    portsOn.set(p.host, taken);
  }
  for (const [id, u] of used) {
    const h = hosts.get(id)!;
    assert.ok(u.cpu <= h.cpu * keep + 1e-6 && u.memory <= h.memory * keep && u.disk <= h.disk * keep, `${id} not over-committed`);
  }
  for (const app of fleet.apps) {
    const mine = plan.placements.filter((p) => p.app === app.id);
    const missing = plan.unplaced.filter((u) => u.app === app.id);
    const numbers = [...mine, ...missing].map((p) => p.replica).sort((a, b) => a - b);
    assert.deepEqual(numbers, Array.from({ length: app.redundancy.replicas }, (_, i) => i + 1), `${app.id} replicas 1..${app.redundancy.replicas}`);
    assert.equal(new Set(mine.map((p) => p.host)).size, mine.length, `${app.id} replicas on different hosts`);
    const domains = mine.map((p) => domainOf(hosts.get(p.host)!, sites.get(p.site)!, app.redundancy.spreadOver));
    assert.equal(new Set(domains).size, domains.length, `${app.id} spread over ${app.redundancy.spreadOver}: ${domains.join(',')}`);
    for (const u of missing) assert.ok(u.reasons.length > 0, `${app.id} unplaced with reasons`);
  }
}

const sizes = fc.record({ customers: fc.integer({ min: 1, max: 50 }), hosts: fc.integer({ min: 9, max: 60 }), sites: fc.integer({ min: 2, max: 5 }), seed: fc.nat() }).filter((p) => p.hosts >= p.sites * 3);

test('property: plans never over-commit a host, never break a hard rule, always spread at the level', () => {
  fc.assert(
    fc.property(sizes, fc.nat(), (params, pick) => {
      // Squeeze capacity and add label constraints so that some replicas cannot be placed.
      const base = fleetOf(params);
      const target = base.apps[pick % base.apps.length]!.id;
      const fleet: Fleet = {
        ...base,
        apps: base.apps.map((a) => (a.id === target ? { ...a, placement: { ...a.placement, hostLabels: { disk: 'nvme' } } } : a)),
        hosts: pick % 3 === 0 ? base.hosts.map((h) => ({ ...h, memory: 8 * 2 ** 30 })) : base.hosts,
      };
      checkPlan(fleet, schedule(fleet));
    }),
    { numRuns: 60 },
  );
});

test('property: deterministic for the same input', () => {
  fc.assert(
    fc.property(sizes, (params) => {
      const fleet = fleetOf(params);
      assert.deepEqual(schedule(fleet).placements, schedule(fleet).placements);
    }),
    { numRuns: 20 },
  );
});

test('property: with the previous plan, adding or removing an app moves nothing else', () => {
  fc.assert(
    fc.property(sizes, fc.nat(), (params, pick) => {
      const fleet = fleetOf(params);
      const first = schedule(fleet);
      const gone = fleet.apps[pick % fleet.apps.length]!;
      const extra: App = { ...fleet.apps[0]!, id: 'zz-new-app', domains: [] };
      const changed: Fleet = { ...fleet, apps: [...fleet.apps.filter((a) => a !== gone), extra] };
      const second = schedule(changed, { previous: first.placements });
      checkPlan(changed, second);
      assert.deepEqual(second.moves, []);
      for (const p of first.placements) {
        if (p.app === gone.id) continue;
        assert.ok(second.placements.some((q) => q.app === p.app && q.replica === p.replica && q.host === p.host), `${p.app}#${p.replica} stays on ${p.host}`);
      }
      assert.deepEqual(second.removed.map((p) => p.app), first.placements.filter((p) => p.app === gone.id).map((p) => p.app));
    }),
    { numRuns: 30 },
  );
});

test('a previous placement that breaks a rule now is moved, and reported as a move', () => {
  const fleet = fleetOf({ customers: 10, hosts: 18, sites: 3, seed: 4 });
  const first = schedule(fleet);
  const victim = first.placements[0]!;
  // Forbid the site the replica sits at.
  const other = fleet.sites.find((s) => s.id !== victim.site)!;
  const changed: Fleet = { ...fleet, apps: fleet.apps.map((a) => (a.id === victim.app ? { ...a, redundancy: { ...a.redundancy, replicas: 1 }, placement: { sites: [other.id] } } : a)) };
  const second = schedule(changed, { previous: first.placements });
  checkPlan(changed, second);
  const moved = second.moves.find((m) => m.app === victim.app && m.replica === 1);
  assert.ok(moved, 'moved off the forbidden site');
  assert.equal(moved.from, victim.host);
});

test('an unplaceable replica is explained in numbers with a fix', () => {
  const base = fleetOf({ customers: 3, hosts: 9, sites: 3, seed: 1 });
  const big = base.apps[0]!.id;
  const fleet: Fleet = { ...base, apps: base.apps.map((a) => (a.id === big ? { ...a, resources: { cpu: 1, memory: 500 * 2 ** 30, disk: 0 } } : a)) };
  const plan = schedule(fleet);
  const u = plan.unplaced.find((x) => x.app === big)!;
  assert.ok(u, 'unplaced');
  assert.ok(u.reasons.some((r) => /^capacity: .*memory exhausted on \d+ hosts/.test(r)), u.reasons.join('; '));
  assert.ok(u.reasons.some((r) => /^role: \d+ hosts are proxy/.test(r)));
  assert.match(u.fixes[0]!, /one replica needs 1 cpu, 500 GiB memory/);
});

test('property: apps that publish one host port never share a host; where none is left, the plan says which port', () => {
  fc.assert(
    fc.property(sizes, fc.integer({ min: 1, max: 4 }), (p, distinct) => {
      const base = fleetOf(p);
      // Few ports among many apps: most hosts can take each port once only.
      const fleet: Fleet = { ...base, apps: base.apps.map((a, i) => ({ ...a, hostClaims: [`${8000 + (i % distinct)}/tcp`] })) };
      const plan = schedule(fleet);
      checkPlan(fleet, plan);
      for (const u of plan.unplaced) {
        const own = fleet.apps.find((a) => a.id === u.app)!.hostClaims[0]!;
        if (u.reasons.some((r) => r.startsWith('taken:'))) assert.ok(u.reasons.some((r) => r.includes(own)), u.reasons.join('; '));
      }
    }),
    { numRuns: 30 },
  );
});

test('a customer\'s home site wins between equally risky sites', () => {
  const text = `
providers: [{ id: p }]
facilities: [{ id: f1, operator: p, country: DE }, { id: f2, operator: p, country: AT }]
sites:
  - { id: one, provider: p, facility: f1, country: DE, prefixes: [198.18.0.0/24] }
  - { id: two, provider: p, facility: f2, country: AT, prefixes: [198.18.1.0/24] }
siteTemplate: { segments: [{ name: apps, role: apps, prefixLength: 26 }] }
policies: { maxCustomerShare: 1 }
hosts:
  - { id: one-1, site: one, cpu: 8, memory: 32GiB, disk: 500GiB }
  - { id: two-1, site: two, cpu: 8, memory: 32GiB, disk: 500GiB }
customers: [{ id: a, home: two }, { id: b, home: one }]
apps:
  - { id: a-web, customer: a, workload: { compose: { services: { w: { image: x } } } }, resources: { cpu: 1, memory: 1GiB } }
  - { id: b-web, customer: b, workload: { compose: { services: { w: { image: x } } } }, resources: { cpu: 1, memory: 1GiB } }
`;
  const { fleet } = validateFleet([{ name: 'f.yaml', text }]);
  assert.ok(fleet);
  const plan = schedule(fleet);
  assert.deepEqual(plan.placements.map((p) => [p.app, p.site]), [['a-web', 'two'], ['b-web', 'one']]);
});

test('two apps that set one container name never share a host; on one host, the second says why', () => {
  const text = (hosts: number) => `
providers: [{ id: pa }]
facilities: [{ id: f1, operator: pa, country: DE }]
sites: [{ id: nue, provider: pa, facility: f1, country: DE, prefixes: [198.18.0.0/24] }]
siteTemplate: { segments: [{ name: apps, role: apps, prefixLength: 26 }] }
hosts: [${Array.from({ length: hosts }, (_, i) => `{ id: nue-app-0${i + 1}, site: nue, cpu: 8, memory: 16GiB, disk: 100GiB }`).join(', ')}]
customers: [{ id: a }, { id: b }]
apps:
  - { id: a-grafana, customer: a, workload: { compose: { services: { grafana: { image: grafana/grafana, container_name: grafana } } } }, resources: { cpu: 1, memory: 1GiB } }
  - { id: b-grafana, customer: b, workload: { compose: { services: { grafana: { image: grafana/grafana, container_name: grafana } } } }, resources: { cpu: 1, memory: 1GiB } }
`;
  const two = validateFleet([{ name: 'f.yaml', text: text(2) }]).fleet!;
  assert.deepEqual(two.apps.map((a) => a.hostClaims), [['container_name grafana'], ['container_name grafana']]);
  const hosts = schedule(two).placements.map((p) => p.host);
  assert.equal(new Set(hosts).size, 2, `on ${hosts.join(', ')}`);
  const one = schedule(validateFleet([{ name: 'f.yaml', text: text(1) }]).fleet!);
  assert.equal(one.unplaced.length, 1);
  assert.ok(one.unplaced[0]!.reasons.includes('taken: 1 host has given a port it publishes, a container name it sets or its working directory to another app: container_name grafana (a-grafana)'), one.unplaced[0]!.reasons.join('; '));
});

test('placement.hosts pins an app to the hosts it names; too few of them for its replicas is a validation error', async () => {
  const { validateFleet } = await import('../fleet/validate.js');
  const { readFileSync } = await import('node:fs');
  const minimal = readFileSync(new URL('../../../examples/minimal.yaml', import.meta.url), 'utf8');
  const pin = (app: string, hosts: string) => minimal.replace(new RegExp(`(  - id: ${app}\n)`), `$1    placement: { hosts: [${hosts}] }\n`);
  const res = validateFleet([{ name: 'f.yaml', text: pin('huber-orders', 'nue-app-02') }]);
  assert.ok(res.fleet, JSON.stringify(res.problems));
  assert.deepEqual(schedule(res.fleet).placements.filter((p) => p.app === 'huber-orders').map((p) => p.host), ['nue-app-02']);
  const two = validateFleet([{ name: 'f.yaml', text: pin('huber-shop', 'nue-app-02') }]);
  assert.ok(two.problems.some((p) => p.code === 'HAFEN_FLEET_SPREAD_IMPOSSIBLE' && /only 1 \(nue-app-02\)/.test(p.message)), JSON.stringify(two.problems));
});
