import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { routeTable } from '../../render/routes.js';
import { schedule } from '../../placement/schedule.js';
import { validateFleet } from '../validate.js';

/** examples/minimal.yaml with its apps replaced by `apps` (YAML from "apps:"), and a fleet-wide default migration. */
function minimalWith(apps: string, defaults = ''): string {
  const minimal = readFileSync(new URL('../../../../examples/minimal.yaml', import.meta.url), 'utf8');
  return `${minimal.slice(0, minimal.search(/^apps:/m))}${defaults}${apps}`;
}

const ledger = (redundancy: string, extra = '') => `apps:
  - id: ledger
    customer: baeckerei-huber
    redundancy: ${redundancy}
    workload: { process: { command: [node, ledger.mjs] } }
    domains: [ledger.baeckerei-huber.example]
    port: 8090
    resources: { cpu: 0.5, memory: 256MiB }
    volumes: [{ name: data, size: 1GiB }]
${extra}`;

const problems = (text: string) => validateFleet([{ name: 'f.yaml', text }]).problems.filter((p) => p.code === 'HAFEN_FLEET_TWO_WRITERS').map((p) => [p.severity, p.path, p.line]);

test('an app with data runs one writer: several active-active replicas, or a live move, need a standby or a shared state (a standby app moves live by switchovers)', () => {
  assert.deepEqual(problems(minimalWith(ledger('{ replicas: 2 }'))), [['error', 'apps[0].redundancy.replicas', 56]]);
  const res = validateFleet([{ name: 'f.yaml', text: minimalWith(ledger('{ replicas: 2 }')) }]);
  assert.match(res.problems.find((p) => p.code === 'HAFEN_FLEET_TWO_WRITERS')!.message, /keeps data \(data\) and runs 2 replicas .* redundancy\.mode: standby .* redundancy\.sharedState/);
  assert.deepEqual(problems(minimalWith(ledger('{ replicas: 2, mode: standby }'))), []);
  assert.deepEqual(problems(minimalWith(ledger('{ replicas: 2, sharedState: "PostgreSQL at db.huber.example" }', '    migration: live\n'))), []);
  assert.deepEqual(problems(minimalWith(ledger('{ replicas: 1 }', '    migration: live\n'))), [['error', 'apps[0].migration', 62]]);
  assert.match(validateFleet([{ name: 'f.yaml', text: minimalWith(ledger('{ replicas: 1 }', '    migration: live\n')) }]).problems.find((p) => p.code === 'HAFEN_FLEET_TWO_WRITERS')!.message, /make it a standby app \(redundancy\.mode: standby: its live moves are switchovers\)/);
  // A standby app's live move is a switchover move: never two writers.
  assert.deepEqual(problems(minimalWith(ledger('{ replicas: 2, mode: standby }', '    migration: live\n'))), []);
  // A live default of the fleet is not a live move of an app with data: it moves in a window, and says so; a standby app keeps it.
  const inherited = validateFleet([{ name: 'f.yaml', text: minimalWith(ledger('{ replicas: 1 }'), 'defaults: { migration: live }\n') }]);
  assert.deepEqual(inherited.problems.filter((p) => p.code === 'HAFEN_FLEET_TWO_WRITERS').map((p) => p.severity), ['warning']);
  assert.equal(inherited.fleet!.apps[0]!.migration, 'window');
  assert.equal(validateFleet([{ name: 'f.yaml', text: minimalWith(ledger('{ replicas: 2, mode: standby }'), 'defaults: { migration: live }\n') }]).fleet!.apps[0]!.migration, 'live');
  // One replica, or no data: nothing to say.
  assert.deepEqual(problems(minimalWith(ledger('{ replicas: 1 }', '    migration: live\n').replace('    volumes: [{ name: data, size: 1GiB }]\n', ''))), []);
});

test('a standby app\'s active replica takes every request at every proxy; its standbys take none', () => {
  const res = validateFleet([{ name: 'f.yaml', text: minimalWith(ledger('{ replicas: 2, mode: standby }')) }]);
  assert.ok(res.fleet, JSON.stringify(res.problems));
  const placements = schedule(res.fleet).placements;
  const addresses = new Map(res.fleet.hosts.map((h, i) => [h.id, `198.18.0.${i + 10}`]));
  const route = routeTable(res.fleet, placements, 1, addresses).routes.find((r) => r.app === 'ledger')!;
  assert.deepEqual(route.replicas.map((r) => [r.id, r.weight]), [['ledger-r1', 100], ['ledger-r2', 0]]);
  const shared = validateFleet([{ name: 'f.yaml', text: minimalWith(ledger('{ replicas: 2, sharedState: "an external database" }')) }]).fleet!;
  assert.deepEqual(routeTable(shared, schedule(shared).placements, 1, addresses).routes.find((r) => r.app === 'ledger')!.replicas.map((r) => r.weight), [100, 100]);
});

