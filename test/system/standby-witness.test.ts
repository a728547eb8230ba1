/**
 * The quorum through a witness (test/helpers/standby-sites.ts with `witness: true`: the three
 * sites on loopback and a witness site at a third provider whose host only probes).
 *
 * Provider-b's loss takes hel (the standby app's writer) and nue (in provider-b's facility) at
 * once. Only vie is left of the app sites: alone it may never declare anything lost. With the
 * witness it and vie see both sites gone, so hel is declared lost and the standby at vie takes
 * the writes within the RTO — what `hafen risk` counts on when it says the app fails over.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { SITE, standbySitesMissing, startStandbySites, type StandbySites } from '../helpers/standby-sites.js';
import { need } from '../helpers/system.js';
import { until } from '../helpers/wait.js';

const missing = standbySitesMissing();
let s: StandbySites | undefined;
const logTail = () => `\nagents said:\n${s!.logs.slice(-20).join('\n')}`;

before(async () => {
  if (!missing) s = await startStandbySites({ table: `hafen_test_witness_${process.pid}`, replicateEvery: '5s', rpo: '15s', witness: true });
});

after(async () => {
  await s?.stop();
});

test('two sites cut at once (one provider\'s loss): the witness and the third site declare them lost, and the standby takes the writes within the RTO', { timeout: 240_000 }, async (t) => {
  if (!need(t, !missing, missing ?? '')) return;
  const f = s!;
  const ready = await f.ready();
  const writerHost = ready.active!.host;
  const standbyHost = ready.standbys[0]!.host;
  assert.deepEqual([SITE[writerHost], SITE[standbyHost]], ['hel', 'vie'], 'the writer at hel (provider-b), the standby at vie (provider-a)');
  // The witness reports: its probers are a site's like any other.
  await until('the witness probes', async () => (await f.admin.checks()).sites.find((x) => x.site === 'wit' && x.probers === 'reporting'), 30_000, 200);
  for (let i = 1; i <= 5; i++) assert.equal((await f.write(`before-${i}`)).status, 201);
  const wrote = Date.now();
  await until('a copy made after those writes', async () => {
    const c = (await f.view()).standbys[0]!.copiedAt;
    return c && Date.parse(c) > wrote ? true : undefined;
  }, 20_000, 200);

  // Provider-b goes: hel and nue at once, agents and probers with them.
  await Promise.all([f.cut(writerHost), f.cut('nue-app-01')]);
  const cutAt = Date.now();
  const lost = await until("the writer's site declared lost", async () => (await f.admin.checks()).sites.find((x) => x.site === 'hel' && x.state === 'lost'), 30_000, 100).catch((err: Error) => assert.fail(`${err.message}${logTail()}`));
  const lostAt = Date.now();
  assert.deepEqual(lost.seenBy, ['vie', 'wit'], 'seen by the one app site left and the witness');
  await until('a write accepted at the new writer', async () => {
    const r = await f.write('after-1').catch(() => undefined);
    return r?.status === 201 && r.headers['x-written-by'] === f.address[standbyHost] ? r : undefined;
  }, 30_000, 100).catch((err: Error) => assert.fail(`${err.message}${logTail()}`));
  const rto = (Date.now() - lostAt) / 1000;
  assert.ok(rto <= 15, `RTO ${rto} s after the site-loss declaration`);
  t.diagnostic(`hel and nue cut → hel declared lost by vie and the witness ${((lostAt - cutAt) / 1000).toFixed(1)} s; declared lost → a write accepted at vie ${rto.toFixed(1)} s`);
  const promoted = await f.view();
  assert.equal(promoted.term, 2);
  assert.equal(promoted.active?.host, standbyHost);
  const notes = await f.notes();
  for (let i = 1; i <= 5; i++) assert.ok(notes.lines.includes(`before-${i}`), `before-${i} was copied before the loss and is there`);
});
