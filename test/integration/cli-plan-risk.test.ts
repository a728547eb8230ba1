import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { parse } from 'yaml';
import type { Plan } from '../../src/core/placement/types.js';
import type { Scenario } from '../../src/core/risk/scenarios.js';
import { EXAMPLES, FIXTURES, assertNoStackTrace, hafen, yamlFiles } from '../helpers/paths.js';

// The JSON outputs are the core's types as written; the scenarios are recomputed below without its code.
type PlanJson = Plan & { violations: unknown[] };
type ScenarioJson = Scenario;

type Raw = Record<string, Record<string, unknown>[]>;

/** The reference fleet read with nothing but a YAML parser, for computations that must not share hafen's code. */
function rawFleet(dir: string): Raw {
  const out: Raw = {};
  for (const f of yamlFiles(dir)) {
    const doc = parse(readFileSync(f, 'utf8')) as Record<string, unknown>;
    for (const [k, v] of Object.entries(doc)) if (Array.isArray(v)) out[k] = [...(out[k] ?? []), ...(v as Record<string, unknown>[])];
  }
  return out;
}

/** Every single-failure scenario computed independently from the fleet files and a plan. */
type Counts = Pick<Scenario, 'appsDown' | 'appsDegraded' | 'criticalAppsDown' | 'customersAffected' | 'customersTotal'>;

function independentScenarios(raw: Raw, plan: PlanJson): Map<string, Counts> {
  const sites = new Map(raw.sites!.map((s) => [s.id as string, s]));
  const facilities = new Map(raw.facilities!.map((f) => [f.id as string, f]));
  const groupsOf = new Map<string, Set<string>>();
  for (const h of raw.hosts!) {
    const site = sites.get(h.site as string)!;
    const fac = facilities.get(site.facility as string)!;
    const g = new Set<string>([`host:${h.id}`, `site:${site.id}`, `facility:${fac.id}`, `provider:${site.provider}`, `provider:${fac.operator}`, `country:${site.country}`]);
    for (const r of [...((site.riskGroups as string[]) ?? []), ...((fac.riskGroups as string[]) ?? []), ...((h.riskGroups as string[]) ?? [])]) g.add(`risk:${r}`);
    groupsOf.set(h.id as string, g);
  }
  const weight = new Map(raw.customers!.map((c) => [c.id as string, (c.weight as number) ?? 1]));
  const total = [...weight.values()].reduce((a, b) => a + b, 0);
  const all = new Set([...groupsOf.values()].flatMap((g) => [...g]));
  const out = new Map<string, Counts>();
  for (const g of all) {
    let appsDown = 0;
    let appsDegraded = 0;
    let criticalAppsDown = 0;
    const affected = new Set<string>();
    // The sites left to see a loss: those with a host outside the group (a witness counts).
    const seeing = new Set(raw.hosts!.filter((h) => !groupsOf.get(h.id as string)!.has(g)).map((h) => h.site as string));
    for (const app of raw.apps!) {
      const mine = plan.placements.filter((p) => p.app === app.id).sort((a, b) => a.replica - b.replica);
      const hosts = mine.map((p) => p.host);
      const inside = hosts.filter((h) => groupsOf.get(h)!.has(g)).length;
      // A standby app whose writer (its first replica) is inside fails over only where two sites see it gone.
      const standby = (app.redundancy as { mode?: string } | undefined)?.mode === 'standby';
      const stuck = standby && inside > 0 && groupsOf.get(hosts[0]!)!.has(g) && seeing.size < 2;
      if (inside === hosts.length || stuck) {
        appsDown++;
        affected.add(app.customer as string);
        if (app.criticality === 'critical') criticalAppsDown++;
      } else if (inside > 0) appsDegraded++;
    }
    out.set(g, { appsDown, appsDegraded, criticalAppsDown, customersAffected: [...affected].reduce((n, c) => n + weight.get(c)!, 0), customersTotal: total });
  }
  return out;
}

test('reference fleet: every replica placed, and an independent computation of every single failure agrees with hafen risk', () => {
  const fleetDir = join(EXAMPLES, 'frachtwerk');
  const res = hafen(['plan', fleetDir, '--format', 'json']);
  assert.equal(res.status, 0, res.stderr);
  const plan = JSON.parse(res.stdout) as PlanJson;
  const raw = rawFleet(fleetDir);
  const replicas = raw.apps!.reduce((n, a) => n + (((a.redundancy as { replicas?: number } | undefined)?.replicas) ?? 1), 0);
  assert.deepEqual(plan.unplaced, []);
  assert.equal(plan.placements.length, replicas);

  const risk = hafen(['risk', fleetDir, '--format', 'json']);
  assert.equal(risk.status, 0, risk.stdout.slice(0, 500));
  const report = JSON.parse(risk.stdout) as { scenarios: ScenarioJson[]; violations: unknown[] };
  const mine = independentScenarios(raw, plan);
  assert.equal(report.scenarios.length, mine.size, 'same set of failure groups');
  for (const s of report.scenarios) {
    const m = mine.get(s.group);
    assert.ok(m, `independent computation knows ${s.group}`);
    assert.deepEqual(
      { appsDown: s.appsDown, appsDegraded: s.appsDegraded, criticalAppsDown: s.criticalAppsDown, customersAffected: s.customersAffected, customersTotal: s.customersTotal },
      m,
      s.group,
    );
    assert.ok(Math.abs(s.share - m.customersAffected / m.customersTotal) < 1e-12);
  }
  // The policy holds: at most half the customers in any single failure, no critical app lost with a site.
  assert.deepEqual(report.violations, []);
  for (const s of report.scenarios) {
    assert.ok(s.share <= 0.5, `${s.group} affects ${s.share}`);
    if (s.kind === 'site' || s.kind === 'facility' || s.kind === 'provider') assert.equal(s.criticalAppsDown, 0, `${s.group} takes down a critical app`);
  }
  const nue = report.scenarios.find((s) => s.group === 'provider:provider-b')!;
  assert.ok(mine.get('provider:provider-b')!.appsDown === nue.appsDown);
});

