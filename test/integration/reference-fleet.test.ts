/**
 * The reference fleet (examples/frachtwerk) must look like the users' real fleet: three sites
 * in three countries at two providers with Nuremberg inside the other provider's facility,
 * about 100 hosts with ~42 TB disk and ~2 TB RAM, 250 systems with 1000+ containers.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { fleetTotals } from '../../src/core/fleet/model.js';
import { validateFleet } from '../../src/core/fleet/validate.js';
import { parsePrefix } from '../../src/core/ipam/ipv4.js';
import { EXAMPLES, yamlFiles } from '../helpers/paths.js';

const files = yamlFiles(join(EXAMPLES, 'frachtwerk')).map((f) => ({ name: f, text: readFileSync(f, 'utf8') }));
const { fleet, ok } = validateFleet(files);

test('topology: Nuremberg (A) inside B\'s facility, Vienna (A), Helsinki (B), each a /23', () => {
  assert.ok(ok && fleet);
  const site = (id: string) => fleet.sites.find((s) => s.id === id)!;
  const facility = (id: string) => fleet.facilities.find((f) => f.id === id)!;
  assert.deepEqual(fleet.sites.filter((s) => !s.witness).map((s) => s.id).sort(), ['hel', 'nue', 'vie']);
  // Losing provider-b takes hel and nue (its facility): the witness at provider-c keeps the quorum.
  assert.deepEqual(fleet.sites.filter((s) => s.witness).map((s) => [s.id, s.provider]), [['wit', 'provider-c']]);
  assert.equal(site('nue').provider, 'provider-a');
  assert.equal(facility(site('nue').facility).operator, 'provider-b', 'shares fate with provider B');
  assert.equal(site('vie').provider, 'provider-a');
  assert.equal(site('hel').provider, 'provider-b');
  assert.deepEqual(fleet.sites.filter((s) => !s.witness).map((s) => s.country).sort(), ['AT', 'DE', 'FI']);
  for (const s of fleet.sites.filter((x) => !x.witness)) {
    const p = parsePrefix(s.prefixes[0]!);
    assert.ok(p.ok && p.prefix.length === 23, `${s.id} has a /23`);
  }
});

test('scale: ~100 hosts, ~42 TB disk, ~2 TB RAM, 250 systems, 1000+ containers, some critical', () => {
  assert.ok(fleet);
  const t = fleetTotals(fleet);
  assert.equal(t.hosts, 101, '100 at the sites and the witness');
  assert.equal(t.apps, 250);
  assert.ok(t.containers >= 1000, `${t.containers} containers`);
  assert.ok(t.critical >= 5, `${t.critical} critical apps`);
  assert.ok(t.disk > 38e12 && t.disk < 48e12, `disk ${t.disk / 1e12} TB`);
  assert.ok(t.memory > 1.8e12 && t.memory < 2.6e12, `memory ${t.memory / 1e12} TB`);
  assert.ok(fleet.apps.some((a) => a.workloadKind === 'kubernetes'), 'a few Kubernetes apps');
  assert.ok(fleet.apps.some((a) => a.placement?.countries), 'some data residency');
  assert.ok(files.length > 100, 'each customer in its own file');
});
