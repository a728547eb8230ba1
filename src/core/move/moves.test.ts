import assert from 'node:assert/strict';
import { test } from 'node:test';
import { loadReference } from '../../../test/helpers/reference.js';
import { validateFleet } from '../fleet/validate.js';
import { LIVE_STEP_SECONDS, resolveMoves, shareRequests, strategyLabel, SWITCHOVER_PAUSE_SECONDS } from './moves.js';

const text = `
providers: [{ id: pa }, { id: pb }]
facilities: [{ id: f1, operator: pa, country: DE }, { id: f2, operator: pa, country: AT }, { id: f3, operator: pb, country: FI }]
sites:
  - { id: nue, provider: pa, facility: f1, country: DE, prefixes: [198.18.0.0/24], uplink: 1Gbit/s }
  - { id: vie, provider: pa, facility: f2, country: AT, prefixes: [198.18.1.0/24], uplink: 10Gbit/s }
  - { id: hel, provider: pb, facility: f3, country: FI, prefixes: [198.18.2.0/24] }
siteTemplate: { segments: [{ name: apps, role: apps, prefixLength: 26 }] }
hosts:
  - { id: nue-1, site: nue, cpu: 16, memory: 64GiB, disk: 4TiB }
  - { id: vie-1, site: vie, cpu: 16, memory: 64GiB, disk: 4TiB }
  - { id: hel-1, site: hel, cpu: 16, memory: 64GiB, disk: 4TiB }
customers: [{ id: a, liveMoves: announce }, { id: b }]
apps:
  - { id: db, customer: b, workload: { compose: { services: { db: { image: postgres } } } }, resources: { cpu: 1, memory: 1GiB }, volumes: [{ name: data, size: 100GiB, changePerDay: 10% }] }
  - { id: web, customer: a, migration: live, redundancy: { replicas: 2, spreadOver: site }, workload: { compose: { services: { web: { image: nginx } } } }, resources: { cpu: 1, memory: 1GiB } }
  - { id: notes, customer: a, migration: live, redundancy: { replicas: 2, spreadOver: site, mode: standby }, workload: { compose: { services: { web: { image: nginx } } } }, resources: { cpu: 1, memory: 1GiB }, volumes: [{ name: data, size: 1GiB }] }
  - { id: de-only, customer: b, placement: { countries: [DE] }, workload: { compose: { services: { web: { image: nginx } } } }, resources: { cpu: 1, memory: 1GiB } }
`;
const fleet = validateFleet([{ name: 'f.yaml', text }]).fleet!;
const placements = [
  { app: 'db', replica: 1, host: 'nue-1', site: 'nue' },
  { app: 'web', replica: 1, host: 'nue-1', site: 'nue' },
  { app: 'web', replica: 2, host: 'hel-1', site: 'hel' },
  { app: 'de-only', replica: 1, host: 'nue-1', site: 'nue' },
  { app: 'notes', replica: 1, host: 'nue-1', site: 'nue' },
  { app: 'notes', replica: 2, host: 'hel-1', site: 'hel' },
];

test('a standby app marked live moves by switchovers: no window, consent as for live moves, writes pausing twice at most', () => {
  const { moves, problems } = resolveMoves(fleet, placements, [{ app: 'notes', to: 'vie', from: 'nue' }]);
  assert.deepEqual(problems, []);
  assert.deepEqual([moves[0]!.strategy, moves[0]!.consent, moves[0]!.downtimeSeconds], ['switchover', 'announce', 2 * SWITCHOVER_PAUSE_SECONDS]);
  assert.equal(strategyLabel(moves[0]!, (s) => `${s} s`), 'switchover, writes pause up to ~10 s twice');
});

test('a stateful app moves by pre-copy and cutover at the slower uplink times the bandwidth share; a live app moves live', () => {
  const { moves, problems } = resolveMoves(fleet, placements, [{ app: 'db', to: 'vie' }, { app: 'web', to: 'vie', from: 'nue' }]);
  assert.deepEqual(problems, []);
  const [db, web] = moves;
  assert.equal(db!.id, 'db:nue>vie');
  assert.equal(db!.strategy, 'cutover');
  assert.equal(db!.copyBytesPerSecond, 1e9 / 8 / 2, 'nue\'s 1 Gbit/s, half of it');
  assert.equal(db!.bytes, 100 * 2 ** 30);
  assert.ok(db!.estimate && db!.estimate.preCopySeconds > 1700 && db!.estimate.preCopySeconds < 1800, String(db!.estimate?.preCopySeconds));
  assert.equal(db!.downtimeSeconds, db!.estimate!.downtimeSeconds);
  assert.equal(db!.switchSeconds, db!.downtimeSeconds + 60, 'room to go back');
  assert.equal(db!.consent, 'required');
  assert.equal(web!.strategy, 'live');
  assert.equal(web!.downtimeSeconds, 0);
  assert.equal(web!.switchSeconds, 5 * LIVE_STEP_SECONDS);
  assert.equal(web!.consent, 'announce', 'customer a opted in to live moves');
  assert.deepEqual(web!.replicas, [{ replica: 1, host: 'nue-1' }]);
});

