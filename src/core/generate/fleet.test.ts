import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { validateFleet } from '../fleet/validate.js';
import { fleetTotals } from '../fleet/model.js';
import { singleFile, splitFiles } from './files.js';
import { generateFleet } from './fleet.js';

const header = () => '';

test('the same parameters and seed give the same fleet; another seed another one', () => {
  const a = singleFile(generateFleet({ customers: 30, hosts: 20, seed: 5 }), header);
  const b = singleFile(generateFleet({ customers: 30, hosts: 20, seed: 5 }), header);
  const c = singleFile(generateFleet({ customers: 30, hosts: 20, seed: 6 }), header);
  assert.equal(a, b);
  assert.notEqual(a, c);
});

test('property: generated fleets of any size are valid, in one file or split', () => {
  fc.assert(
    fc.property(
      fc.record({ customers: fc.integer({ min: 1, max: 60 }), hosts: fc.integer({ min: 9, max: 90 }), sites: fc.integer({ min: 3, max: 6 }), seed: fc.nat() }),
      (p) => {
        fc.pre(p.hosts >= p.sites * 3);
        const fleet = generateFleet(p);
        const single = validateFleet([{ name: 'fleet.yaml', text: singleFile(fleet, header) }]);
        assert.deepEqual(single.problems.filter((x) => x.severity === 'error'), [], JSON.stringify(p));
        const split = validateFleet(splitFiles(fleet, header).map((f) => ({ name: f.path, text: f.text })));
        assert.deepEqual(split.fleet && fleetTotals(split.fleet), single.fleet && fleetTotals(single.fleet));
        // The sites' hosts as asked, and a witness's where one provider's loss would leave fewer than two sites to see it.
        const f = single.fleet!;
        const sites = f.sites.filter((s) => !s.witness);
        const operator = (s: (typeof sites)[number]) => f.facilities.find((x) => x.id === s.facility)!.operator;
        const short = f.providers.some((pr) => sites.filter((s) => s.provider !== pr.id && operator(s) !== pr.id).length < 2);
        const witnesses = f.sites.filter((s) => s.witness).map((s) => s.id);
        assert.equal(witnesses.length, short ? 1 : 0, `a witness exactly when a provider's loss leaves fewer than two sites (${JSON.stringify(p)})`);
        assert.equal(f.hosts.filter((h) => !witnesses.includes(h.site)).length, p.hosts);
        assert.equal(single.fleet?.customers.length, p.customers);
      },
    ),
    { numRuns: 25 },
  );
});

test('rejects sizes it cannot build', () => {
  assert.throws(() => generateFleet({ customers: 0, hosts: 10, seed: 1 }), RangeError);
  assert.throws(() => generateFleet({ customers: 5, hosts: 5, seed: 1 }), /at least 3 per site/);
});

test('critical customers get data residency only where its sites survive any one provider (in the reference topology DE and AT are both provider-a\'s: none)', () => {
  const fleet = generateFleet({ customers: 400, hosts: 30, seed: 3 });
  const residents = (fleet.apps ?? []).filter((a) => a.placement?.countries);
  assert.ok(residents.length > 0, 'standard customers still keep their data in DE/AT');
  assert.deepEqual(residents.filter((a) => a.criticality === 'critical').map((a) => a.id), []);
});