test('reference fleet without its witness: losing provider-b leaves only vie to see, so standby apps with their writer there are down, above the policy', () => {
  const dir = mkdtempSync(join(tmpdir(), 'hafen-no-witness-'));
  cpSync(join(EXAMPLES, 'frachtwerk'), dir, { recursive: true });
  rmSync(join(dir, 'sites', 'wit.yaml'));
  const plan = JSON.parse(hafen(['plan', dir, '--format', 'json']).stdout) as PlanJson;
  const risk = hafen(['risk', dir, '--format', 'json']);
  assert.equal(risk.status, 1, 'the policy fails');
  const report = JSON.parse(risk.stdout) as { scenarios: ScenarioJson[]; violations: { group: string; rule: string }[] };
  const mine = independentScenarios(rawFleet(dir), plan);
  for (const s of report.scenarios) assert.deepEqual({ appsDown: s.appsDown, appsDegraded: s.appsDegraded, criticalAppsDown: s.criticalAppsDown, customersAffected: s.customersAffected, customersTotal: s.customersTotal }, mine.get(s.group), s.group);
  const b = report.scenarios.find((s) => s.group === 'provider:provider-b')!;
  assert.ok(b.noQuorum.length > 50, `${b.noQuorum.length} standby apps without a quorum`);
  assert.ok(b.noQuorum.every((id) => b.down.includes(id)));
  assert.ok(b.share > 0.5, `provider-b now affects ${b.share}`);
  assert.deepEqual(report.violations.filter((v) => v.group === 'provider:provider-b').map((v) => v.rule).sort(), ['critical-survives-provider-loss', 'max-customer-share']);
  const text = hafen(['risk', dir]);
  assert.match(text.stdout, /^standby apps that cannot fail over \(fewer than two sites outside the failure see their writer gone\) are counted down: provider:provider-b \(\d+ apps\)/m);
  const detail = hafen(['risk', dir, '--fail', 'provider:provider-b']);
  assert.match(detail.stdout, /^ {2}down, no writer until the failure ends or an operator acts: /m);
  // With the witness (the reference fleet as it is), every single failure stays within the policy: the test above.
  rmSync(dir, { recursive: true, force: true });
});

test('a fleet with too many customers on one provider is reported with the right share', () => {
  const res = hafen(['risk', join(FIXTURES, 'scenarios', 'provider-heavy.yaml'), '--format', 'json']);
  assert.equal(res.status, 1);
  const report = JSON.parse(res.stdout) as { scenarios: ScenarioJson[]; violations: { group: string; rule: string }[] };
  assert.equal(report.scenarios[0]!.group, 'provider:prov-a', 'worst first');
  assert.equal(report.scenarios[0]!.share, 0.6);
  assert.equal(report.scenarios[0]!.customersAffected, 3);
  assert.equal(report.scenarios[0]!.customersTotal, 5);
  assert.deepEqual(report.violations.map((v) => [v.group, v.rule]), [['provider:prov-a', 'max-customer-share']]);
  const text = hafen(['risk', join(FIXTURES, 'scenarios', 'provider-heavy.yaml')]);
  assert.match(text.stdout, /violation: losing provider:prov-a affects 60\.0% of customers \(weighted 3 of 5\)/);
});

test('the facility shared by two providers is found, and its site fails with the operator', () => {
  const file = join(FIXTURES, 'scenarios', 'shared-facility.yaml');
  const res = hafen(['risk', file, '--format', 'json']);
  const report = JSON.parse(res.stdout) as { scenarios: ScenarioJson[]; sharedFacilities: unknown[] };
  assert.deepEqual(report.sharedFacilities, [{ facility: 'nbg', operator: 'provider-b', sites: [{ site: 'nue', provider: 'provider-a' }] }]);
  const b = report.scenarios.find((s) => s.group === 'provider:provider-b')!;
  assert.deepEqual(b.down, ['acme-db'], 'replicas at nue and hel both die with provider B');
  assert.equal(b.criticalAppsDown, 1);
  const what = hafen(['risk', file, '--fail', 'provider:provider-b']);
  assert.equal(what.status, 0);
  assert.match(what.stdout, /what if provider:provider-b fails:\n {2}customers affected: 1 of 2 \(weighted\), 50\.0%/);
  assert.match(what.stdout, /down: acme-db/);
  const typo = hafen(['risk', file, '--fail', 'site:hell']);
  assert.equal(typo.status, 1);
  assert.match(typo.stderr, /no failure group "site:hell" \(did you mean "site:hel"\?\)/);
});

