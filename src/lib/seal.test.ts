import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { isHafenError } from './errors.js';
import { keyId, newKey, parseKey, seal, unseal } from './seal.js';

test('seal and unseal round-trip any text; every sealing uses a fresh nonce', () => {
  const key = newKey();
  fc.assert(
    fc.property(fc.string({ unit: 'binary' }), fc.string(), (value, aad) => {
      assert.equal(unseal(key, seal(key, value, aad), aad), value);
    }),
  );
  assert.notEqual(seal(key, 'same', 'x'), seal(key, 'same', 'x'));
});

test('a wrong key, wrong associated data or a flipped bit does not decrypt, and the error shows nothing of the value', () => {
  const key = newKey();
  const sealed = seal(key, 'hunter2-very-secret', 'secret:db');
  const bad = (fn: () => unknown) =>
    assert.throws(fn, (e) => isHafenError(e, 'HAFEN_SECRET_UNSEAL') && !(e as Error).message.includes('hunter2'));
  bad(() => unseal(newKey(), sealed, 'secret:db'));
  bad(() => unseal(key, sealed, 'secret:other'));
  const parts = sealed.split('.');
  const ct = Buffer.from(parts[3]!, 'base64url');
  ct[0]! ^= 1;
  bad(() => unseal(key, [...parts.slice(0, 3), ct.toString('base64url')].join('.'), 'secret:db'));
  bad(() => unseal(key, 'not sealed', 'secret:db'));
  assert.ok(!sealed.includes('hunter2'));
});

test('keys parse from base64 or hex and nothing else; the key id is stable and not the key', () => {
  const key = newKey();
  assert.deepEqual(parseKey(key.toString('base64'), 'K'), key);
  assert.deepEqual(parseKey(`${key.toString('hex')}\n`, 'K'), key);
  assert.throws(() => parseKey('short', 'HAFEN_SECRET_KEY'), (e) => isHafenError(e, 'HAFEN_SECRET_KEY_INVALID') && /HAFEN_SECRET_KEY must hold a 32-byte key/.test((e as Error).message));
  assert.throws(() => parseKey(newKey().subarray(0, 16).toString('base64'), 'K'), (e) => isHafenError(e, 'HAFEN_SECRET_KEY_INVALID'));
  assert.equal(keyId(key), keyId(Buffer.from(key)));
  assert.equal(keyId(key).length, 16);
  assert.ok(!key.toString('hex').includes(keyId(key)));
});