test("a standby app's copy interval and RPO: an RPO shorter than the interval is an error at its line; on an app that is not a standby app they are warned of", () => {
  const codes = (text: string) => validateFleet([{ name: 'f.yaml', text }]).problems.filter((p) => p.code === 'HAFEN_FLEET_STANDBY_REPLICATION').map((p) => [p.severity, p.path]);
  assert.deepEqual(codes(minimalWith(ledger('{ replicas: 2, mode: standby, replicateEvery: 30s, rpo: 2m }'))), []);
  assert.deepEqual(codes(minimalWith(ledger('{ replicas: 2, mode: standby, replicateEvery: 30s, rpo: 10s }'))), [['error', 'apps[0].redundancy.rpo']]);
  assert.deepEqual(codes(minimalWith(ledger('{ replicas: 2, mode: standby, rpo: 30s }'))), [['error', 'apps[0].redundancy.rpo']], 'the default interval is 60 s');
  assert.deepEqual(codes(minimalWith(ledger('{ replicas: 1, replicateEvery: 30s }'))), [['warning', 'apps[0].redundancy.replicateEvery']]);
  const fleet = validateFleet([{ name: 'f.yaml', text: minimalWith(ledger('{ replicas: 2, mode: standby, replicateEvery: 20s }')) }]).fleet!;
  assert.deepEqual([fleet.apps[0]!.redundancy.replicateEveryMs, fleet.apps[0]!.redundancy.rpoMs], [20_000, 60_000], 'the RPO defaults to three intervals');
  assert.match(validateFleet([{ name: 'f.yaml', text: minimalWith(ledger('{ replicas: 2, mode: standby, replicateEvery: 2s }')) }]).problems[0]?.message ?? '', /at least 5s/);
});

test('a PostgreSQL app: its cluster is its data (two replicas need a standby); it needs a port, and takes no domains, HTTP checks or shared state; settings replication needs are hafen\'s', () => {
  const pgHosts = (text: string) => text.replace('hosts:\n', 'hosts:\n  - { id: nue-db-01, site: nue, runtime: postgres, cpu: 8, memory: 32GiB, disk: 500GiB }\n  - { id: nue-db-02, site: nue, runtime: postgres, cpu: 8, memory: 32GiB, disk: 500GiB }\n');
  const db = (redundancy: string, extra = '') => `apps:
  - id: ledger-db
    customer: baeckerei-huber
    redundancy: ${redundancy}
    workload: { postgres: { password: { secret: ledger-db }, database: ledger, user: ledger, settings: { max_connections: 50 } } }
    resources: { cpu: 1, memory: 1GiB }
${extra}`;
  const found = (text: string) => validateFleet([{ name: 'f.yaml', text: pgHosts(minimalWith(text)) }]).problems.filter((p) => p.severity === 'error').map((p) => [p.code, p.path]);
  assert.deepEqual(found(db('{ replicas: 2 }', '    port: 5432\n')), [['HAFEN_FLEET_TWO_WRITERS', 'apps[0].redundancy.replicas']]);
  const ok = validateFleet([{ name: 'f.yaml', text: pgHosts(minimalWith(db('{ replicas: 2, mode: standby }', '    port: 5432\n'))) }]);
  assert.deepEqual(ok.problems.filter((p) => p.severity === 'error'), []);
  assert.equal(ok.fleet!.apps[0]!.workloadKind, 'postgres');
  const wrong = found(db('{ replicas: 2, mode: standby, sharedState: elsewhere }', '    domains: [db.huber.example]\n    health: { path: / }\n'));
  assert.deepEqual(wrong.filter(([code]) => code === 'HAFEN_FLEET_POSTGRES').map(([, path]) => path).sort(), ['apps[0].domains', 'apps[0].health', 'apps[0].port', 'apps[0].redundancy.sharedState']);
  const managed = validateFleet([{ name: 'f.yaml', text: pgHosts(minimalWith(db('{ replicas: 1 }', '    port: 5432\n').replace('max_connections: 50', 'max_connections: 50, synchronous_standby_names: "*"'))) }]);
  assert.match(managed.problems.map((p) => `${p.path}: ${p.message}`).join('\n'), /settings\.synchronous_standby_names.*kept by hafen/);
  // Backed up without a dump or a stop: its files copied while the server writes are warned of.
  const backedUp = (hooks: string) => validateFleet([{ name: 'f.yaml', text: pgHosts(minimalWith(db('{ replicas: 2, mode: standby }', `    port: 5432\n    backup: { to: nue${hooks} }\n`))) }]).problems.filter((p) => p.code === 'HAFEN_FLEET_POSTGRES' && p.path === 'apps[0].backup').map((p) => p.severity);
  assert.deepEqual(backedUp(''), ['warning']);
  assert.deepEqual(backedUp(', hooks: { before: [pg_dumpall, -f, dump/all.sql] }'), []);
});
