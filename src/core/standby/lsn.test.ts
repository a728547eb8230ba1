import assert from 'node:assert/strict';
import { test } from 'node:test';
import { lsnValue } from './lsn.js';

test('LSNs compare by both halves, not as text', () => {
  assert.ok(lsnValue('1/0') > lsnValue('0/FFFFFFFF'));
  assert.ok(lsnValue('0/A0000000') > lsnValue('0/9FFFFFFF'));
  assert.equal(lsnValue('16/B374D848'), (0x16n << 32n) + 0xb374d848n);
  assert.throws(() => lsnValue('16-B3'), /not an LSN/);
});
