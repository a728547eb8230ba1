/**
 * Properties of the wave planner on the reference fleet (180 customers, three sites), checked
 * independently of the planner's own bookkeeping: the cap per wave, cutovers inside their
 * customer's windows, one switch at a time, one copy per site at a time, the blast-radius
 * rule after every move in time order, and no host over its usable capacity in any wave.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { loadReference } from '../../../test/helpers/reference.js';
import type { Fleet } from '../fleet/model.js';
import { replicaDemand } from '../placement/state.js';
import type { Placement } from '../placement/types.js';
import { analyseRisk } from '../risk/scenarios.js';
import { resolveMoves, shareRequests } from './moves.js';
import { planWaves, type WavePlan } from './waves.js';
import { windowOccurrences } from './windows.js';

const ref = loadReference();
const DAY = 86_400_000;

function checkPlan(fleet: Fleet, placements: readonly Placement[], plan: WavePlan): void {
  const from = Date.parse(plan.from);
  const until = Date.parse(plan.until);
  const ms = plan.scheduled.map((m) => ({ m, start: Date.parse(m.start), end: Date.parse(m.end) })).sort((a, b) => a.start - b.start);

  // The cap, and each move in the wave (noon-to-noon UTC) its start falls in.
  const perWave = new Map<string, Set<string>>();
  for (const { m, start } of ms) {
    const noon = Math.floor((start - 12 * 3_600_000) / DAY) * DAY + 12 * 3_600_000;
    assert.equal(m.wave, new Date(noon).toISOString().slice(0, 10), `${m.id} starts ${m.start} in wave ${m.wave}`);
    if (m.strategy !== 'cutover') continue;
    perWave.set(m.wave, (perWave.get(m.wave) ?? new Set()).add(m.customer));
  }
  for (const [wave, customers] of perWave) assert.ok(customers.size <= plan.maxCustomersPerWave, `wave ${wave}: ${customers.size} customers`);

  // Cutovers inside one of the customer's window occurrences; everything inside the plan's time.
  for (const { m, start, end } of ms) {
    assert.ok(start >= from && end <= until, `${m.id} outside the plan`);
    if (m.preCopy) assert.ok(Date.parse(m.preCopy.start) >= from && Date.parse(m.preCopy.end) <= start, `${m.id}: pre-copy after the cutover`);
    if (m.strategy !== 'cutover') continue;
    const c = fleet.customers.find((x) => x.id === m.customer)!;
    const occ = windowOccurrences(c.maintenanceWindows, c.timezone, new Date(start - 8 * DAY), new Date(end));
    assert.ok(occ.some((o) => o.start.getTime() <= start && end <= o.end.getTime()), `${m.id} ${m.start}–${m.end} is in no window of ${c.id} (${c.timezone})`);
  }

  // One switch at a time; copies into a site one at a time.
  for (let i = 1; i < ms.length; i++) assert.ok(ms[i - 1]!.end <= ms[i]!.start, `${ms[i - 1]!.m.id} and ${ms[i]!.m.id} overlap`);
  const lanes = new Map<string, [number, number][]>();
  for (const { m, start, end } of ms) {
    const spans = lanes.get(m.to) ?? [];
    if (m.preCopy) spans.push([Date.parse(m.preCopy.start), Date.parse(m.preCopy.end)]);
    if (m.strategy === 'cutover') spans.push([start, end]);
    lanes.set(m.to, spans);
  }
  for (const [site, spans] of lanes) {
    spans.sort((a, b) => a[0] - b[0]);
    for (let i = 1; i < spans.length; i++) assert.ok(spans[i - 1]![1] <= spans[i]![0], `copies into ${site} overlap`);
  }

  // The blast-radius rule after every move, in time order.
  const before = analyseRisk(fleet, placements);
  const limitOf = new Map(before.scenarios.map((s) => [s.group, Math.max(fleet.policies.maxCustomerShare, s.share)]));
  const critBefore = new Set(before.scenarios.filter((s) => s.kind === 'site' && s.criticalAppsDown > 0).map((s) => s.group));
  let current = placements.map((p) => ({ ...p }));
  for (const { m } of ms) {
    current = current.map((p) => {
      const t = p.app === m.app ? m.targets.find((x) => x.replica === p.replica) : undefined;
      return t ? { ...p, host: t.to, site: m.to } : p;
    });
    for (const s of analyseRisk(fleet, current).scenarios) {
      assert.ok(s.share <= limitOf.get(s.group)! + 1e-9, `after ${m.id}: ${s.group} ${s.share}`);
      if (s.kind === 'site' && s.criticalAppsDown > 0) assert.ok(critBefore.has(s.group), `after ${m.id}: ${s.group} takes down a critical app`);
    }
  }

  // No host above its usable capacity in any wave: targets count from their wave on, sources until theirs is over.
  const apps = new Map(fleet.apps.map((a) => [a.id, a]));
  const keep = 1 - fleet.policies.capacityHeadroom;
  for (const wave of new Set(ms.map((x) => x.m.wave))) {
    const used = new Map<string, { cpu: number; memory: number; disk: number }>();
    const add = (host: string, app: string, sign: number) => {
      const d = replicaDemand(apps.get(app)!);
      const u = used.get(host) ?? { cpu: 0, memory: 0, disk: 0 };
      used.set(host, { cpu: u.cpu + sign * d.cpu, memory: u.memory + sign * d.memory, disk: u.disk + sign * d.disk });
    };
    for (const p of placements) add(p.host, p.app, 1);
    for (const { m } of ms) {
      if (m.wave > wave) continue;
      for (const t of m.targets) {
        add(t.to, m.app, 1);
        if (m.wave < wave) add(t.from, m.app, -1);
      }
    }
    for (const { m } of ms) {
      if (m.wave > wave) continue;
      for (const t of m.targets) {
        const h = fleet.hosts.find((x) => x.id === t.to)!;
        const u = used.get(h.id)!;
        assert.ok(u.cpu <= h.cpu * keep + 1e-6 && u.memory <= h.memory * keep + 1 && u.disk <= h.disk * keep + 1, `wave ${wave}: ${h.id} over its capacity`);
      }
    }
  }
}

test('wave plans of the reference fleet keep the cap, the windows, one switch and one copy per site at a time, the blast-radius rule and the capacity', () => {
  fc.assert(
    fc.property(
      fc.constantFrom('nue', 'vie', 'hel'),
      fc.integer({ min: 3, max: 25 }),
      fc.integer({ min: 1, max: 6 }),
      fc.double({ min: 0.05, max: 1, noNaN: true }),
      fc.date({ min: new Date('2026-01-01T00:00:00Z'), max: new Date('2026-12-31T00:00:00Z'), noInvalidDate: true }),
      (to, sharePct, cap, bandwidthShare, start) => {
        const fleet: Fleet = { ...ref.fleet, policies: { ...ref.fleet.policies, migrations: { ...ref.fleet.policies.migrations, maxCustomersPerWave: cap, bandwidthShare } } };
        const { moves } = resolveMoves(fleet, ref.placements, shareRequests(fleet, ref.placements, to, sharePct / 100));
        const plan = planWaves(fleet, ref.placements, moves, { from: start, days: 21 });
        assert.equal(plan.scheduled.length + plan.unscheduled.length, moves.length);
        checkPlan(fleet, ref.placements, plan);
      },
    ),
    { numRuns: 12 },
  );
});
