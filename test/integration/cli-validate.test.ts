import assert from 'node:assert/strict';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import type { Problem } from '../../src/core/fleet/problems.js';
import { FIXTURES, ROOT, assertNoStackTrace, hafen } from '../helpers/paths.js';

/** The JSON output is the Problem type of the core, as written. */
type JsonProblem = Problem;

/** [code, file (relative to the fixture), path, line] of every problem a broken fixture must report. */
type Expected = [code: string, file: string, path: string, line: number | undefined];

const CORPUS: Record<string, Expected[]> = {
  'syntax.yaml': [
    ['HAFEN_FLEET_SYNTAX', 'syntax.yaml', '', 5],
    ['HAFEN_FLEET_SYNTAX', 'syntax.yaml', '', 6],
    ['HAFEN_FLEET_SYNTAX', 'syntax.yaml', '', 6],
  ],
  'typo-keys.yaml': [
    ['HAFEN_FLEET_UNKNOWN_KEY', 'typo-keys.yaml', 'sites[0].provder', 9],
    ['HAFEN_FLEET_UNKNOWN_KEY', 'typo-keys.yaml', 'sites[0].prefixs', 12],
    ['HAFEN_FLEET_UNKNOWN_KEY', 'typo-keys.yaml', 'hosts[0].memroy', 20],
    ['HAFEN_FLEET_UNKNOWN_KEY', 'typo-keys.yaml', 'hostz', 22],
  ],
  'dangling-refs.yaml': [
    ['HAFEN_FLEET_UNKNOWN_REF', 'dangling-refs.yaml', 'facilities[0].operator', 5],
    ['HAFEN_FLEET_UNKNOWN_REF', 'dangling-refs.yaml', 'sites[0].facility', 10],
    ['HAFEN_FLEET_UNKNOWN_REF', 'dangling-refs.yaml', 'hosts[0].site', 17],
    ['HAFEN_FLEET_NO_ELIGIBLE_HOST', 'dangling-refs.yaml', 'apps[0]', 21],
    ['HAFEN_FLEET_UNKNOWN_REF', 'dangling-refs.yaml', 'apps[0].customer', 22],
    ['HAFEN_FLEET_UNKNOWN_REF', 'dangling-refs.yaml', 'apps[0].backup.to', 25],
  ],
  'overlap.yaml': [
    ['HAFEN_FLEET_PREFIX_OVERLAP', 'overlap.yaml', 'sites[1].prefixes[0]', 16],
    ['HAFEN_FLEET_PREFIX_INVALID', 'overlap.yaml', 'sites[1].prefixes[1]', 17],
    ['HAFEN_FLEET_PREFIX_INVALID', 'overlap.yaml', 'sites[1].prefixes[2]', 18],
  ],
  'segments-dont-fit.yaml': [['HAFEN_IPAM_SEGMENTS_DONT_FIT', 'segments-dont-fit.yaml', 'sites[0].prefixes', 8]],
  'bad-windows.yaml': [
    ['HAFEN_FLEET_INVALID', 'bad-windows.yaml', 'customers[0].timezone', 3],
    ['HAFEN_FLEET_INVALID', 'bad-windows.yaml', 'customers[0].maintenanceWindows[0].to', 5],
    ['HAFEN_FLEET_INVALID_VALUE', 'bad-windows.yaml', 'customers[0].maintenanceWindows[1].days[0]', 6],
    ['HAFEN_FLEET_OUT_OF_RANGE', 'bad-windows.yaml', 'customers[0].maintenanceWindows[2].days', 7],
    ['HAFEN_FLEET_INVALID_FORMAT', 'bad-windows.yaml', 'customers[0].maintenanceWindows[3].from', 8],
    ['HAFEN_FLEET_INVALID', 'bad-windows.yaml', 'customers[0].maintenanceWindows[4].days', 9],
  ],
  'types.yaml': [
    ['HAFEN_FLEET_INVALID_FORMAT', 'types.yaml', 'sites[0].country', 4],
    ['HAFEN_FLEET_INVALID_FORMAT', 'types.yaml', 'sites[0].uplink', 4],
    ['HAFEN_FLEET_TYPE', 'types.yaml', 'hosts[0].cpu', 11],
    ['HAFEN_FLEET_TYPE', 'types.yaml', 'hosts[0].memory', 12],
    ['HAFEN_FLEET_INVALID_VALUE', 'types.yaml', 'hosts[0].runtime', 14],
    ['HAFEN_FLEET_INVALID_FORMAT', 'types.yaml', 'apps[0].id', 18],
    ['HAFEN_FLEET_OUT_OF_RANGE', 'types.yaml', 'apps[0].redundancy.replicas', 20],
    ['HAFEN_FLEET_INVALID', 'types.yaml', 'apps[0].workload', 21],
    ['HAFEN_FLEET_REQUIRED', 'types.yaml', 'apps[0].resources.memory', 22],
    ['HAFEN_FLEET_OUT_OF_RANGE', 'types.yaml', 'apps[0].port', 23],
  ],
  'spread.yaml': [
    ['HAFEN_FLEET_SPREAD_IMPOSSIBLE', 'spread.yaml', 'apps[0].redundancy.replicas', 19],
    ['HAFEN_FLEET_CRITICAL_NOT_REDUNDANT', 'spread.yaml', 'apps[1].redundancy', 22],
    ['HAFEN_FLEET_SPREAD_IMPOSSIBLE', 'spread.yaml', 'apps[2].redundancy.replicas', 30],
    ['HAFEN_FLEET_NO_ELIGIBLE_HOST', 'spread.yaml', 'apps[3]', 34],
    ['HAFEN_FLEET_APP_TOO_BIG', 'spread.yaml', 'apps[4].resources', 41],
  ],
  'duplicates.yaml': [
    ['HAFEN_FLEET_REQUIRED', 'duplicates.yaml', '', undefined],
    ['HAFEN_FLEET_DUPLICATE_ID', 'duplicates.yaml', 'providers[1].id', 3],
    ['HAFEN_FLEET_COUNTRY_MISMATCH', 'duplicates.yaml', 'sites[0].country', 9],
    ['HAFEN_FLEET_DUPLICATE_KEY', 'duplicates.yaml', '', 10],
  ],
  'addresses.yaml': [
    ['HAFEN_IPAM_EXHAUSTED', 'addresses.yaml', 'hosts[5]', 15],
    ['HAFEN_IPAM_ADDRESS_OUTSIDE_SEGMENT', 'addresses.yaml', 'hosts[6].address', 16],
    ['HAFEN_IPAM_ADDRESS_RESERVED', 'addresses.yaml', 'hosts[7].address', 17],
  ],
  split: [
    ['HAFEN_FLEET_DUPLICATE_KEY', 'split/sites/nue.yaml', 'siteTemplate', 3],
    ['HAFEN_FLEET_UNKNOWN_REF', 'split/sites/nue.yaml', 'hosts[1].site', 7],
  ],
};

