/**
 * Controllers on a PostgreSQL store (`hafen controller --store postgres://…`): the first leads,
 * a second one follows and passes every request on to it (a fleet applied through the follower
 * is in the database); when the leader's connection holding the lead breaks, it is told to stop
 * and writes nothing more (its term is fenced), and the follower takes over; a restarted
 * controller follows and carries on from the database, its admin token still good. A leader cut
 * off from the database gives up before the database frees its lead; a follower cut off from it
 * is told to stop after a while (restarted, it looks for the primary again).
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test, type TestContext } from 'node:test';
import pg from 'pg';
import { HafenClient } from '../../src/client/client.js';
import { startController, type Controller, type ControllerOptions } from '../../src/controller/main.js';
import { PostgresStore } from '../../src/controller/store/postgres.js';
import { isHafenError } from '../../src/lib/errors.js';
import { EXAMPLES } from '../helpers/paths.js';
import { freshDatabase, postgresMissing } from '../helpers/postgres.js';
import { need } from '../helpers/system.js';
import { tcpRelay, type TcpRelay } from '../helpers/tcp-relay.js';
import { until } from '../helpers/wait.js';

const KEY = 'a'.repeat(64);

interface Setup {
  db: { url: string };
  /** The database's URL through a relay that `relay.blackhole()` makes silent. */
  relayed: string;
  relay: TcpRelay;
  dirs: string[];
  /** A controller with data directory `dirs[i]` on the database (closed at the end). */
  start(i: number, o?: Partial<ControllerOptions>): Promise<Controller>;
}

/** A fresh database, two data directories and a relay to the database; everything ended afterwards. */
async function withDatabase(t: TestContext, fn: (s: Setup) => Promise<void>): Promise<void> {
  const missing = await postgresMissing();
  if (!need(t, missing === undefined, missing ?? '')) return;
  const db = await freshDatabase();
  const dirs = [mkdtempSync(join(tmpdir(), 'hafen-ctl-pg-')), mkdtempSync(join(tmpdir(), 'hafen-ctl-pg2-'))];
  const target = new URL(db.url);
  const relay = await tcpRelay({ host: target.hostname, port: Number(target.port) });
  const relayed = new URL(db.url);
  relayed.port = String(relay.port);
  const started: Controller[] = [];
  try {
    await fn({
      db,
      relayed: relayed.toString(),
      relay,
      dirs,
      start: async (i, o = {}) => {
        const c = await startController({ data: dirs[i]!, listen: '127.0.0.1:0', store: db.url, secretKey: KEY, ...o });
        started.push(c);
        return c;
      },
    });
  } finally {
    await relay.close();
    // A controller a test closed already refuses a second close.
    for (const c of started) await c.close().catch(() => undefined);
    await db.drop();
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  }
}

const health = async (url: string) => (await fetch(`${url}/healthz`).then((r) => r.json())) as { role: string; leader?: string | null; term?: number; revision: number | null };

