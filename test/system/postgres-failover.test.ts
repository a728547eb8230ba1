/**
 * One PostgreSQL writer, across a partition (test/helpers/postgres-sites.ts: three sites on
 * loopback, Debian's PostgreSQL run by the agents' postgres driver; `ledger-db` is critical, so
 * its writer commits only once its standby has the commit).
 *
 * - The standby is made by base backup and streams (hot, read-only); the writer waits for it.
 * - The writer's site is cut off while a client at that site writes: those commits cannot reach
 *   the standby and are never acknowledged. The other sites declare the site lost; the standby
 *   is promoted within the RTO and takes writes. Every write acknowledged before the cut is there
 *   (RPO 0).
 * - The site heals: its agent stops the old writer before anything else, keeps its data aside
 *   (alerted), rewinds it onto the new writer and has it stream from it; exactly one writer, and
 *   the new writer waits for the old one again. What the old writer committed locally during
 *   the partition is in the copy kept aside, not in the new history.
 * - `hafen failover APP --to SITE` switches back: the writer stops cleanly, the standby has
 *   received all of it and is promoted; nothing lost, nothing kept aside.
 */
import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { findPgBin } from '../../src/lib/postgres.js';
import { PG_APP, PG_PORT, PG_SITE, postgresSitesMissing, startPostgresSites, type PostgresSites } from '../helpers/postgres-sites.js';
import { hafenAsync } from '../helpers/paths.js';
import { need, run } from '../helpers/system.js';
import { sleep, until } from '../helpers/wait.js';

const missing = postgresSitesMissing();
let s: PostgresSites | undefined;
const logTail = () => `\nagents said:\n${s!.logs.slice(-25).join('\n')}`;

before(async () => {
  if (!missing) s = await startPostgresSites({ table: `hafen_test_pg_${process.pid}` });
});

after(async () => {
  await s?.stop();
});

