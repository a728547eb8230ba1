/**
 * Moving a store (`hafen store export|import`): the reference fleet (examples/frachtwerk)
 * applied through a controller on SQLite, plus a row in every other table; exported, imported
 * into PostgreSQL, exported from there, imported into a new SQLite store and exported again:
 * the three exports hold the same rows. An import into a store with data is refused and
 * changes nothing; so is a cut-short export. Runs the real `hafen store` command.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { readFleetFiles } from '../../src/cli/fleet-files.js';
import { HafenClient } from '../../src/client/client.js';
import { startController } from '../../src/controller/main.js';
import { SqliteStore } from '../../src/controller/store/sqlite.js';
import { STORE_TABLES } from '../../src/controller/store/store.js';
import { newRecord } from '../../src/core/move/consent.js';
import { BIN, EXAMPLES } from '../helpers/paths.js';
import { freshDatabase, postgresMissing } from '../helpers/postgres.js';
import { need } from '../helpers/system.js';

const at = '2026-11-27T10:00:00.000Z';
/** Join tokens valid an hour past `at`, the time they are redeemed at. */
const expiresAt = new Date(Date.parse(at) + 3_600_000).toISOString();

/** Adds a row to every table the fleet's apply left empty. */
async function fillTheRest(store: SqliteStore): Promise<void> {
  await store.createJoinToken({ hash: 'jt1', host: 'nue-app-01', expiresAt });
  await store.redeemJoinToken('jt1', at, 'cred-1');
  // Joined again: the first credential is kept as replaced (its agent is told).
  await store.createJoinToken({ hash: 'jt2', host: 'nue-app-01', expiresAt });
  await store.redeemJoinToken('jt2', at, 'cred-2');
  await store.putUser({ name: 'mara', role: 'operator', passwordHash: 'scrypt$x', createdAt: at, updatedAt: at });
  await store.putHostStatuses([{ host: 'nue-app-01', status: { units: [{ name: 'shop-r1', app: 'shop', state: 'running', hash: 'h1', restarts: 0 }] }, reportedAt: at }]);
  await store.putSecret({ name: 'db-password', keyId: 'k1', sealed: 'v1.sealed', updatedAt: at, updatedBy: 'ops' });
  await store.addTraffic([{ app: 'shop', site: 'nue', minute: '2026-11-27T09:59:00.000Z', requests: 1234, errors: 5 }], [{ site: 'nue', proxy: 'nue-edge-01', minute: '2026-11-27T09:59:00.000Z', peak: 780 }], '2026-11-27T10:00:30.000Z');
  await store.addEvents([{ at, kind: 'check', subject: 'replica:shop-r1', state: 'down', message: 'down from nue, vie', data: { downFrom: ['nue', 'vie'] } }, { at, kind: 'site', subject: 'hel', state: 'lost', message: 'hel lost' }]);
  await store.putSilence({ id: 'sil-1', matchers: { site: 'hel' }, startsAt: at, endsAt: '2026-11-27T12:00:00.000Z', comment: 'move', createdBy: 'ops', reminded: false });
  await store.commitAlerting({ groups: [{ key: 'site:hel', state: { status: 'firing' } }], outbox: [{ id: 'n1', receiver: 'ops', group: 'site:hel', kind: 'firing', severity: 'critical', title: 'site hel', body: { text: 'ü "quoted" \\ line\nnext' }, createdAt: at, nextAttemptAt: at }], reminded: [] });
  await store.addUptime([{ app: 'shop', customer: 'huber', day: '2026-11-27', upSeconds: 3599.5, downSeconds: 0.5, unknownSeconds: 0 }]);
  await store.restartUnit('shop-r1', at);
  await store.putStandbyRole({ app: 'ledger', term: 2, active: 2, since: at, reason: 'failover', previous: { replica: 1, planned: false } }, null);
  await store.addBackupRuns('nue-app-01', [{ app: 'shop', unit: 'shop-r1', repository: '/srv/restic/huber/shop', startedAt: at, finishedAt: at, ok: true, snapshotId: 'abcd1234' } as never]);
  await store.addBackupTask({ id: 'bt_1', app: 'shop', host: 'nue-app-01', kind: 'restore', snapshot: 'latest', requestedBy: 'ops', createdAt: at, state: 'pending' } as never);
  // A compose project's file, stored with a revision that ships it.
  await store.appendRevision({ parent: (await store.head())!.number, fleet: { sources: [], projects: { 'apps/web': [{ path: 'compose.yaml', size: 1, mode: 420, digest: 'a'.repeat(64) }] } }, placements: [], diff: {}, author: 'ops', createdAt: at, blobs: [{ digest: 'a'.repeat(64), content: Buffer.from('services: {}\n').toString('base64') }] });
  const head = (await store.head())!.number;
  await store.saveRollout({ id: 0, revision: head, site: 'vie', state: 'running', stages: [['vie-app-01']], stage: 0, stageStartedAt: null, gateTimeoutMs: 300_000, hosts: [{ host: 'vie-app-01', stage: 0, from: head, state: 'waiting' }], author: 'ops', createdAt: at, updatedAt: at } as never, [{ host: 'vie-app-01', revision: head, since: at }]);
  const move = { id: 'shop:nue>hel', app: 'shop', customer: 'huber', from: 'nue', to: 'hel', replicas: [], strategy: 'cutover' as const, bytes: 0, changePerDay: 0, downtimeSeconds: 60, switchSeconds: 120, consent: 'required' as const, warnings: [], targets: [], start: '2026-12-01T21:00:00.000Z', end: '2026-12-01T21:02:00.000Z', wave: '2026-12-01', after: { group: 'site:hel', share: 0.3 } };
  const m = newRecord('mig_a', move, 3, new Date(at));
  await store.saveMoves({ records: [{ record: m.record, tokenHash: 'hash-a' }], events: [m.event], outbox: [] });
}

