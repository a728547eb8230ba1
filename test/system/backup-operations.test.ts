/**
 * The agent's backup operations with real restic on a local repository: a backup, a restore
 * of a snapshot by its short id (identical files), restore drills whose verification passes
 * or fails (and whose scratch copy is removed either way), a check of one part of the data.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { backupOnce, checkOnce, drillOnce, restoreInto, type OperationContext } from '../../src/agent/backup/operations.js';
import { ResticError } from '../../src/agent/backup/restic.js';
import type { BackupJob } from '../../src/core/render/backups.js';
import { ProcessDriver } from '../../src/agent/drivers/process.js';
import { freePort } from '../helpers/demo.js';
import { need, works } from '../helpers/system.js';
import { until } from '../helpers/wait.js';

/** The shop's backup job with a local repository at `url`. */
function shopJob(url: string, extra: Partial<BackupJob>): BackupJob {
  return {
    app: 'shop',
    customer: 'huber',
    unit: 'shop-r1',
    schedule: '15 2 * * *',
    keep: { last: 5 },
    volumes: [],
    paths: [],
    pruneEveryMs: 7 * 86_400_000,
    check: { schedule: '0 5 * * 0', parts: 2 },
    drill: { schedule: '0 4 1 * *' },
    repository: { site: 'vie', url },
    passwordSecret: 'backup-shop',
    passwordVersion: 1,
    password: 'correct horse battery staple',
    ...extra,
  };
}

