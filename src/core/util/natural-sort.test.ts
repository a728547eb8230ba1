import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { naturalCompare } from './natural-sort.js';

test('numbers inside names sort by value', () => {
  assert.deepEqual(['app-10', 'app-2', 'app-1', 'db-1'].sort(naturalCompare), ['app-1', 'app-2', 'app-10', 'db-1']);
  assert.deepEqual(['a01', 'a1', 'a001'].sort(naturalCompare), ['a1', 'a01', 'a001']);
});

test('is a total order: antisymmetric, transitive, zero only for equal strings', () => {
  const name = fc.stringMatching(/^[a-z0-9-]{0,8}$/);
  fc.assert(
    fc.property(name, name, name, (a, b, c) => {
      assert.equal(Math.sign(naturalCompare(a, b)) + Math.sign(naturalCompare(b, a)), 0);
      assert.equal(naturalCompare(a, b) === 0, a === b);
      if (naturalCompare(a, b) <= 0 && naturalCompare(b, c) <= 0) assert.ok(naturalCompare(a, c) <= 0);
    }),
    { numRuns: 2000 },
  );
});
