/**
 * The postgres driver with Debian's PostgreSQL as real processes, two "hosts" on loopback
 * addresses: a writer made with initdb, a hot standby made by base backup and streaming from
 * it, a synchronous commit, a promotion in place, the old writer stopped when told it is a
 * standby and — only once allowed — rewound onto the new writer, streaming from it.
 */
import assert from 'node:assert/strict';
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import pg from 'pg';
import { PostgresDriver } from '../../src/agent/drivers/postgres.js';
import { findPgBin } from '../../src/lib/postgres.js';
import { PG_PASSWORD_ENV, type DesiredUnit, type PostgresSpec } from '../../src/core/render/desired.js';
import { loopbackNet } from '../helpers/loopback.js';
import { need } from '../helpers/system.js';
import { until } from '../helpers/wait.js';

const PASSWORD = "pw with 'quotes' and : colons";
const PORT = 5433;

function unit(replica: number, role: 'active' | 'standby', term: number, pgExtra: Partial<PostgresSpec> = {}): DesiredUnit {
  return {
    name: `ledger-r${replica}`,
    app: 'ledger',
    customer: 'acme',
    replica,
    kind: 'postgres',
    port: PORT,
    postgres: { settings: { max_connections: '30' }, synchronous: true, database: 'ledger', user: 'ledger', ...pgExtra },
    standby: { term, role, data: ['data'] },
    hash: `${role}-${replica}`,
    secretEnv: { [PG_PASSWORD_ENV]: 'ledger-db' },
    secretValues: { [PG_PASSWORD_ENV]: PASSWORD },
  };
}

async function query(address: string, sql: string, params: unknown[] = [], user = 'ledger', database = 'ledger'): Promise<pg.QueryResult> {
  const c = new pg.Client({ host: address, port: PORT, user, password: PASSWORD, database, connectionTimeoutMillis: 3000, query_timeout: 10_000 });
  await c.connect();
  try {
    return await c.query(sql, params);
  } finally {
    await c.end();
  }
}

