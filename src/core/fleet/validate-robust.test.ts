/** Whatever a user writes, validation answers with problems, never with an exception. */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import fc from 'fast-check';
import { stringify } from 'yaml';
import { validateFleet } from './validate.js';

const minimal = readFileSync(new URL('../../../examples/minimal.yaml', import.meta.url), 'utf8');

function check(text: string): void {
  const res = validateFleet([{ name: 'f.yaml', text }]);
  if (!res.ok) assert.ok(res.problems.some((p) => p.severity === 'error'), 'invalid means at least one error');
  for (const p of res.problems) assert.ok(p.message.length > 0 && p.code.startsWith('HAFEN_'));
}

test('property: random text never throws', () => {
  fc.assert(fc.property(fc.string({ maxLength: 300 }), check), { numRuns: 500 });
});

test('property: random data under the fleet keys never throws', () => {
  const key = fc.constantFrom('sites', 'hosts', 'apps', 'customers', 'providers', 'facilities', 'siteTemplate', 'policies', 'defaults', 'version', 'x-anchor', 'other');
  fc.assert(fc.property(fc.dictionary(key, fc.jsonValue({ maxDepth: 4 })), (data) => check(stringify(data))), { numRuns: 500 });
});

test('property: the minimal example with lines deleted or swapped never throws', () => {
  const lines = minimal.split('\n');
  fc.assert(
    fc.property(fc.nat({ max: lines.length - 1 }), fc.nat({ max: lines.length - 1 }), fc.boolean(), (a, b, swap) => {
      const copy = [...lines];
      if (swap) [copy[a], copy[b]] = [copy[b]!, copy[a]!];
      else copy.splice(a, 1);
      check(copy.join('\n'));
    }),
    { numRuns: 400 },
  );
});

test('YAML anchors under x- keys can be reused; aliases into another document are a problem, not a crash', () => {
  const base = `x-host: &host { cpu: 8, memory: 32GiB, disk: 500GiB }
providers: [{ id: p }]
facilities: [{ id: f1, operator: p, country: DE }]
sites: [{ id: nue, provider: p, facility: f1, country: DE, prefixes: [198.18.0.0/24] }]
siteTemplate: { segments: [{ name: apps, role: apps, prefixLength: 26 }] }
`;
  const ok = validateFleet([{ name: 'f.yaml', text: `${base}hosts:\n  - { id: nue-app-01, site: nue, <<: *host }\n` }]);
  assert.deepEqual(ok.problems, []);
  assert.equal(ok.fleet?.hosts[0]?.cpu, 8);
  const bad = validateFleet([{ name: 'f.yaml', text: `${base}---\nhosts:\n  - { id: nue-app-01, site: nue, <<: *host }\n` }]);
  assert.equal(bad.ok, false);
  assert.equal(bad.problems[0]?.code, 'HAFEN_FLEET_SYNTAX');
});
