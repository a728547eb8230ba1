/**
 * The controller on a PostgreSQL store (`hafen controller --store postgres://…`): a fleet applied
 * through the API is in the database; a second controller on the same database is refused (one
 * controller per store, until several take turns as leader); after a restart the controller
 * carries on from the database, its admin token still good; when the connection holding the
 * store breaks, the controller is told to stop (another may take the store then).
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import pg from 'pg';
import { HafenClient } from '../../src/client/client.js';
import { startController } from '../../src/controller/main.js';
import { isHafenError } from '../../src/lib/errors.js';
import { EXAMPLES } from '../helpers/paths.js';
import { freshDatabase, postgresMissing } from '../helpers/postgres.js';
import { need } from '../helpers/system.js';
import { until } from '../helpers/wait.js';

test('a controller on PostgreSQL: applies go to the database, a second controller on it is refused, a restart carries on, a lost hold on the store stops it', async (t) => {
  const missing = await postgresMissing();
  if (!need(t, missing === undefined, missing ?? '')) return;
  const db = await freshDatabase();
  const dir = mkdtempSync(join(tmpdir(), 'hafen-ctl-pg-'));
  const other = mkdtempSync(join(tmpdir(), 'hafen-ctl-pg2-'));
  let first: Awaited<ReturnType<typeof startController>> | undefined;
  try {
    first = await startController({ data: dir, listen: '127.0.0.1:0', store: db.url, secretKey: 'a'.repeat(64) });
    assert.match(first.storeName, /^postgres:\/\/hafen_test:\*\*\*@127\.0\.0\.1:5432\/hafen_t_/, 'the password is never shown');
    const token = readFileSync(first.adminTokenFile!, 'utf8').trim();
    const client = new HafenClient(first.url, token);
    await client.apply([{ name: 'minimal.yaml', text: readFileSync(join(EXAMPLES, 'minimal.yaml'), 'utf8') }], null);
    assert.deepEqual((await client.revisions()).revisions.map((r) => r.number), [1]);

    await assert.rejects(startController({ data: other, listen: '127.0.0.1:0', store: db.url, secretKey: 'a'.repeat(64) }), (err: unknown) => isHafenError(err) && err.code === 'HAFEN_STORE_IN_USE' && !err.message.includes('hafen_test@'));
    await assert.rejects(startController({ data: dir, listen: '127.0.0.1:0', store: 'mysql://x@y/z', secretKey: 'a'.repeat(64) }), (err: unknown) => isHafenError(err) && err.code === 'HAFEN_CLI_BAD_OPTION');

    await first.close();
    const fatal: Error[] = [];
    first = await startController({ data: dir, listen: '127.0.0.1:0', store: db.url, secretKey: 'a'.repeat(64), onFatal: (err) => void fatal.push(err) });
    const again = new HafenClient(first.url, token);
    assert.deepEqual((await again.revisions()).revisions.map((r) => r.number), [1], 'the revision is still there');
    assert.ok((await again.status()).apps.length > 0);

    // The connection holding the store breaks (here: ended by the database): the controller is told to stop.
    const admin = new pg.Client({ connectionString: db.url });
    await admin.connect();
    try {
      const { rows } = await admin.query<{ pid: number }>("SELECT pid FROM pg_locks WHERE locktype = 'advisory' AND granted AND database = (SELECT oid FROM pg_database WHERE datname = current_database())");
      assert.equal(rows.length, 1, 'one connection holds the store');
      await admin.query('SELECT pg_terminate_backend($1)', [rows[0]!.pid]);
    } finally {
      await admin.end();
    }
    await until('the controller told to stop', async () => (fatal.length > 0 ? true : undefined), 5000);
    assert.equal((fatal[0] as Error & { code?: string }).code, 'HAFEN_STORE_LOCK_LOST');
    assert.doesNotMatch(fatal[0]!.message, /:hafen_test@/);
  } finally {
    await first?.close();
    await db.drop();
    for (const d of [dir, other]) rmSync(d, { recursive: true, force: true });
  }
});