test('controllers on PostgreSQL: one leads, the other passes requests on; a leader that loses its hold stops and is fenced, the other takes over; a restart follows', (t) =>
  withDatabase(t, async ({ db, dirs, start }) => {
    const fatal: Error[] = [];
    let a = await start(0, { onFatal: (err) => void fatal.push(err) });
    assert.match(a.storeName, /^postgres:\/\/hafen_test:\*\*\*@127\.0\.0\.1:5432\/hafen_t_/, 'the password is never shown');
    assert.equal(a.leading, true, 'alone on the store, it leads');
    const token = readFileSync(a.adminTokenFile!, 'utf8').trim();
    const b = await start(1);
    assert.equal(b.leading, false);
    assert.equal(b.adminTokenFile, undefined, 'a follower makes no admin token');
    assert.deepEqual(await health(b.url), { ok: true, role: 'follower', leader: a.url, revision: null });
    assert.equal((await health(a.url)).role, 'leader');

    // Through the follower: passed on to the leader.
    const viaB = new HafenClient(b.url, token);
    await viaB.apply([{ name: 'minimal.yaml', text: readFileSync(join(EXAMPLES, 'minimal.yaml'), 'utf8') }], null);
    assert.deepEqual((await viaB.revisions()).revisions.map((r) => r.number), [1]);
    assert.equal((await health(b.url)).revision, 1);
    await assert.rejects(new HafenClient(b.url, 'hfa_wrong').revisions(), (err: unknown) => isHafenError(err) && err.code === 'HAFEN_AUTH_INVALID', "the leader's answer, passed back");

    // The connection holding the lead breaks (here: ended by the database).
    const admin = new pg.Client({ connectionString: db.url });
    await admin.connect();
    const started = performance.now();
    try {
      const { rows } = await admin.query<{ pid: number }>("SELECT pid FROM pg_locks WHERE locktype = 'advisory' AND granted AND database = (SELECT oid FROM pg_database WHERE datname = current_database())");
      assert.equal(rows.length, 1, 'one connection holds the lead');
      await admin.query('SELECT pg_terminate_backend($1)', [rows[0]!.pid]);
    } finally {
      await admin.end();
    }
    await until('the leader told to stop', async () => (fatal.length > 0 ? true : undefined), 5000);
    assert.equal((fatal[0] as Error & { code?: string }).code, 'HAFEN_STORE_LOCK_LOST');
    assert.doesNotMatch(fatal[0]!.message, /:hafen_test@/);
    assert.equal(a.leading, false, 'it stops leading at once');
    await until('the follower leads', async () => ((await health(b.url)).role === 'leader' ? true : undefined), 10_000, 100);
    t.diagnostic(`take-over after the lead's connection broke: ${((performance.now() - started) / 1000).toFixed(1)} s`);
    assert.equal((await health(b.url)).term, 2);
    assert.deepEqual((await viaB.revisions()).revisions.map((r) => r.number), [1], 'the new leader carries on from the database');
    // The old leader, until restarted, passes requests on to the new one.
    await until('the old leader passing requests on', async () => ((await health(a.url)).leader === b.url ? true : undefined), 5000, 100);
    assert.deepEqual((await new HafenClient(a.url, token).revisions()).revisions.map((r) => r.number), [1]);
    assert.ok((await viaB.status()).apps.length > 0);

    // A write fenced with the old term is refused.
    const stale = await PostgresStore.open(db.url, { max: 1 });
    try {
      stale.fence(1);
      await assert.rejects(stale.commitAlerting({ groups: [], outbox: [], reminded: [] }), (err: unknown) => isHafenError(err) && err.code === 'HAFEN_STORE_NOT_LEADER' && /term 1.*term 2/.test(err.message));
    } finally {
      await stale.close();
    }

    // The old leader restarts: it follows, and passes requests on to the new one.
    await a.close();
    a = await start(0);
    assert.equal(a.leading, false);
    assert.deepEqual((await new HafenClient(a.url, token).revisions()).revisions.map((r) => r.number), [1], 'the admin token still good, through the restarted follower');

    await assert.rejects(startController({ data: dirs[0]!, listen: '127.0.0.1:0', store: 'mysql://x@y/z', secretKey: KEY }), (err: unknown) => isHafenError(err) && err.code === 'HAFEN_CLI_BAD_OPTION');
    await assert.rejects(startController({ data: dirs[0]!, listen: '0.0.0.0:0', store: db.url, secretKey: KEY, allowPlainHttp: true }), (err: unknown) => isHafenError(err) && err.code === 'HAFEN_CLI_BAD_OPTION' && /--advertise/.test(err.message));
  }));

test('a leader cut off from PostgreSQL (packets dropped, nothing closed) stops leading before the database frees its lead, and the other takes over within 15 s', (t) =>
  withDatabase(t, async ({ relayed, relay, start }) => {
    const lostAt: number[] = [];
    const a = await start(0, { store: relayed, onFatal: () => void lostAt.push(performance.now()) });
    const b = await start(1);
    assert.deepEqual([a.leading, b.leading], [true, false]);
    relay.blackhole();
    const cut = performance.now();
    const ledAt = await until('the other controller leading', async () => ((await health(b.url)).role === 'leader' ? performance.now() : undefined), 20_000, 100);
    assert.equal(lostAt.length, 1, 'the cut-off leader was told it lost the lead');
    assert.equal(a.leading, false);
    const gaveUp = (lostAt[0]! - cut) / 1000;
    const tookOver = (ledAt - cut) / 1000;
    t.diagnostic(`cut off at 0 s: the old leader gave up at ${gaveUp.toFixed(1)} s, the other led at ${tookOver.toFixed(1)} s`);
    assert.ok(lostAt[0]! < ledAt, 'never two leaders at once');
    assert.ok(tookOver <= 15, `take-over in ${tookOver.toFixed(1)} s`);
  }));

test('a follower that cannot reach PostgreSQL for a while is told to stop (restarted, it looks for the primary again); the leader leads on', (t) =>
  withDatabase(t, async ({ relayed, relay, start }) => {
    const fatal: Error[] = [];
    const a = await start(0);
    const b = await start(1, { store: relayed, lease: { giveUpMs: 3000 }, onFatal: (err) => void fatal.push(err) });
    relay.blackhole();
    const cut = performance.now();
    await until('the follower told to stop', async () => (fatal.length > 0 ? true : undefined), 20_000, 100);
    t.diagnostic(`told to stop ${((performance.now() - cut) / 1000).toFixed(1)} s after its database went silent (giveUpMs 3 s, queries time out after 4 s)`);
    assert.equal((fatal[0] as Error & { code?: string }).code, 'HAFEN_STORE_UNREACHABLE');
    assert.match(fatal[0]!.message, /for 3 s .*a restart looks for the primary/);
    assert.doesNotMatch(fatal[0]!.message, /:hafen_test@/);
    assert.deepEqual([a.leading, b.leading], [true, false]);
    assert.equal((await health(a.url)).role, 'leader');
  }));