/** The rows of a cluster's copy, read by a PostgreSQL started on it alone (its own socket, no TCP). */
function rowsOfCopy(data: string): string[] {
  const bin = findPgBin()!;
  const scratch = mkdtempSync(join(tmpdir(), 'hafen-pg-aside-'));
  try {
    cpSync(data, join(scratch, 'data'), { recursive: true });
    run('chown', ['-R', 'postgres:postgres', scratch]);
    run('chmod', ['0700', join(scratch, 'data')]);
    run('chmod', ['0711', scratch]);
    // Its own configuration says where the old writer listened: no TCP, a socket here, no standby wanted.
    writeFileSync(join(scratch, 'data', 'hafen.conf'), `listen_addresses = ''\nunix_socket_directories = '${scratch}'\nport = 5999\n`);
    run('chown', ['postgres:postgres', join(scratch, 'data', 'hafen.conf')]);
    const as = (cmd: string, args: string[]) => run('runuser', ['-u', 'postgres', '--', join(bin, cmd), ...args], { cwd: scratch });
    const started = as('pg_ctl', ['-D', join(scratch, 'data'), '-l', join(scratch, 'log'), '-w', 'start']);
    assert.equal(started.status, 0, started.stdout + started.stderr);
    try {
      const q = as('psql', ['-X', '-A', '-t', '-h', scratch, '-p', '5999', '-U', 'hafen', '-d', 'ledger', '-c', 'SELECT body FROM notes ORDER BY id']);
      assert.equal(q.status, 0, q.stderr);
      return q.stdout.split('\n').filter(Boolean);
    } finally {
      as('pg_ctl', ['-D', join(scratch, 'data'), '-m', 'fast', '-w', 'stop']);
    }
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}

test('PostgreSQL: a streaming hot standby; the writer cut off mid-write is replaced within the RTO with no acknowledged write lost, fenced, kept aside and rewound when it returns; a switchover back loses nothing', { timeout: 300_000 }, async (t) => {
  if (!need(t, !missing, missing ?? '')) return;
  const f = s!;
  const ready = await until('the standby streams from the writer', async () => {
    const v = await f.view();
    return v.active && v.standbys[0]?.copiedAt ? v : undefined;
  }, 90_000, 200).catch((err: Error) => assert.fail(`${err.message}${logTail()}`));
  const writerHost = ready.active!.host;
  const standbyHost = ready.standbys[0]!.host;
  const writerUnit = ready.active!.unit;
  const standbyUnit = ready.standbys[0]!.unit;
  assert.equal(ready.term, 1);
  const app = (await f.admin.status()).apps.find((a) => a.app === PG_APP)!;
  assert.equal(app.standby?.writerAddress, `${f.address[writerHost]}:${PG_PORT}`, 'status says where clients reach the writer');
  assert.deepEqual([ready.active!.address, ready.active!.port], [f.address[writerHost], PG_PORT]);
  const units = app.units;
  assert.deepEqual(units.map((u) => [u.unit, u.state, u.role]).sort(), [
    [standbyUnit, 'standby', 'standby'],
    [writerUnit, 'running', 'active'],
  ].sort());

  // The writer waits for its standby (critical: synchronous); the standby answers reads, refuses writes.
  await until('the writer waits for its standby', async () => {
    const r = await f.query(writerHost, 'SELECT application_name, sync_state FROM pg_stat_replication', [], { user: 'hafen' });
    return r.rows[0]?.sync_state === 'quorum' && r.rows[0]?.application_name === standbyUnit ? true : undefined;
  }, 30_000, 200);
  await f.query(writerHost, 'CREATE TABLE notes (id serial PRIMARY KEY, body text NOT NULL)');
  const acknowledged: string[] = [];
  for (let i = 1; i <= 10; i++) {
    await f.query(writerHost, 'INSERT INTO notes (body) VALUES ($1)', [`before-${i}`]);
    acknowledged.push(`before-${i}`);
  }
  await assert.rejects(f.query(standbyHost, "INSERT INTO notes (body) VALUES ('x')"), /read-only/);

  // The partition, while a client at the writer's site writes: nothing it sends is acknowledged (the standby cannot confirm).
  await f.cut(writerHost);
  const cutAt = Date.now();
  let writing = true;
  let partitionAcks = 0;
  const local = (async () => {
    for (let i = 1; writing; i++) {
      await f
        .query(writerHost, 'INSERT INTO notes (body) VALUES ($1)', [`partition-${i}`], { from: writerHost, timeoutMs: 1000 })
        .then(() => partitionAcks++)
        .catch(() => {});
      await sleep(200);
    }
  })();
  const lost = await until("the writer's site declared lost", async () => (await f.admin.checks()).sites.find((x) => x.site === PG_SITE[writerHost] && x.state === 'lost'), 40_000, 100);
  const lostAt = Date.now();
  await until('a write accepted at the new writer', async () => {
    await f.query(standbyHost, 'INSERT INTO notes (body) VALUES ($1)', ['after-1'], { timeoutMs: 2000 });
    return true;
  }, 30_000, 100).catch((err: Error) => assert.fail(`${err.message}${logTail()}`));
  const rto = (Date.now() - lostAt) / 1000;
  assert.ok(rto <= 15, `RTO ${rto} s after the site-loss declaration (seen by ${lost.seenBy.join(', ')})`);
  t.diagnostic(`site cut → declared lost ${((lostAt - cutAt) / 1000).toFixed(1)} s; declared lost → a write accepted at the new writer ${rto.toFixed(1)} s`);
  const promoted = await f.view();
  assert.equal(promoted.term, 2);
  assert.equal(promoted.active?.unit, standbyUnit);
  const afterWrites = ['after-1'];
  for (let i = 2; i <= 10; i++) {
    await f.query(standbyHost, 'INSERT INTO notes (body) VALUES ($1)', [`after-${i}`]);
    afterWrites.push(`after-${i}`);
  }
  writing = false;
  await local;
  assert.equal(partitionAcks, 0, 'a synchronous writer acknowledges nothing its standby cannot confirm');
  const onNew = (await f.query(standbyHost, 'SELECT body FROM notes ORDER BY id')).rows.map((r) => r.body);
  assert.deepEqual(onNew, [...acknowledged, ...afterWrites], 'RPO 0: every acknowledged write, none of the partition');

  // The site heals; its agent returns with an older term: stop, keep aside, rewind, stream.
  await f.heal(writerHost);
  const fenced = await until("the old writer's data kept aside and alerted", async () => (await f.admin.alerts()).alerts.find((x) => x.key === `standby-fenced:${writerHost}:${writerUnit}:t1`), 60_000, 200).catch((err: Error) => assert.fail(`${err.message}${logTail()}`));
  await until('the old writer streams from the new one', async () => {
    const v = await f.view();
    const old = v.standbys.find((x) => x.unit === writerUnit);
    return v.term === 2 && old?.copiedAt ? true : undefined;
  }, 60_000, 200).catch((err: Error) => assert.fail(`${err.message}${logTail()}`));
  const recovery = async (host: string) => (await f.query(host, 'SELECT pg_is_in_recovery() AS r', [], { user: 'hafen' })).rows[0]?.r as boolean;
  // A rebuilt standby streams before it has replayed far enough to take connections ("starting up"): asked until it answers.
  const answers = (host: string) => until(`${host} answering queries`, () => recovery(host), 30_000, 200);
  assert.deepEqual([await answers(standbyHost), await answers(writerHost)], [false, true], 'exactly one writer');
  const onOld = await until('the old writer holds the new history', async () => {
    const rows = (await f.query(writerHost, 'SELECT body FROM notes ORDER BY id')).rows.map((r) => r.body as string);
    return rows.length === onNew.length ? rows : undefined;
  }, 30_000, 200);
  assert.deepEqual(onOld, onNew, "rewound: the partition's commits are not in it");
  await until('the new writer waits for the old one again', async () => {
    const r = await f.query(standbyHost, 'SELECT application_name, sync_state FROM pg_stat_replication', [], { user: 'hafen' });
    return r.rows[0]?.sync_state === 'quorum' && r.rows[0]?.application_name === writerUnit ? true : undefined;
  }, 45_000, 200);
  // What the old writer had when it was fenced is kept aside: every acknowledged write, and what it committed locally during the partition.
  const path = /kept aside at [^:]+:(\S+), not merged/.exec(fenced.summary)![1]!;
  const aside = rowsOfCopy(join(path, 'data'));
  assert.deepEqual(aside.slice(0, acknowledged.length), acknowledged);
  assert.ok(aside.slice(acknowledged.length).every((r) => r.startsWith('partition-')), aside.join(','));
  t.diagnostic(`kept aside: ${aside.length - acknowledged.length} commits the old writer made locally during the partition, never acknowledged`);

  // A planned switchover back: the writer stops cleanly, its standby receives all of it and is promoted; nothing lost, nothing kept aside.
  await f.query(standbyHost, 'INSERT INTO notes (body) VALUES ($1)', ['before-switch']);
  const started = Date.now();
  const cli = await hafenAsync(['failover', PG_APP, '--to', PG_SITE[writerHost]!, '--controller', f.controller.url, '--token-file', f.controller.adminTokenFile!, '--timeout', '120']);
  assert.equal(cli.status, 0, `${cli.stdout}${cli.stderr}${logTail()}`);
  assert.match(cli.stdout, new RegExp(`${writerUnit} at ${PG_SITE[writerHost]} writes in term 3`));
  await until('the old site writes again', async () => {
    await f.query(writerHost, 'INSERT INTO notes (body) VALUES ($1)', ['after-switch'], { timeoutMs: 2000 });
    return true;
  }, 30_000, 100);
  t.diagnostic(`switchover: ${((Date.now() - started) / 1000).toFixed(1)} s from the command to a write accepted`);
  const switched = (await f.query(writerHost, 'SELECT body FROM notes ORDER BY id')).rows.map((r) => r.body);
  assert.deepEqual(switched, [...onNew, 'before-switch', 'after-switch'], 'a switchover loses nothing');
  await until('the other writer streams from it', async () => ((await f.view()).standbys.find((x) => x.unit === standbyUnit)?.copiedAt ? true : undefined), 60_000, 200).catch((err: Error) => assert.fail(`${err.message}${logTail()}`));
  assert.deepEqual([await answers(writerHost), await answers(standbyHost)], [false, true], 'exactly one writer');
  assert.ok(!(await f.admin.alerts()).alerts.some((x) => x.key.startsWith(`standby-fenced:${standbyHost}`)), 'a planned handover keeps nothing aside');
});
