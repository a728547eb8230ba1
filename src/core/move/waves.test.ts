import assert from 'node:assert/strict';
import { test } from 'node:test';
import { validateFleet } from '../fleet/validate.js';
import type { Fleet } from '../fleet/model.js';
import type { Placement } from '../placement/types.js';
import { resolveMoves } from './moves.js';
import { newRecord, step } from './consent.js';
import { MIN_ANSWER_MS, NOTICE_MS, planWaves } from './waves.js';

interface CustomerDraft {
  id: string;
  timezone?: string;
  windows?: string;
  liveMoves?: 'ask' | 'announce';
  app?: string;
}

/** Two sites in two countries at two providers, two hosts each; one app per customer. */
function fleetOf(customers: CustomerDraft[], policies = ''): Fleet {
  const text = `
providers: [{ id: pa }, { id: pb }]
facilities: [{ id: f-nue, operator: pa, country: DE }, { id: f-hel, operator: pb, country: FI }]
sites:
  - { id: nue, provider: pa, facility: f-nue, country: DE, prefixes: [198.18.0.0/24], uplink: 1Gbit/s }
  - { id: hel, provider: pb, facility: f-hel, country: FI, prefixes: [198.18.2.0/24], uplink: 1Gbit/s }
siteTemplate: { segments: [{ name: apps, role: apps, prefixLength: 26 }] }
policies: { maxCustomerShare: 1${policies} }
hosts:
  - { id: nue-1, site: nue, cpu: 16, memory: 64GiB, disk: 4TiB }
  - { id: nue-2, site: nue, cpu: 16, memory: 64GiB, disk: 4TiB }
  - { id: hel-1, site: hel, cpu: 16, memory: 64GiB, disk: 4TiB }
  - { id: hel-2, site: hel, cpu: 16, memory: 64GiB, disk: 4TiB }
customers:
${customers.map((c) => `  - { id: ${c.id}, timezone: ${c.timezone ?? 'Europe/Berlin'}, liveMoves: ${c.liveMoves ?? 'ask'}${c.windows ? `, maintenanceWindows: [${c.windows}]` : ''} }`).join('\n')}
apps:
${customers.map((c) => `  - { id: ${c.id}-app, customer: ${c.id}, workload: { compose: { services: { web: { image: nginx } } } }, resources: { cpu: 1, memory: 1GiB }${c.app ?? ''} }`).join('\n')}
`;
  const res = validateFleet([{ name: 'f.yaml', text }]);
  if (!res.fleet) throw new Error(res.problems.map((p) => `${p.path}: ${p.message}`).join('\n'));
  return res.fleet;
}

const at = (app: string, site: string, host = `${site}-1`): Placement => ({ app, replica: 1, host, site });

function plan(fleet: Fleet, placements: Placement[], to: string, from: string, apps = fleet.apps.map((a) => a.id)) {
  const { moves, problems } = resolveMoves(fleet, placements, apps.map((app) => ({ app, to })));
  assert.deepEqual(problems, []);
  return planWaves(fleet, placements, moves, { from: new Date(from), days: 14 });
}

test('cutovers run in each customer\'s own night: Berlin and Helsinki 22:00 local are an hour apart in UTC', () => {
  const fleet = fleetOf([
    { id: 'ber', windows: '{ days: daily, from: "22:00", to: "05:00" }' },
    { id: 'hki', timezone: 'Europe/Helsinki', windows: '{ days: daily, from: "22:00", to: "05:00" }' },
  ]);
  const p = plan(fleet, [at('ber-app', 'nue'), at('hki-app', 'nue', 'nue-2')], 'hel', '2026-12-01T12:00:00Z');
  assert.deepEqual(p.unscheduled, []);
  const start = (app: string) => p.scheduled.find((m) => m.app === app)!.start;
  assert.equal(start('hki-app'), '2026-12-01T20:00:00.000Z');
  assert.equal(start('ber-app'), '2026-12-01T21:00:00.000Z');
  assert.deepEqual(p.waves.map((w) => [w.wave, w.customers.sort()]), [['2026-12-01', ['ber', 'hki']]]);
  assert.ok(p.scheduled.every((m) => m.strategy === 'cutover' && m.consent === 'required' && m.targets[0]!.to.startsWith('hel-')));
});

