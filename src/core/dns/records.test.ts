import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { changesByZone, desiredAddresses, zoneOf, type EdgeSite } from './records.js';

const edges: EdgeSite[] = [
  { site: 'nue', addresses: ['203.0.113.10', '203.0.113.11'] },
  { site: 'vie', addresses: ['198.51.100.10'] },
  { site: 'hel', addresses: ['192.0.2.10'] },
];

test('every site that is up; a lost site withdrawn; when all are lost, what the server holds stays', () => {
  const d = (lost: string[], held?: Map<string, string[]>) => desiredAddresses(['shop.example.com'], edges, new Set(lost), held).get('shop.example.com');
  assert.deepEqual(d([]), ['192.0.2.10', '198.51.100.10', '203.0.113.10', '203.0.113.11']);
  assert.deepEqual(d(['hel']), ['198.51.100.10', '203.0.113.10', '203.0.113.11']);
  assert.deepEqual(d(['nue', 'vie', 'hel'], new Map([['shop.example.com', ['198.51.100.10']]])), ['198.51.100.10'], 'the last site stays');
  assert.deepEqual(d(['nue', 'vie', 'hel']), ['192.0.2.10', '198.51.100.10', '203.0.113.10', '203.0.113.11'], 'nothing held: every site rather than none');
});

test('property: a domain never ends up with no address while any site has one', () => {
  const site = fc.record({ site: fc.constantFrom('a', 'b', 'c', 'd'), addresses: fc.array(fc.ipV4(), { maxLength: 3 }) });
  fc.assert(
    fc.property(fc.array(site, { maxLength: 4 }), fc.subarray(['a', 'b', 'c', 'd']), fc.array(fc.ipV4(), { maxLength: 2 }), (sites, lost, held) => {
      const got = desiredAddresses(['x.example.com'], sites, new Set(lost), new Map([['x.example.com', held]])).get('x.example.com')!;
      const any = sites.some((s) => s.addresses.length > 0) || held.length > 0;
      assert.equal(got.length > 0, any);
      // Only addresses of sites that are up, unless none is.
      const upAddresses = new Set(sites.filter((s) => !lost.includes(s.site)).flatMap((s) => s.addresses));
      if (upAddresses.size > 0) assert.ok(got.every((a) => upAddresses.has(a)));
    }),
  );
});

test('zones: the longest that holds the domain; changes only where the server holds something else', () => {
  assert.equal(zoneOf('shop.eu.example.com', ['example.com', 'eu.example.com']), 'eu.example.com');
  assert.equal(zoneOf('shop.example.org', ['example.com']), undefined);
  const desired = new Map([
    ['shop.example.com', ['203.0.113.10']],
    ['blog.example.com', ['203.0.113.10', '198.51.100.10']],
    ['other.example.org', ['203.0.113.10']],
  ]);
  const held = new Map([['blog.example.com', ['198.51.100.10', '203.0.113.10']]]);
  assert.deepEqual([...changesByZone(desired, held, ['example.com'])], [['example.com', [{ name: 'shop.example.com', addresses: ['203.0.113.10'] }]]]);
});
