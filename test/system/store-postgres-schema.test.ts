/**
 * The PostgreSQL schema (src/controller/store/postgres-migrations.ts) against a real PostgreSQL:
 * it has every table and column the SQLite store has after its migrations (so a store moves
 * between them unchanged); migrating again does nothing; a newer schema is refused; controllers
 * starting at once on one database migrate it once (the advisory lock); one killed in the middle
 * of a migration leaves nothing of it, and the next runs it whole. Of several hosts in the URL,
 * the first that answers as a primary is used.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { test } from 'node:test';
import Database from 'better-sqlite3';
import pg from 'pg';
import { SQLITE_MIGRATIONS } from '../../src/controller/store/migrations.js';
import { migratePostgres } from '../../src/controller/store/postgres-migrate.js';
import { primaryOf } from '../../src/controller/store/postgres-query.js';
import { POSTGRES_MIGRATIONS } from '../../src/controller/store/postgres-migrations.js';
import { isHafenError } from '../../src/lib/errors.js';
import { freshDatabase, postgresMissing } from '../helpers/postgres.js';
import { ROOT } from '../helpers/paths.js';
import { need } from '../helpers/system.js';
import { until } from '../helpers/wait.js';

/** table → sorted column names, of the SQLite schema after every migration. */
function sqliteColumns(): Map<string, string[]> {
  const db = new Database(':memory:');
  for (const m of SQLITE_MIGRATIONS) db.exec(m);
  const tables = (db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'").all() as { name: string }[]).map((t) => t.name);
  const out = new Map(tables.map((t) => [t, (db.prepare(`PRAGMA table_info(${t})`).all() as { name: string }[]).map((c) => c.name).sort()]));
  db.close();
  return out;
}

async function postgresColumns(pool: pg.Pool): Promise<Map<string, string[]>> {
  const rows = (await pool.query<{ table_name: string; column_name: string }>("SELECT table_name, column_name FROM information_schema.columns WHERE table_schema = 'public' AND table_name NOT IN ('hafen_schema', 'hafen_leader')")).rows;
  const out = new Map<string, string[]>();
  for (const r of rows) out.set(r.table_name, [...(out.get(r.table_name) ?? []), r.column_name].sort());
  return out;
}

test('the PostgreSQL schema: the SQLite store\'s tables and columns, migrated once, a newer schema refused, concurrent controllers migrate it once', async (t) => {
  const missing = await postgresMissing();
  if (!need(t, missing === undefined, missing ?? '')) return;
  const db = await freshDatabase();
  const pools: pg.Pool[] = [];
  const pool = () => {
    const p = new pg.Pool({ connectionString: db.url, max: 2 });
    pools.push(p);
    return p;
  };
  try {
    // Three controllers start at once: each waits for the lock; the first migrates, the others find it done.
    const versions = await Promise.all([pool(), pool(), pool()].map((p) => migratePostgres(p)));
    assert.deepEqual(versions, [POSTGRES_MIGRATIONS.length, POSTGRES_MIGRATIONS.length, POSTGRES_MIGRATIONS.length]);
    const p = pools[0]!;
    assert.deepEqual((await p.query('SELECT version FROM hafen_schema')).rows, [{ version: POSTGRES_MIGRATIONS.length }], 'one version row');

    const want = sqliteColumns();
    const have = await postgresColumns(p);
    assert.deepEqual([...have.keys()].sort(), [...want.keys()].sort(), 'the same tables');
    for (const [table, columns] of want) assert.deepEqual(have.get(table), columns, `the columns of ${table}`);

    // Again: nothing to do, nothing changed.
    assert.equal(await migratePostgres(p), POSTGRES_MIGRATIONS.length);
    // A hafen that knows fewer migrations than the store has refuses it.
    await assert.rejects(migratePostgres(p, POSTGRES_MIGRATIONS.slice(0, 0)), (err: unknown) => isHafenError(err) && err.code === 'HAFEN_STORE_TOO_NEW');
    // A migration that fails leaves the version where it was, and says which one.
    await assert.rejects(migratePostgres(p, [...POSTGRES_MIGRATIONS, 'CREATE TABLE broken (']), (err: unknown) => isHafenError(err) && err.code === 'HAFEN_STORE_MIGRATION' && err.message.includes(`migration ${POSTGRES_MIGRATIONS.length + 1} failed`));
    assert.deepEqual((await p.query('SELECT version FROM hafen_schema')).rows, [{ version: POSTGRES_MIGRATIONS.length }]);
  } finally {
    await Promise.all(pools.map((p) => p.end()));
    await db.drop();
  }
});

test('of several hosts the one that answers as a primary is used; none: each named, no password shown', async (t) => {
  const missing = await postgresMissing();
  if (!need(t, missing === undefined, missing ?? '')) return;
  const db = await freshDatabase();
  try {
    const u = new URL(db.url);
    const several = `postgres://${u.username}:${u.password}@127.0.0.1:1,${u.host}${u.pathname}`;
    assert.equal(await primaryOf(several, 2000), `postgres://${u.username}:${u.password}@${u.host}${u.pathname}`);
    await assert.rejects(primaryOf(`postgres://${u.username}:${u.password}@127.0.0.1:1,127.0.0.1:2${u.pathname}`, 2000), (err: unknown) => isHafenError(err) && err.code === 'HAFEN_STORE_NO_PRIMARY' && /127\.0\.0\.1:1\/.*ECONNREFUSED.*127\.0\.0\.1:2\//.test(err.message) && !err.message.includes(`:${u.password}@`));
  } finally {
    await db.drop();
  }
});

test('a process killed in the middle of a schema migration: nothing of it stays, and the next one runs it whole', async (t) => {
  const missing = await postgresMissing();
  if (!need(t, missing === undefined, missing ?? '')) return;
  const db = await freshDatabase();
  const p = new pg.Pool({ connectionString: db.url, max: 2 });
  // A migration that creates a table, then takes long (a large table being rewritten, say).
  const slow = 'CREATE TABLE moved (id INTEGER PRIMARY KEY); INSERT INTO moved SELECT generate_series(1, 1000); SELECT pg_sleep(30)';
  const script = `import pg from 'pg'; import { migratePostgres } from ${JSON.stringify(join(ROOT, 'src/controller/store/postgres-migrate.ts'))}; import { POSTGRES_MIGRATIONS } from ${JSON.stringify(join(ROOT, 'src/controller/store/postgres-migrations.ts'))};
    await migratePostgres(new pg.Pool({ connectionString: process.env.DB_URL }), [...POSTGRES_MIGRATIONS, ${JSON.stringify(slow)}]);`;
  const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { cwd: ROOT, env: { ...process.env, DB_URL: db.url }, stdio: 'ignore' });
  try {
    await until('the slow migration running', async () => ((await p.query("SELECT 1 FROM pg_stat_activity WHERE datname = current_database() AND query LIKE '%pg_sleep(30)%' AND pid <> pg_backend_pid()")).rowCount ? true : undefined), 30_000, 100);
    child.kill('SIGKILL');
    await new Promise((r) => child.once('exit', r));
    await until('its session gone', async () => ((await p.query("SELECT 1 FROM pg_stat_activity WHERE datname = current_database() AND query LIKE '%pg_sleep(30)%' AND pid <> pg_backend_pid()")).rowCount === 0 ? true : undefined), 10_000, 100);
    assert.deepEqual((await p.query('SELECT version FROM hafen_schema')).rows, [{ version: POSTGRES_MIGRATIONS.length }], 'the version before it');
    assert.equal((await p.query("SELECT to_regclass('moved') AS t")).rows[0].t, null, 'nothing of it stays');
    // The next controller's hafen runs it (here without the wait) from the start, whole.
    assert.equal(await migratePostgres(p, [...POSTGRES_MIGRATIONS, slow.replace('; SELECT pg_sleep(30)', '')]), POSTGRES_MIGRATIONS.length + 1);
    assert.deepEqual((await p.query('SELECT count(*)::integer AS n FROM moved')).rows, [{ n: 1000 }]);
  } finally {
    child.kill('SIGKILL');
    await p.end();
    await db.drop();
  }
});