test('a cutover that does not fit the night clocks go forward waits for the next night (Berlin, 29 March 2026)', () => {
  // 420 GiB changing faster than the copy: a stop-and-copy of about 2 h; the window is 01:00–04:00,
  // which is 2 h long on the night the clocks go forward.
  const fleet = fleetOf([{ id: 'ber', windows: '{ days: daily, from: "01:00", to: "04:00" }', app: ', volumes: [{ name: data, size: 420GiB, changePerDay: 6TiB }]' }]);
  const p = plan(fleet, [at('ber-app', 'nue')], 'hel', '2026-03-28T12:00:00Z');
  const m = p.scheduled[0]!;
  assert.ok(m, JSON.stringify(p.unscheduled));
  assert.equal(m.estimate?.converges, false);
  assert.ok(m.switchSeconds > 2 * 3600 && m.switchSeconds < 2.2 * 3600, String(m.switchSeconds));
  assert.equal(m.window?.start, '2026-03-29T23:00:00.000Z', '01:00 CEST on the 30th, not the short night before');
  assert.equal(m.start, m.window?.start);
  assert.match(m.warnings.join(' '), /stop-and-copy/);
});

test('no wave has more customers with a cutover than the cap; live moves do not count', () => {
  const windows = '{ days: daily, from: "22:00", to: "05:00" }';
  const fleet = fleetOf(
    [{ id: 'a', windows }, { id: 'b', windows }, { id: 'c', windows }, { id: 'd', windows, app: ', migration: live' }],
    ', migrations: { maxCustomersPerWave: 2 }',
  );
  const p = plan(fleet, [at('a-app', 'nue'), at('b-app', 'nue'), at('c-app', 'nue', 'nue-2'), at('d-app', 'nue', 'nue-2')], 'hel', '2026-12-01T12:00:00Z');
  assert.deepEqual(p.unscheduled, []);
  assert.deepEqual(p.waves.map((w) => [w.wave, w.customers]), [['2026-12-01', ['a', 'b']], ['2026-12-02', ['c']]]);
  const live = p.scheduled.find((m) => m.app === 'd-app')!;
  assert.equal(live.strategy, 'live');
  assert.equal(live.start, '2026-12-01T15:00:00.000Z', 'a live move needs no window, only time for its customer to answer');
  assert.equal(live.downtimeSeconds, 0);
});

test('a move that would break the blast-radius rule is not planned, and the plan says why', () => {
  const windows = '{ days: daily, from: "22:00", to: "05:00" }';
  const fleet = fleetOf([{ id: 'a', windows }, { id: 'b', windows }], '');
  const strict = { ...fleet, policies: { ...fleet.policies, maxCustomerShare: 0.5 } };
  // b runs at hel already: a at hel too would put both customers behind one site.
  const p = plan(strict, [at('a-app', 'nue'), at('b-app', 'hel')], 'hel', '2026-12-01T12:00:00Z', ['a-app']);
  assert.deepEqual(p.scheduled, []);
  assert.match(p.unscheduled[0]!.reason, /^the blast-radius rule: after moving a-app, losing (site:hel|facility:f-hel|provider:pb|country:FI) would affect 100(\.0)?% of customers \(policy limit 50(\.0)?%\)$/);
});

test('a customer without maintenance windows gets no cutover; a customer who opted in to live moves is only told', () => {
  const fleet = fleetOf([{ id: 'a' }, { id: 'b', liveMoves: 'announce', app: ', migration: live' }]);
  const p = plan(fleet, [at('a-app', 'nue'), at('b-app', 'nue')], 'hel', '2026-12-01T12:00:00Z');
  assert.match(p.unscheduled[0]!.reason, /customer a has no maintenance windows/);
  assert.equal(p.scheduled[0]!.consent, 'announce');
});

