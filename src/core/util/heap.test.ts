import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { IndexedMinHeap } from './heap.js';

test('property: pops in key order (ties by id) after any sequence of inserts and key changes', () => {
  fc.assert(
    fc.property(fc.array(fc.tuple(fc.integer({ min: 0, max: 30 }), fc.integer({ min: 0, max: 9 })), { maxLength: 200 }), (ops) => {
      const heap = new IndexedMinHeap(31);
      const keys = new Map<number, number>();
      for (const [id, key] of ops) {
        heap.set(id, key);
        keys.set(id, key);
      }
      const expected = [...keys].sort((a, b) => a[1] - b[1] || a[0] - b[0]).map(([id]) => id);
      const got: number[] = [];
      while (heap.size > 0) got.push(heap.pop()!);
      assert.deepEqual(got, expected);
    }),
  );
});