test('backup, restore by short id, drills that pass and fail, a partial check', async (t) => {
  if (!need(t, works('restic', ['version']), 'restic is not installed')) return;
  const dir = mkdtempSync(join(tmpdir(), 'hafen-backup-ops-'));
  try {
    const data = join(dir, 'data');
    mkdirSync(data);
    writeFileSync(join(data, 'a.txt'), 'alpha\n');
    writeFileSync(join(data, 'b.bin'), Buffer.alloc(100_000, 7));
    const job = shopJob(join(dir, 'repo'), { drill: { schedule: '0 4 1 * *', verify: ['sh', '-c', 'test -f a.txt && echo fine'] } });
    const ctx: OperationContext = { host: 'nue-app-01', dataPaths: async () => [data], now: () => new Date() };

    const { summary } = await backupOnce(job, ctx, true);
    assert.equal(summary.filesNew, 2);

    const target = join(dir, 'restore');
    const restored = await restoreInto(job, ctx, summary.snapshotId.slice(0, 8), target);
    // restic 0.14's backup summary gives the short id.
    assert.ok(restored.snapshotId!.startsWith(summary.snapshotId), `${restored.snapshotId} is ${summary.snapshotId}`);
    assert.equal(restored.files, 2);
    assert.equal(readFileSync(join(target, data, 'a.txt'), 'utf8'), 'alpha\n');
    assert.deepEqual(readFileSync(join(target, data, 'b.bin')), readFileSync(join(data, 'b.bin')));

    const drill = await drillOnce(job, ctx, join(dir, 'drill-1'));
    assert.equal(drill.verifyOutput, 'fine');
    assert.equal(drill.snapshotId, restored.snapshotId);
    assert.ok(drill.seconds! > 0 && drill.dataAgeSeconds! >= 0, JSON.stringify(drill));
    assert.equal(existsSync(join(dir, 'drill-1')), false, 'the drill removed its copy');

    const broken = { ...job, drill: { ...job.drill, verify: ['sh', '-c', 'echo "database disk image is malformed" >&2; exit 3'] } };
    await assert.rejects(drillOnce(broken, ctx, join(dir, 'drill-2')), (err: unknown) => {
      assert.ok(err instanceof ResticError);
      assert.equal(err.kind, 'failed');
      assert.match(err.message, /^the drill's verification "sh -c .*" exited 3: database disk image is malformed$/);
      return true;
    });
    assert.equal(existsSync(join(dir, 'drill-2')), false, 'a failed drill removes its copy too');

    await assert.rejects(restoreInto(job, ctx, 'deadbeef', join(dir, 'restore-2')), /the repository of shop has no snapshot deadbeef/);
    assert.deepEqual(await checkOnce(job, ctx, 2, 2).then((r) => r.subset), '2/2');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('hooks around a snapshot: a dump made before it, removed after; the app stopped during it and always started again', async (t) => {
  if (!need(t, works('restic', ['version']), 'restic is not installed')) return;
  const dir = mkdtempSync(join(tmpdir(), 'hafen-backup-hooks-'));
  const driver = ProcessDriver.open({ stateDir: join(dir, 'agent'), backoffMs: 100, stopGraceMs: 2000 });
  try {
    const port = await freePort();
    const server = "require('http').createServer((q,s)=>s.end('up')).listen(+process.env.PORT,'127.0.0.1')";
    const unit = { name: 'shop-r1', app: 'shop', customer: 'huber', replica: 1, kind: 'process' as const, process: { command: [process.execPath, '-e', server], env: { PORT: String(port) } }, hash: 'h1' };
    await driver.apply([unit]);
    const serving = () => fetch(`http://127.0.0.1:${port}/`).then((r) => r.text()).catch(() => undefined);
    await until('the app serving', serving, 10_000, 100);
    const data = (await driver.dataPaths(unit))[0]!;
    writeFileSync(join(data, 'orders.db'), 'orders\n');
    let heldDuringSnapshot: boolean | undefined;
    const ctx: OperationContext = {
      host: 'nue-app-01',
      dataPaths: async () => [data],
      now: () => new Date(),
      exec: (_job, argv) => driver.exec(unit, argv, { timeoutMs: 30_000 }),
      hold: async () => {
        const resume = await driver.hold(unit);
        heldDuringSnapshot = (await serving()) === undefined;
        return resume;
      },
    };
    const job = shopJob(join(dir, 'repo'), { hooks: { before: ['sh', '-c', 'cp orders.db dump.sql'], after: ['rm', 'dump.sql'], stop: true } });
    const { summary } = await backupOnce(job, ctx, false);
    assert.equal(summary.filesNew, 2, 'orders.db and the dump');
    assert.equal(heldDuringSnapshot, true, 'the app was stopped during the snapshot');
    assert.equal(await until('the app serving again', serving, 10_000, 100), 'up');
    assert.equal(existsSync(join(data, 'dump.sql')), false, 'the after hook removed the dump');
    const restored = await restoreInto(job, ctx, 'latest', join(dir, 'restore'));
    assert.equal(readFileSync(join(dir, 'restore', data, 'dump.sql'), 'utf8'), 'orders\n', `the dump is in snapshot ${restored.snapshotId}`);

    // A failing before hook: no snapshot, the app never stopped.
    heldDuringSnapshot = undefined;
    const failing = { ...job, hooks: { ...job.hooks, before: ['sh', '-c', 'echo "pg_dump: connection refused" >&2; exit 2'] } };
    await assert.rejects(backupOnce(failing, ctx, false), (err: unknown) => err instanceof ResticError && err.kind === 'hook-failed' && /the before hook of shop "sh -c .*" exited 2: pg_dump: connection refused/.test(err.message));
    assert.equal(heldDuringSnapshot, undefined, 'not stopped when the before hook failed');
    // A wrong password fails before anything is stopped; a snapshot that fails while the app is
    // stopped (its data path is gone) starts it again.
    await assert.rejects(backupOnce({ ...job, password: 'wrong' }, ctx, false), (err: unknown) => err instanceof ResticError && err.kind === 'wrong-password');
    heldDuringSnapshot = undefined;
    await assert.rejects(backupOnce({ ...job, repository: { site: 'vie', url: join(dir, 'repo-2') }, hooks: { stop: true } }, { ...ctx, dataPaths: async () => [join(dir, 'missing')] }, false), (err: unknown) => err instanceof ResticError);
    assert.equal(heldDuringSnapshot, true, 'stopped for the snapshot that failed');
    assert.equal(await until('the app serving after the failures', serving, 10_000, 100), 'up');
    assert.deepEqual((await driver.status()).map((s) => [s.name, s.state]), [['shop-r1', 'running']]);
  } finally {
    await driver.stopAll();
    rmSync(dir, { recursive: true, force: true });
  }
});
