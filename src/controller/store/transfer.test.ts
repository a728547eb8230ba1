import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isHafenError } from '../../lib/errors.js';
import { SqliteStore } from './sqlite.js';
import { exportStore, importStore, insertSql, readExport } from './transfer.js';

const refused = (pattern: RegExp) => (err: unknown) => isHafenError(err) && err.code === 'HAFEN_STORE_IMPORT' && pattern.test(err.message);

test('an export reads back into an empty store row for row; a store with rows is refused and keeps them', async () => {
  const a = new SqliteStore(':memory:');
  await a.putSecret({ name: 's', keyId: 'k1', sealed: 'v1.x', updatedAt: '2026-11-27T10:00:00.000Z', updatedBy: 'ops' });
  await a.addEvents([{ at: '2026-11-27T10:00:00.000Z', kind: 'site', subject: 'hel', state: 'lost', message: 'hel "lost"\nfor real', data: { n: 1.5 } }]);
  const lines: string[] = [];
  const counts = await exportStore(a, (l) => void lines.push(l), new Date('2026-11-27T12:00:00Z'));
  assert.equal(counts.secrets, 1);
  assert.deepEqual(JSON.parse(lines[0]!).exportedAt, '2026-11-27T12:00:00.000Z');
  const b = new SqliteStore(':memory:');
  await importStore(b, await readExport(lines));
  const again: string[] = [];
  await exportStore(b, (l) => void again.push(l), new Date('2026-11-27T12:00:00Z'));
  assert.deepEqual(again, lines);
  assert.equal((await b.events({}))[0]!.message, 'hel "lost"\nfor real');
  await assert.rejects(importStore(b, await readExport(lines)), (err: unknown) => isHafenError(err) && err.code === 'HAFEN_STORE_NOT_EMPTY');
  assert.equal((await b.listSecrets()).length, 1);
  await Promise.all([a.close(), b.close()]);
});

test('readExport refuses what is not an export, by line', async () => {
  const head = JSON.stringify({ format: 'hafen-store-export', version: 1, exportedAt: 'x', rows: { users: 1 } });
  const user = JSON.stringify({ table: 'users', row: { name: 'mara' } });
  await assert.rejects(readExport([]), refused(/the export is empty/));
  await assert.rejects(readExport(['{"format":"other"}']), refused(/line 1: not a hafen store export/));
  await assert.rejects(readExport([head, 'nope']), refused(/line 2: not JSON/));
  await assert.rejects(readExport([head, JSON.stringify({ table: 'passwords', row: {} })]), refused(/line 2: no table "passwords"/));
  await assert.rejects(readExport([head, JSON.stringify({ table: 'users', row: { name: { $gt: '' } } })]), refused(/line 2: users\.name is neither text, a number nor null/));
  await assert.rejects(readExport([head]), refused(/header counts 1 rows of users, it holds 0/));
  assert.deepEqual((await readExport([head, user, ''])).counts.users, 1);
  // Names go into SQL: only known tables and plain column names.
  assert.throws(() => insertSql('users', ['name; DROP TABLE users']), refused(/no column "name; DROP TABLE users"/));
  assert.throws(() => insertSql('users; --', ['name']), (err: unknown) => isHafenError(err) && err.code === 'HAFEN_STORE_TABLE');
});
