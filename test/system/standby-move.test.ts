/**
 * A live move of a standby app is a switchover move (core/move/switchover.ts), never two
 * writers side by side (test/helpers/standby-sites.ts with `liveMoves`: the notes app copying
 * every 5 s, free to run on any of the three hosts, huber told of live moves).
 *
 * The writer's replica moves to the third site while a client writes through the proxy 20
 * times a second: the writes hand over to the standby, the replica starts at the target as a
 * standby and copies, a revision places it there, and the writes come back to it. Throughout,
 * at most one unit of the app runs as its writer; every write acknowledged is in the writer's
 * data at the end; writes are refused only in the two short switchover pauses.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { APP, HOSTS, SITE, standbySitesMissing, startStandbySites, type StandbySites } from '../helpers/standby-sites.js';
import { need } from '../helpers/system.js';
import { sleep, until } from '../helpers/wait.js';
import { SWITCHOVER_PAUSE_SECONDS } from '../../src/core/move/moves.js';

const missing = standbySitesMissing();
let s: StandbySites | undefined;
const logTail = () => `\nagents said:\n${s!.logs.slice(-20).join('\n')}`;

before(async () => {
  if (!missing) s = await startStandbySites({ table: `hafen_test_standby_move_${process.pid}`, replicateEvery: '5s', rpo: '15s', liveMoves: true });
});

after(async () => {
  await s?.stop();
});

test('the writer\'s replica moves live: handed over, started at the target as a standby, placed, handed back — one writer throughout, no acknowledged write lost', { timeout: 300_000 }, async (t) => {
  if (!need(t, !missing, missing ?? '')) return;
  const f = s!;
  const ready = await f.ready();
  const writerHost = ready.active!.host;
  const target = HOSTS.find((h) => h !== writerHost && h !== ready.standbys[0]!.host)!;

  // A client writing 20 times a second, and a watcher of the app's units: never two writers running.
  let running = true;
  const acked: string[] = [];
  const outcomes: { at: number; ok: boolean }[] = [];
  const writing = (async () => {
    for (let i = 1; running; i++) {
      const r = await f.write(`w-${i}`).catch(() => ({ status: 0 }));
      if (r.status === 201) acked.push(`w-${i}`);
      outcomes.push({ at: Date.now(), ok: r.status === 201 });
      await sleep(50);
    }
  })();
  let most = 0;
  const watching = (async () => {
    while (running) {
      const units = (await f.admin.status()).apps.find((a) => a.app === APP)?.units ?? [];
      most = Math.max(most, units.filter((u) => u.role === 'active' && u.state === 'running').length);
      await sleep(100);
    }
  })();
  await sleep(1000);

  const { migrations } = await f.admin.proposeMoves({ apps: [APP], to: SITE[target]!, from: SITE[writerHost]! });
  const mig = migrations[0]!;
  assert.equal(mig.move.strategy, 'switchover');
  assert.equal(mig.state, 'accepted', 'huber chose to be told of live moves');
  const done = await until('the move done', async () => {
    const r = (await f.admin.move(mig.id)).migration;
    assert.notEqual(r.state, 'rolled-back', JSON.stringify(r.run));
    return r.state === 'done' ? r : undefined;
  }, 180_000, 250).catch((err: Error) => assert.fail(`${err.message}${logTail()}`));
  await sleep(1000);
  running = false;
  await Promise.all([writing, watching]);

  assert.equal(most, 1, 'at most one unit of the app ran as its writer at any time');
  const v = await f.view();
  assert.equal(v.active?.host, target, 'the writes came back to the replica, now at the target');
  const placed = (await f.admin.status()).apps.find((a) => a.app === APP)!.units.map((u) => u.host).sort();
  assert.deepEqual(placed, [ready.standbys[0]!.host, target].sort(), 'the source replica is gone');
  const notes = await f.notes();
  assert.equal(notes.by, f.address[target]);
  const missingWrites = acked.filter((n) => !notes.lines.includes(n));
  assert.deepEqual(missingWrites, [], `${missingWrites.length} of ${acked.length} acknowledged writes lost`);
  // Refused only in the two pauses: at most two stretches of refused writes, each shorter than the planned pause.
  const pauses: { from: number; to: number; writes: number }[] = [];
  outcomes.forEach((o, i) => {
    if (o.ok) return;
    if (i > 0 && !outcomes[i - 1]!.ok) {
      pauses.at(-1)!.to = o.at;
      pauses.at(-1)!.writes++;
    } else pauses.push({ from: o.at, to: o.at, writes: 1 });
  });
  const seconds = pauses.map((p) => (p.to - p.from) / 1000);
  assert.ok(pauses.length <= 2, `refusals in ${pauses.length} stretches: ${JSON.stringify(seconds)}`);
  assert.ok(seconds.every((x) => x <= SWITCHOVER_PAUSE_SECONDS), `pauses of ${seconds.join(', ')} s`);
  const events = (await f.admin.move(mig.id)).events.map((e) => e.detail);
  assert.ok(events.some((d) => /switching over to r\d at /.test(d)), events.join('\n'));
  assert.ok(events.some((d) => /switching the writes back/.test(d)), events.join('\n'));
  t.diagnostic(`move ${((Date.parse(done.updatedAt) - Date.parse(done.run!.startedAt)) / 1000).toFixed(1)} s; ${acked.length} writes acknowledged, none lost; refused in ${pauses.length} pause(s) of ${seconds.map((x) => x.toFixed(1)).join(' and ')} s (${pauses.map((p) => p.writes).join(' and ')} writes)`);
});
