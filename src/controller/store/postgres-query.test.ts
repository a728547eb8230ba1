import assert from 'node:assert/strict';
import { test } from 'node:test';
import { hostUrls, numbered, redact } from './postgres-query.js';

test('hostUrls: a URL naming several hosts becomes one URL per host, user, database and options kept', () => {
  assert.deepEqual(hostUrls('postgres://hafen:pw@db-nue:5432,db-vie:5433/hafen?sslmode=require'), ['postgres://hafen:pw@db-nue:5432/hafen?sslmode=require', 'postgres://hafen:pw@db-vie:5433/hafen?sslmode=require']);
  assert.deepEqual(hostUrls('postgresql://db-nue,db-vie/hafen'), ['postgresql://db-nue/hafen', 'postgresql://db-vie/hafen']);
  assert.deepEqual(hostUrls('postgres://hafen@db/hafen'), ['postgres://hafen@db/hafen']);
});

test('numbered placeholders, and URLs without their password', () => {
  assert.equal(numbered('SELECT ? WHERE a = ? AND b = ?'), 'SELECT $1 WHERE a = $2 AND b = $3');
  assert.equal(redact('postgres://hafen:s3cret@db:5432/hafen'), 'postgres://hafen:***@db:5432/hafen');
  assert.equal(redact('postgres://hafen@db/hafen'), 'postgres://hafen@db/hafen');
});