function hafenStore(args: string[], env: NodeJS.ProcessEnv = {}, input?: string) {
  const r = spawnSync(process.execPath, [BIN, 'store', ...args], { encoding: 'utf8', env: { ...process.env, ...env }, ...(input !== undefined ? { input } : {}), timeout: 120_000, maxBuffer: 256 * 1024 * 1024 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** An export without its header line's time. */
const rowsOf = (text: string) => text.split('\n').slice(1).join('\n');

test('a store moves from SQLite to PostgreSQL and back with every row as it was; nothing is merged into a store with data', async (t) => {
  const missing = await postgresMissing();
  if (!need(t, missing === undefined, missing ?? '')) return;
  const dir = mkdtempSync(join(tmpdir(), 'hafen-transfer-'));
  const db = await freshDatabase();
  try {
    // The reference fleet, applied as a controller applies it.
    const c = await startController({ data: join(dir, 'a'), listen: '127.0.0.1:0', secretKey: 'c'.repeat(64) });
    try {
      const client = new HafenClient(c.url, readFileSync(c.adminTokenFile!, 'utf8').trim());
      await client.apply((await readFleetFiles(join(EXAMPLES, 'frachtwerk'))).sources, null);
    } finally {
      await c.close();
    }
    const sqlite = new SqliteStore(join(dir, 'a', 'hafen.db'));
    await fillTheRest(sqlite);
    const empty = (await sqlite.exportRows()).filter((x) => x.rows.length === 0).map((x) => x.table);
    await sqlite.close();
    assert.deepEqual(empty, [], 'every table has rows');

    const first = hafenStore(['export', '--data', join(dir, 'a'), '--output', join(dir, 'a.jsonl')]);
    assert.equal(first.status, 0, first.stderr);
    assert.match(first.stderr, new RegExp(`exported \\d+ rows in ${STORE_TABLES.length} tables`));
    const exported = readFileSync(join(dir, 'a.jsonl'), 'utf8');

    // Into PostgreSQL (the password from PGPASSWORD, not the command line), and out again.
    const url = new URL(db.url);
    const password = url.password;
    url.password = '';
    const pgEnv = { PGPASSWORD: password };
    const toPg = hafenStore(['import', '--store', url.toString(), '--input', join(dir, 'a.jsonl')], pgEnv);
    assert.equal(toPg.status, 0, toPg.stderr);
    assert.doesNotMatch(toPg.stderr, new RegExp(`:${password}@`), "the password is never shown");
    const fromPg = hafenStore(['export', '--store', url.toString()], pgEnv);
    assert.equal(fromPg.status, 0, fromPg.stderr);
    assert.equal(rowsOf(fromPg.stdout), rowsOf(exported), 'PostgreSQL holds every row as SQLite did');

    // And back into a new SQLite store (from standard input).
    const back = hafenStore(['import', '--data', join(dir, 'b')], {}, fromPg.stdout);
    assert.equal(back.status, 0, back.stderr);
    const again = hafenStore(['export', '--data', join(dir, 'b')]);
    assert.equal(rowsOf(again.stdout), rowsOf(exported), 'and back in SQLite, still the same');

    // Ids go on after the imported ones (how many events the controller recorded while it ran
    // depends on how long it ran: its monitor may have seen the fleet's checks by then).
    const b = new SqliteStore(join(dir, 'b', 'hafen.db'));
    const last = (await b.events({ limit: 1 }))[0]!.id;
    assert.ok(last >= 2, `the imported events end at id ${last}`);
    await b.addEvents([{ at, kind: 'check', subject: 'x', state: 'up', message: 'after' }]);
    assert.equal((await b.events({ limit: 1 }))[0]!.id, last + 1);
    await b.close();

    // A store with data is refused, and keeps what it had.
    const twice = hafenStore(['import', '--store', url.toString(), '--input', join(dir, 'a.jsonl')], pgEnv);
    assert.equal(twice.status, 1);
    assert.match(twice.stderr, /HAFEN_STORE_NOT_EMPTY/);
    assert.equal(rowsOf(hafenStore(['export', '--store', url.toString()], pgEnv).stdout), rowsOf(exported));
    // A cut-short export is refused before anything is written.
    const lines = exported.split('\n');
    writeFileSync(join(dir, 'cut.jsonl'), lines.slice(0, lines.length - 5).join('\n'));
    const cut = hafenStore(['import', '--data', join(dir, 'c'), '--input', join(dir, 'cut.jsonl')]);
    assert.equal(cut.status, 1);
    assert.match(cut.stderr, /cut short or altered: its header counts \d+ rows of \w+, it holds \d+ \[HAFEN_STORE_IMPORT\]/);
    assert.equal(existsSync(join(dir, 'c')), false, 'no store was created for it');
    // No store there: said so, nothing created.
    const none = hafenStore(['export', '--data', join(dir, 'nothing')]);
    assert.equal(none.status, 1);
    assert.match(none.stderr, /no store at .*nothing\/hafen\.db .*\[HAFEN_STORE_MISSING\]/);
    assert.equal(existsSync(join(dir, 'nothing')), false);
  } finally {
    await db.drop();
    rmSync(dir, { recursive: true, force: true });
  }
});