for (const [name, expected] of Object.entries(CORPUS)) {
  test(`broken fleet ${name}: exit 1, every problem at once with its path and line`, () => {
    const target = join(FIXTURES, 'broken', name);
    const res = hafen(['validate', target, '--format', 'json']);
    assert.equal(res.status, 1, res.stderr);
    assertNoStackTrace(res.stdout + res.stderr);
    const out = JSON.parse(res.stdout) as { ok: boolean; problems: JsonProblem[] };
    assert.equal(out.ok, false);
    const got = out.problems.map((p): Expected => [p.code, p.file!.slice(join(FIXTURES, 'broken').length + 1), p.path, p.line]);
    assert.deepEqual(got, expected);
    for (const p of out.problems) {
      assert.ok(p.message.length > 10, `a message a person can act on: ${p.message}`);
      assert.equal(p.severity, 'error');
      if (p.line !== undefined) assert.ok(p.column! >= 1);
    }
    const text = hafen(['validate', target]);
    assert.equal(text.status, 1);
    assertNoStackTrace(text.stdout + text.stderr);
    assert.equal(text.stdout.trim().split('\n').length, expected.length, 'one line per problem');
    assert.match(text.stderr, new RegExp(`${expected.length} errors?`));
  });
}

test('typos get a did-you-mean', () => {
  const res = hafen(['validate', join(FIXTURES, 'broken', 'typo-keys.yaml')]);
  assert.match(res.stdout, /typo-keys\.yaml:9:5: error: sites\[0\]\.provder: unknown key "provder" \(did you mean "provider"\?\)/);
  assert.match(res.stdout, /unknown key "hostz" \(did you mean "hosts"\?\)/);
});

