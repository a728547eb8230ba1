/**
 * One writer, across a partition (test/helpers/standby-sites.ts: three sites on loopback with a
 * real sshd per host, a critical notes app as a standby app with two replicas, copying every 5 s).
 *
 * - The standby waits stopped with a fresh copy of the writer's notes.
 * - The writer's site is cut off (nftables drops its address's packets to and from the other
 *   sites; its agent loses the controller) while it takes writes from its own site. The other
 *   sites declare it lost, the standby is promoted within the RTO, and takes writes through the
 *   proxy.
 * - The site heals and its agent returns: it stops the old writer before anything else, keeps
 *   what it wrote during the partition aside (reported, alerted), and copies from the new writer.
 *   Exactly one writer; every write accepted after the promotion is there; what was written
 *   before the last copy is there; the partition's writes are aside, not merged.
 * - `hafen failover APP --to SITE` switches back with no write lost.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { hafenAsync } from '../helpers/paths.js';
import { APP, DOMAIN, SITE, standbySitesMissing, startStandbySites, type StandbySites } from '../helpers/standby-sites.js';
import { need } from '../helpers/system.js';
import { sleep, until } from '../helpers/wait.js';

const missing = standbySitesMissing();
let s: StandbySites | undefined;
const logTail = () => `\nagents said:\n${s!.logs.slice(-20).join('\n')}`;

before(async () => {
  if (!missing) s = await startStandbySites({ table: `hafen_test_standby_${process.pid}`, replicateEvery: '5s', rpo: '15s' });
});

after(async () => {
  await s?.stop();
});

test('a standby waits stopped with a fresh copy; the writer cut off mid-write is replaced within the RTO, fenced when it returns, its partition writes kept aside; a switchover back loses nothing', { timeout: 300_000 }, async (t) => {
  if (!need(t, !missing, missing ?? '')) return;
  const f = s!;
  // The standby waits, its copy current.
  const ready = await f.ready();
  const writerHost = ready.active!.host;
  const standbyHost = ready.standbys[0]!.host;
  const writerUnit = ready.active!.unit;
  const standbyUnit = ready.standbys[0]!.unit;
  assert.equal(ready.term, 1);
  const units = (await f.admin.status()).apps.find((a) => a.app === APP)!.units;
  assert.deepEqual(units.map((u) => [u.unit, u.state, u.role]).sort(), [
    [standbyUnit, 'standby', 'standby'],
    [writerUnit, 'running', 'active'],
  ].sort());

  // Writes through the proxy go to the writer; a copy after them brings them to the standby.
  const before: string[] = [];
  for (let i = 1; i <= 10; i++) {
    const r = await f.write(`before-${i}`);
    assert.equal(r.status, 201, r.body);
    assert.equal(r.headers['x-written-by'], f.address[writerHost]);
    before.push(`before-${i}`);
  }
  const wrote = Date.now();
  await until('a copy made after those writes', async () => {
    const c = (await f.view()).standbys[0]!.copiedAt;
    return c && Date.parse(c) > wrote ? true : undefined;
  }, 20_000, 200);
  assert.deepEqual(f.notesFile(standbyHost, standbyUnit), before, 'the standby holds them');

  // The partition: the writer's host loses the controller and the other sites, and takes writes from its own site.
  await f.cut(writerHost);
  const cutAt = Date.now();
  const partitionWrites: string[] = [];
  let writing = true;
  const local = (async () => {
    for (let i = 1; writing; i++) {
      if ((await f.writeAt(writerHost, `partition-${i}`)) === 201) partitionWrites.push(`partition-${i}`);
      await sleep(100);
    }
  })();
  const lost = await until("the writer's site declared lost", async () => (await f.admin.checks()).sites.find((x) => x.site === SITE[writerHost] && x.state === 'lost'), 30_000, 100);
  const lostAt = Date.now();
  // RTO: from the declaration to a write accepted through the proxy at the new writer.
  await until('a write accepted at the new writer', async () => {
    const r = await f.write('after-1').catch(() => undefined);
    return r?.status === 201 && r.headers['x-written-by'] === f.address[standbyHost] ? r : undefined;
  }, 30_000, 100);
  const rto = (Date.now() - lostAt) / 1000;
  assert.ok(rto <= 15, `RTO ${rto} s after the site-loss declaration (seen by ${lost.seenBy.join(', ')})`);
  t.diagnostic(`site cut → declared lost ${((lostAt - cutAt) / 1000).toFixed(1)} s; declared lost → a write accepted at the new writer ${rto.toFixed(1)} s`);
  const promoted = await f.view();
  assert.equal(promoted.term, 2);
  assert.equal(promoted.active?.unit, standbyUnit);
  const events = (await f.admin.events({ kind: 'standby' })).events;
  assert.match(events.find((e) => e.state === 'failover')?.message ?? '', new RegExp(`${APP} failed over: ${standbyUnit} at ${SITE[standbyHost]} writes in term 2`));
  const after: string[] = ['after-1'];
  for (let i = 2; i <= 10; i++) {
    assert.equal((await f.write(`after-${i}`)).status, 201);
    after.push(`after-${i}`);
  }
  await sleep(500);
  writing = false;
  await local;
  assert.ok(partitionWrites.length > 0, 'the cut-off writer took writes from its own site');

  // The site heals; its agent returns with an older term.
  await f.heal(writerHost);
  await until('the old writer stopped: a standby of term 2', async () => {
    const u = (await f.admin.status()).apps.find((x) => x.app === APP)!.units.find((x) => x.unit === writerUnit);
    return u?.state === 'standby' ? true : undefined;
  }, 30_000, 200).catch((err: Error) => assert.fail(`${err.message}${logTail()}`));
  assert.equal(await f.writeAt(writerHost, 'late'), 0, 'the old writer takes no more writes');
  const fenced = await until("the partition's writes kept aside and alerted", async () => (await f.admin.alerts()).alerts.find((x) => x.key === `standby-fenced:${writerHost}:${writerUnit}:t1`), 30_000, 200);
  const path = /kept aside at [^:]+:(\S+), not merged/.exec(fenced.summary)![1]!;
  const aside = readFileSync(join(path, 'data', 'notes.log'), 'utf8').split('\n').filter(Boolean);
  assert.deepEqual(aside, [...before, ...partitionWrites], 'what the old writer had, partition writes included, kept aside as it was');
  // Exactly one writer, holding every write accepted after the promotion and every write copied before the cut.
  const table = (await f.asProxy().proxyRoutes(undefined, 0)).table.routes.find((r) => r.host === DOMAIN)!;
  assert.equal(table.term, 2);
  assert.deepEqual(table.replicas.filter((r) => r.weight > 0).map((r) => r.id), [standbyUnit]);
  const running = (await f.admin.status()).apps.find((x) => x.app === APP)!.units.filter((u) => u.state === 'running');
  assert.deepEqual(running.map((u) => u.unit), [standbyUnit]);
  const now = (await f.notes()).lines;
  assert.deepEqual(now, [...before, ...after], "every write before the last copy and after the promotion; none of the partition's merged in");
  await until('the old writer copies from the new one', async () => (f.notesFile(writerHost, writerUnit).join() === now.join() ? true : undefined), 30_000, 200);

  // A planned switchover back: the writer stops, a final copy, the old site writes; no write lost.
  assert.equal((await f.write('before-switch')).status, 201);
  const cli = await hafenAsync(['failover', APP, '--to', SITE[writerHost]!, '--controller', f.controller.url, '--token-file', f.controller.adminTokenFile!, '--timeout', '120']);
  assert.equal(cli.status, 0, `${cli.stdout}${cli.stderr}${logTail()}`);
  assert.match(cli.stdout, new RegExp(`${writerUnit} at ${SITE[writerHost]} writes in term 3`));
  assert.equal((await f.view()).active?.unit, writerUnit);
  const final = await until('the proxy routes to the old site again', async () => {
    const n = await f.notes().catch(() => undefined);
    return n && n.by === f.address[writerHost] ? n.lines : undefined;
  }, 20_000, 100);
  assert.deepEqual(final, [...before, ...after, 'before-switch'], 'a switchover loses nothing');
  assert.ok(!(await f.admin.alerts()).alerts.some((x) => x.key.startsWith(`standby-fenced:${standbyHost}`)), 'a planned handover keeps nothing aside');
});
