import assert from 'node:assert/strict';
import { test } from 'node:test';
import { closest, didYouMean, editDistance } from './suggest.js';

test('edit distance', () => {
  assert.equal(editDistance('provder', 'provider'), 1);
  assert.equal(editDistance('', 'abc'), 3);
  assert.equal(editDistance('Sites', 'sites'), 0);
});

test('suggests only plausible typos', () => {
  assert.equal(closest('prefixs', ['prefixes', 'provider', 'facility']), 'prefixes');
  assert.equal(closest('memroy', ['memory', 'cpu', 'disk']), 'memory');
  assert.equal(closest('xyz', ['memory', 'cpu', 'disk']), undefined);
  assert.equal(didYouMean('hostz', ['hosts', 'sites']), ' (did you mean "hosts"?)');
  assert.equal(didYouMean('zzzzzz', ['hosts']), '');
});