test('cutovers wait for their pre-copy, and copies into one site never overlap', () => {
  const windows = '{ days: daily, from: "22:00", to: "05:00" }';
  const data = ', volumes: [{ name: data, size: 2TiB, changePerDay: 5% }]';
  // c has little data: its cutover on the first night comes first (three hours after it is
  // proposed: time to answer), and the big pre-copies go around it.
  const fleet = fleetOf([{ id: 'a', windows, app: data }, { id: 'b', windows, app: data }, { id: 'c', windows, app: ', volumes: [{ name: data, size: 1GiB }]' }]);
  const p = plan(fleet, [at('a-app', 'nue'), at('b-app', 'nue', 'nue-2'), at('c-app', 'nue')], 'hel', '2026-12-01T20:00:00Z', ['a-app', 'b-app']);
  const first = plan(fleet, [at('a-app', 'nue'), at('b-app', 'nue', 'nue-2'), at('c-app', 'nue')], 'hel', '2026-12-01T20:00:00Z');
  const c = first.scheduled.find((m) => m.app === 'c-app')!;
  assert.equal(c.start, '2026-12-01T23:00:00.000Z');
  const spansOf = (ms: typeof first.scheduled) => ms.flatMap((m) => [[m.preCopy!.start, m.preCopy!.end], [m.start, m.end]]).sort();
  const all = spansOf(first.scheduled);
  for (let i = 1; i < all.length; i++) assert.ok(all[i - 1]![1]! <= all[i]![0]!, `copies overlap: ${JSON.stringify(all)}`);
  assert.ok(first.scheduled.some((m) => m.app !== 'c-app' && m.preCopy!.start >= c.end), 'a big pre-copy waits for the small cutover');
  assert.equal(p.scheduled.length, 2);
  const spans = p.scheduled.flatMap((m) => [[m.preCopy!.start, m.preCopy!.end], [m.start, m.end]]).sort();
  for (let i = 1; i < spans.length; i++) assert.ok(spans[i - 1]![1]! <= spans[i]![0]!, `copies overlap: ${JSON.stringify(spans)}`);
  for (const m of p.scheduled) assert.ok(m.preCopy!.end <= m.start && m.preCopy!.start >= '2026-12-01T20:00:00.000Z');
  // 2 TiB at 62.5 MB/s is ~9.8 h: neither pre-copy ends before the first night's window closes.
  assert.ok(p.scheduled.every((m) => m.wave >= '2026-12-02'), JSON.stringify(p.scheduled.map((m) => m.start)));
});

test('a move that needs an answer leaves its customer time to give it: asked inside an open window, it switches three hours later at the earliest', () => {
  const fleet = fleetOf([{ id: 'a', windows: '{ days: daily, from: "22:00", to: "05:00" }' }, { id: 'b', windows: '{ days: daily, from: "22:00", to: "05:00" }', app: ', migration: live' }]);
  const placements = [at('a-app', 'nue'), at('b-app', 'nue', 'nue-2')];
  const { moves } = resolveMoves(fleet, placements, [{ app: 'a-app', to: 'hel' }, { app: 'b-app', to: 'hel' }]);
  // 23:30 Berlin: tonight's window is open until 05:00.
  const asked = new Date('2026-12-01T22:30:00Z');
  const p = planWaves(fleet, placements, moves, { from: asked, askedAt: asked, days: 14 });
  assert.deepEqual(p.unscheduled, []);
  for (const m of p.scheduled) {
    assert.ok(Date.parse(m.start) >= asked.getTime() + NOTICE_MS, `${m.app} switches at ${m.start}`);
    const { record } = newRecord('mig_0000000000000000', m, 1, asked);
    assert.ok(Date.parse(record.consent.answerBy) >= asked.getTime() + MIN_ANSWER_MS, `${m.app}: answer due ${record.consent.answerBy}, asked ${asked.toISOString()}`);
    assert.equal(step(record, asked, 86_400_000), undefined, 'not expired the moment it is proposed');
  }
  assert.equal(p.scheduled.find((m) => m.app === 'a-app')!.start, '2026-12-02T01:30:00.000Z', 'still tonight: the window is open until 04:00 UTC');
  // Planned from a later time, the notice counts from when the customers are asked.
  const later = planWaves(fleet, placements, moves, { from: new Date('2026-12-03T21:00:00Z'), askedAt: asked, days: 14 });
  assert.equal(later.scheduled.find((m) => m.app === 'a-app')!.start, '2026-12-03T21:00:00.000Z');
});