test('postgres driver: writer, streaming standby, synchronous commit, promotion, the old writer rewound', { timeout: 240_000 }, async (t) => {
  if (!need(t, findPgBin() !== undefined, "PostgreSQL's programs are not installed")) return;
  const net = loopbackNet();
  const a = `${net}.1`;
  const b = `${net}.2`;
  const dir = mkdtempSync(join(tmpdir(), 'hafen-pg-driver-'));
  // PostgreSQL runs as the postgres user when the test runs as root: it must reach the state directories.
  chmodSync(dir, 0o711);
  const logs: string[] = [];
  const drivers = [a, b].map((address, i) => PostgresDriver.open({ stateDir: join(dir, `host${i + 1}`, 'state'), address, tickMs: 250, log: (l) => logs.push(`${address}: ${l}`) }));
  const [da, db] = drivers as [PostgresDriver, PostgresDriver];
  t.after(async () => {
    for (const d of drivers) await d.stopAll();
    rmSync(dir, { recursive: true, force: true });
  });
  const say = () => `\n${logs.join('\n')}`;
  const wait = <T>(what: string, fn: () => Promise<T | undefined | false> | T | undefined | false) => until(what, async () => (await fn()) || undefined, 60_000, 250).catch((err: Error) => assert.fail(`${err.message}${say()}`));

  // The writer: made, its database and user with it; it waits for no standby yet (none streams).
  await da.apply([unit(1, 'active', 1, { sync: [] })]);
  await wait('the writer to run', async () => (await da.status())[0]?.state === 'running');
  await query(a, 'CREATE TABLE notes (id serial PRIMARY KEY, body text NOT NULL)');
  // A setting that takes a restart (shared_buffers) is applied by one; a restart the controller asks for (self-healing) too.
  await da.apply([unit(1, 'active', 1, { sync: [], settings: { max_connections: '30', shared_buffers: '16MB' } })]);
  await wait('shared_buffers applied by a restart', async () => (await query(a, 'SHOW shared_buffers', [], 'hafen', 'postgres')).rows[0]?.shared_buffers === '16MB' && (await da.status())[0]?.restarts === 1);
  await da.apply([{ ...unit(1, 'active', 1, { sync: [], settings: { max_connections: '30', shared_buffers: '16MB' } }), restart: 1 }]);
  await wait('the restart asked for', async () => (await da.status())[0]?.restarts === 2 && (await da.status())[0]?.state === 'running');
  assert.equal((await query(a, 'SELECT count(*)::int AS n FROM notes')).rows[0]?.n, 0, 'the data survives restarts');
  // A backup hook's dump: run in the cluster's directory as its user, into dump/, which backups take with the data directory.
  const dumped = await da.exec({ name: 'ledger-r1' }, ['pg_dumpall', '-f', 'dump/all.sql'], { timeoutMs: 30_000 });
  assert.equal(dumped.code, 0, dumped.output);
  const paths = await da.dataPaths({ name: 'ledger-r1' });
  assert.deepEqual(paths.map((p) => p.split('/').slice(-1)[0]), ['data', 'dump']);
  assert.match(readFileSync(join(paths[1]!, 'all.sql'), 'utf8'), /CREATE TABLE public\.notes/);

  // The standby: not made before the agent allows it (fencing would come first), then made by base backup.
  await db.apply([unit(2, 'standby', 1, { primary: { address: a, port: PORT } })]);
  await new Promise((r) => setTimeout(r, 1000));
  assert.equal(existsSync(join(dir, 'host2', 'state', 'postgres', 'ledger-r2', 'data', 'PG_VERSION')), false, 'nothing made before allowRebuild');
  db.allowRebuild(new Set(['ledger-r2']));
  const stream = await wait('the standby to stream', () => db.copies().find((c) => c.copiedAt));
  assert.equal(stream.id, 'sb-ledger-t1');
  assert.equal((await db.status())[0]?.state, 'standby');

  // Once r2 streams, the writer waits for it (reloaded, not restarted): a commit returns once r2 has it; r2 answers reads and refuses writes.
  await da.apply([{ ...unit(1, 'active', 1, { sync: ['ledger-r2'] }), restart: 1 }]);
  await wait('the writer to wait for r2', async () => (await query(a, 'SHOW synchronous_standby_names', [], 'hafen', 'postgres')).rows[0]?.synchronous_standby_names === 'ANY 1 ("ledger-r2")');
  await query(a, 'INSERT INTO notes (body) VALUES ($1)', ['before the failover']);
  const seen = await query(b, 'SELECT body FROM notes');
  assert.deepEqual(seen.rows.map((r) => r.body), ['before the failover']);
  await assert.rejects(query(b, "INSERT INTO notes (body) VALUES ('x')"), /read-only/);
  const sync = await query(a, 'SELECT application_name, sync_state FROM pg_stat_replication', [], 'hafen', 'postgres');
  assert.deepEqual(sync.rows, [{ application_name: 'ledger-r2', sync_state: 'quorum' }]);

  // Failover: r2 writes in term 2 (promoted in place); r1 is told it is a standby of term 2.
  await db.apply([unit(2, 'active', 2, { sync: [] })]);
  await wait('r2 to be promoted', async () => (await query(b, 'SELECT pg_is_in_recovery() AS r')).rows[0]?.r === false);
  await query(b, 'INSERT INTO notes (body) VALUES ($1)', ['after the failover']);
  await da.apply([unit(1, 'standby', 2, { primary: { address: b, port: PORT } })]);
  // apply() itself stopped the old writer: nothing answers at its address until it is rebuilt.
  await assert.rejects(query(a, 'SELECT 1'));
  assert.equal((await da.status())[0]?.state, 'standby');
  da.allowRebuild(new Set(['ledger-r1']));
  await wait('r1 to stream from r2', () => da.copies().find((c) => c.id === 'sb-ledger-t2' && c.copiedAt));
  const rows = await wait('r1 to hold the new writer\'s rows', async () => {
    const r = await query(a, 'SELECT body FROM notes ORDER BY id');
    return r.rows.length === 2 ? r.rows.map((x) => x.body) : undefined;
  });
  assert.deepEqual(rows, ['before the failover', 'after the failover']);
  assert.equal((await query(a, 'SELECT pg_is_in_recovery() AS r')).rows[0]?.r, true);
  assert.ok(logs.some((l) => /rewound onto the writer|fresh base backup/.test(l)), say());
  assert.ok(!logs.join('\n').includes(PASSWORD), 'the password is never logged');
});