test('the example fleets are valid', () => {
  for (const fleet of ['examples/minimal.yaml', 'examples/frachtwerk']) {
    const res = hafen(['validate', fleet]);
    assert.equal(res.status, 0, res.stdout + res.stderr);
    assert.match(res.stdout, /^ok: /m);
    const json = JSON.parse(hafen(['validate', fleet, '--format', 'json']).stdout) as { ok: boolean; problems: unknown[] };
    assert.deepEqual(json, { ...json, ok: true, problems: [] });
  }
});

test('a fleet that cannot be read exits 2 without a stack trace', () => {
  const missing = hafen(['validate', 'no/such/fleet.yaml']);
  assert.equal(missing.status, 2);
  assert.match(missing.stderr, /cannot read fleet no\/such\/fleet\.yaml: no such file or directory \[HAFEN_CLI_FLEET_UNREADABLE\]/);
  assertNoStackTrace(missing.stderr);
  const empty = mkdtempSync(join(tmpdir(), 'hafen-empty-'));
  const none = hafen(['validate', empty]);
  assert.equal(none.status, 2);
  assert.match(none.stderr, /holds no \.yaml or \.yml files/);
  if (process.getuid?.() !== 0) {
    const locked = join(empty, 'locked.yaml');
    writeFileSync(locked, 'sites: []\n');
    chmodSync(locked, 0);
    assert.equal(hafen(['validate', locked]).status, 2);
  }
});

test('usage errors exit 2 and say how to get help', () => {
  const res = hafen(['validate']);
  assert.equal(res.status, 2);
  assert.match(res.stderr, /missing required argument 'fleet'/);
  const fmt = hafen(['validate', 'examples/minimal.yaml', '--format', 'xml']);
  assert.equal(fmt.status, 2);
  assert.match(fmt.stderr, /--format must be "text" or "json"/);
  assertNoStackTrace(fmt.stderr);
  const help = hafen(['validate', '--help']);
  assert.equal(help.status, 0);
  assert.match(help.stdout, /Exit status: 0 valid/);
});

test('a compose project inside a fleet directory is not read as fleet YAML, and validate says so', () => {
  const dir = mkdtempSync(join(tmpdir(), 'hafen-fleet-projects-'));
  writeFileSync(join(dir, 'fleet.yaml'), readFileSync(join(ROOT, 'examples', 'minimal.yaml'), 'utf8'));
  // A project as users keep them beside the fleet: a compose file, its .env, config files in YAML.
  const project = join(dir, 'apps', 'gitea');
  mkdirSync(join(project, 'config'), { recursive: true });
  writeFileSync(join(project, 'docker-compose.yml'), 'networks:\n  gitea:\n    external: false\nservices:\n  server:\n    image: gitea/gitea:1.22\n    environment:\n      - USER_UID=1000\n    volumes:\n      - ./gitea:/data\n    ports:\n      - "3000:3000"\n');
  writeFileSync(join(project, '.env'), 'GITEA_TAG=1.22\n');
  writeFileSync(join(project, 'config', 'app.yml'), 'server:\n  domain: git.example.com\n');
  const res = hafen(['validate', dir]);
  assert.equal(res.status, 0, res.stdout + res.stderr);
  assert.match(res.stdout, /^ok: .* \(1 files; 1 compose project directory not read as fleet\)/m);
  // A directory with nothing but projects says what it skipped.
  const only = mkdtempSync(join(tmpdir(), 'hafen-only-projects-'));
  mkdirSync(join(only, 'wordpress'));
  writeFileSync(join(only, 'wordpress', 'compose.yaml'), 'services:\n  db:\n    image: mariadb:10.11\n');
  const none = hafen(['validate', only]);
  assert.equal(none.status, 2);
  assert.match(none.stderr, /holds no \.yaml or \.yml files outside compose projects \(1 skipped: wordpress\)/);
});
