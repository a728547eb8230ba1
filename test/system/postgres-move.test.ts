/**
 * A PostgreSQL app's writer moves live by switchovers (test/helpers/postgres-sites.ts with
 * `liveMoves`: Debian's PostgreSQL as real processes, a critical app committing synchronously).
 *
 * While a client inserts rows (trying each server in turn, as libpq's
 * target_session_attrs=read-write does), the writer's replica moves to the third site: the writes
 * hand over to the standby, the replica starts at the target as a streaming standby (a base
 * backup from the writer), a revision places it there, and the writes come back. Throughout, at
 * most one server accepts writes (pg_is_in_recovery() is false at one address at most); every
 * row acknowledged is on the writer at the end.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { PG_APP, PG_HOSTS, PG_SITE, postgresSitesMissing, startPostgresSites, type PostgresSites } from '../helpers/postgres-sites.js';
import { need } from '../helpers/system.js';
import { sleep, until } from '../helpers/wait.js';

const missing = postgresSitesMissing();
let s: PostgresSites | undefined;
const logTail = () => `\nagents said:\n${s!.logs.slice(-20).join('\n')}`;

before(async () => {
  if (!missing) s = await startPostgresSites({ table: `hafen_test_pg_move_${process.pid}`, liveMoves: true });
});

after(async () => {
  await s?.stop();
});

test('a PostgreSQL writer moves live: one server accepts writes at a time, and every acknowledged row is there afterwards', { timeout: 300_000 }, async (t) => {
  if (!need(t, !missing, missing ?? '')) return;
  const f = s!;
  const ready = await until('the standby streams', async () => {
    const v = await f.view();
    return v.active && v.standbys[0]?.copiedAt ? v : undefined;
  }, 90_000, 250).catch((err: Error) => assert.fail(`${err.message}${logTail()}`));
  const writerHost = ready.active!.host;
  const target = PG_HOSTS.find((h) => h !== writerHost && h !== ready.standbys[0]!.host)!;
  await until('the writer takes a table', async () => (await f.query(writerHost, 'CREATE TABLE IF NOT EXISTS moved (id int primary key)').then(() => true, () => undefined)), 30_000, 250);

  let running = true;
  const acked: number[] = [];
  const inserting = (async () => {
    for (let i = 1; running; i++) {
      for (const h of PG_HOSTS) {
        const ok = await f.query(h, 'INSERT INTO moved VALUES ($1)', [i], { timeoutMs: 3000 }).then(() => true, () => false);
        if (ok) {
          acked.push(i);
          break;
        }
      }
      await sleep(50);
    }
  })();
  let most = 0;
  const watching = (async () => {
    while (running) {
      const writers = await Promise.all(PG_HOSTS.map((h) => f.query(h, 'SELECT pg_is_in_recovery() AS r', [], { timeoutMs: 1000, user: 'hafen' }).then((r) => r.rows[0]?.r === false, () => false)));
      most = Math.max(most, writers.filter(Boolean).length);
      await sleep(100);
    }
  })();
  await sleep(1000);

  const { migrations } = await f.admin.proposeMoves({ apps: [PG_APP], to: PG_SITE[target]!, from: PG_SITE[writerHost]! });
  const mig = migrations[0]!;
  assert.equal(mig.move.strategy, 'switchover');
  const done = await until('the move done', async () => {
    const r = (await f.admin.move(mig.id)).migration;
    assert.notEqual(r.state, 'rolled-back', JSON.stringify(r.run));
    return r.state === 'done' ? r : undefined;
  }, 240_000, 250).catch((err: Error) => assert.fail(`${err.message}${logTail()}`));
  await sleep(1000);
  running = false;
  await Promise.all([inserting, watching]);

  assert.equal(most, 1, 'at most one server accepted writes at any time');
  const v = await f.view();
  assert.equal(v.active?.host, target, 'the writes came back to the replica, now at the target');
  const rows = new Set((await f.query(target, 'SELECT id FROM moved')).rows.map((r: { id: number }) => r.id));
  const lost = acked.filter((i) => !rows.has(i));
  assert.deepEqual(lost, [], `${lost.length} of ${acked.length} acknowledged rows lost`);
  const events = (await f.admin.move(mig.id)).events.map((e) => e.detail);
  assert.ok(events.some((d) => /switching the writes back/.test(d)), events.join('\n'));
  t.diagnostic(`move ${((Date.parse(done.updatedAt) - Date.parse(done.run!.startedAt)) / 1000).toFixed(1)} s; ${acked.length} rows acknowledged, none lost`);
});