test('requests that cannot be resolved say why, each naming the app; the others resolve', () => {
  const { moves, problems } = resolveMoves(fleet, placements, [
    { app: 'nope', to: 'vie' },
    { app: 'db', to: 'mars' },
    { app: 'de-only', to: 'vie' },
    { app: 'web', to: 'vie' },
    { app: 'db', to: 'nue' },
    { app: 'db', to: 'hel', from: 'vie' },
    { app: 'db', to: 'hel' },
  ]);
  assert.deepEqual(problems.map((p) => [p.app, p.message]), [
    ['nope', 'no app "nope" in the fleet'],
    ['db', 'no site "mars" in the fleet'],
    ['de-only', 'de-only may not run at vie (its placement allows country DE)'],
    ['web', 'web runs at hel and nue: say which site it leaves with --from'],
    ['db', 'db already runs only at nue'],
    ['db', 'db has no replica at vie (it runs at nue)'],
  ]);
  assert.deepEqual(moves.map((m) => m.id), ['db:nue>hel']);
  assert.match(moves[0]!.warnings.at(-1)!, /^hel has no uplink in the fleet: the estimate assumes the other site's$/);
  assert.equal(moves[0]!.copyBytesPerSecond, 1e9 / 8 / 2);
});

test('"move N % of the customers": the cheapest customers first, until their weight reaches the share', () => {
  const { fleet: ref, placements: refPlacements } = loadReference();
  const total = ref.customers.reduce((n, c) => n + c.weight, 0);
  const requests = shareRequests(ref, refPlacements, 'nue', 0.1);
  const customers = new Set(requests.map((r) => ref.apps.find((a) => a.id === r.app)!.customer));
  const weight = [...customers].reduce((n, id) => n + ref.customers.find((c) => c.id === id)!.weight, 0);
  assert.ok(weight >= 0.1 * total, `${weight} of ${total}`);
  assert.ok(requests.every((r) => r.to === 'nue' && r.from !== 'nue'));
  // Every request resolves: no app already at the target that spreads over sites.
  assert.deepEqual(resolveMoves(ref, refPlacements, requests).problems, []);
});

test('a project directory\'s own volumes and data directories move with it; what the fleet does not size is said to be outside the estimate', () => {
  const compose = (volumes: string) => `services:\n  app:\n    image: gitea/gitea\n${volumes}`;
  const tree = (text: string) => ({ digest: 'd', files: [{ path: 'compose.yaml', size: text.length, mode: 0o644, digest: 'c' }], text: (p: string) => (p === 'compose.yaml' ? text : undefined) });
  const projects = new Map([
    ['gitea', tree(compose('    volumes: [git:/data, ./conf:/etc/gitea]\nvolumes:\n  git:\n'))],
    ['static', tree(compose(''))],
  ]);
  const withProjects = `${text}  - { id: gitea, customer: b, workload: { compose: { project: gitea } }, resources: { cpu: 1, memory: 1GiB } }\n  - { id: static, customer: b, workload: { compose: { project: static } }, resources: { cpu: 1, memory: 1GiB } }\n`;
  const f = validateFleet([{ name: 'f.yaml', text: withProjects }], { projects }).fleet!;
  const placed = [...placements, { app: 'gitea', replica: 1, host: 'nue-1', site: 'nue' }, { app: 'static', replica: 1, host: 'nue-1', site: 'nue' }];
  const { moves, problems } = resolveMoves(f, placed, [{ app: 'gitea', to: 'vie' }, { app: 'static', to: 'vie' }]);
  assert.deepEqual(problems, []);
  assert.deepEqual(moves.map((m) => [m.app, m.strategy]), [['gitea', 'cutover'], ['static', 'cutover']]);
  assert.ok(moves[0]!.warnings.some((w) => w === "gitea's git, ./conf are copied but not in the estimate: no size in the fleet (a named volume gets one under the app's volumes:)"), moves[0]!.warnings.join('; '));
  assert.ok(!moves[1]!.warnings.some((w) => /not in the estimate/.test(w)));
});