test('an impossible fleet exits 1 with numeric reasons and a fix', () => {
  const res = hafen(['plan', join(FIXTURES, 'scenarios', 'impossible.yaml')]);
  assert.equal(res.status, 1);
  assertNoStackTrace(res.stdout + res.stderr);
  assert.match(res.stdout, /unplaced: acme-also-big replica 1\n {2}capacity: memory exhausted on 2 hosts \(20% headroom kept free\)/);
  assert.match(res.stdout, /is short of 14\.4 GiB memory/);
  const json = JSON.parse(hafen(['plan', join(FIXTURES, 'scenarios', 'impossible.yaml'), '--format', 'json']).stdout) as PlanJson;
  assert.equal(json.unplaced.length, 1);
});

test('--previous keeps placements, --out writes a plan that --previous and --plan read back', () => {
  const dir = mkdtempSync(join(tmpdir(), 'hafen-plan-'));
  const out = join(dir, 'plan.json');
  const fleet = join(FIXTURES, 'scenarios', 'shared-facility.yaml');
  // Its critical app is pinned to nue and hel, both gone with provider-b (nue's facility is
  // provider-b's): the plan is written, and says the policy breaks (exit 1).
  const planned = hafen(['plan', fleet, '--out', out]);
  assert.equal(planned.status, 1);
  assert.match(planned.stdout, /policy: losing provider:provider-b takes down critical app acme-db/);
  const again = hafen(['plan', fleet, '--previous', out, '--format', 'json']);
  assert.deepEqual((JSON.parse(again.stdout) as PlanJson).moves, []);
  const risk = hafen(['risk', fleet, '--plan', out]);
  assert.equal(risk.status, 1);
  assert.match(risk.stdout, /violation: losing provider:provider-b takes down critical app acme-db/);
  // Every app of this fleet is pinned to its sites: no site loss can be covered, and capacity says so.
  const cap = hafen(['capacity', fleet, '--plan', out]);
  assert.equal(cap.status, 1);
  assert.match(cap.stdout, /losing site hel \(the largest site\): 1 of its 1 replicas do not fit elsewhere \(acme-db#1\)/);
  const stale = hafen(['risk', join(FIXTURES, 'scenarios', 'provider-heavy.yaml'), '--plan', out]);
  assert.equal(stale.status, 1);
  assert.match(stale.stderr, /does not match the fleet.*\[HAFEN_PLAN_STALE\]/);
  const missing = hafen(['plan', fleet, '--previous', join(dir, 'nope.json')]);
  assert.equal(missing.status, 2);
});

test('capacity reports sites, hosts and N+1 for the reference fleet', () => {
  const res = hafen(['capacity', join(EXAMPLES, 'frachtwerk'), '--format', 'json']);
  // Exit 1: losing nue (not the largest site) leaves a replica without a place (cli-edges.test.ts).
  assert.equal(res.status, 1, res.stdout.slice(-400));
  const report = JSON.parse(res.stdout) as { sites: { site: string; memory: { allocated: number; usable: number } }[]; siteLoss: { site: string; covered: boolean }[]; largestSite: string };
  assert.deepEqual(report.sites.map((s) => s.site), ['hel', 'nue', 'vie']);
  for (const s of report.sites) assert.ok(s.memory.allocated <= s.memory.usable);
  assert.equal(report.siteLoss.find((s) => s.site === report.largestSite)?.covered, true);
});

test('plan --rebalance proposes the one move that brings a skewed plan back under the policy', () => {
  const fleet = join(FIXTURES, 'scenarios', 'rebalance.yaml');
  const previous = join(FIXTURES, 'scenarios', 'rebalance.previous.json');
  const skewed = hafen(['plan', fleet, '--previous', previous, '--format', 'json']);
  assert.equal(skewed.status, 1, 'the kept plan breaks the policy');
  assert.deepEqual((JSON.parse(skewed.stdout) as PlanJson).moves, []);
  const fixed = hafen(['plan', fleet, '--previous', previous, '--rebalance', '--format', 'json']);
  assert.equal(fixed.status, 0, fixed.stdout);
  const plan = JSON.parse(fixed.stdout) as PlanJson;
  assert.deepEqual(plan.moves, [{ app: 'c3-web', replica: 1, from: 'a2-app-1', to: 'b1-app-1' }]);
  assert.deepEqual(plan.violations, []);
  const text = hafen(['plan', fleet, '--previous', previous, '--rebalance']);
  assert.match(text.stdout, /move c3-web replica 1: a2-app-1 -> b1-app-1/);
});
