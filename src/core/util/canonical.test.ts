import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { canonicalJson, contentHash, hash64 } from './canonical.js';

test('canonical JSON ignores key order and undefined values', () => {
  assert.equal(canonicalJson({ b: 1, a: { d: [2, { z: 1, y: 2 }], c: undefined } }), '{"a":{"d":[2,{"y":2,"z":1}]},"b":1}');
  fc.assert(
    fc.property(fc.dictionary(fc.string(), fc.jsonValue()), (o) => {
      const reversed = Object.fromEntries(Object.entries(o).reverse());
      assert.equal(contentHash(o), contentHash(reversed));
    }),
  );
});

test('hash64: fixed values (a change here renames every unit hash), and no collisions among many near-identical inputs', () => {
  assert.equal(hash64(''), '488bdcb81aee8d83');
  assert.equal(hash64('hafen'), '9021dc52847852cf');
  assert.match(hash64('a'), /^[0-9a-f]{16}$/);
  assert.notEqual(hash64('ab'), hash64('ba'));
  const seen = new Set<string>();
  for (let i = 0; i < 50_000; i++) seen.add(hash64(`{"unit":"app-${i}-r1","env":{"V":"${i % 7}"}}`));
  assert.equal(seen.size, 50_000);
});
