import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DECOY_HASH, hashPassword, verifyPassword } from './password.js';

test('a password verifies against its scrypt hash, a wrong one does not, and two hashes of one password differ (salted)', async () => {
  const h = await hashPassword('correct horse battery');
  assert.match(h, /^scrypt\$32768\$8\$1\$[\w-]{22}\$[\w-]{43}$/);
  assert.equal(await verifyPassword('correct horse battery', h), true);
  assert.equal(await verifyPassword('correct horse batterY', h), false);
  assert.notEqual(await hashPassword('correct horse battery'), h);
  assert.ok(!h.includes('correct'));
});

test('unreadable hashes verify nothing; the decoy verifies nothing but costs as much', async () => {
  assert.equal(await verifyPassword('x', ''), false);
  assert.equal(await verifyPassword('x', 'bcrypt$1$2$3$a$b'), false);
  assert.equal(await verifyPassword('x', 'scrypt$0$8$1$a$b'), false);
  assert.equal(await verifyPassword('', DECOY_HASH), false);
});
