/**
 * The agent's restic wrapper against Debian's restic: a repository created once, a backup
 * and a second one that adds only the change, a restore with identical checksums, forget by
 * policy; and every failure with its kind and a message that never holds the password: a
 * wrong password, no repository, an unreachable sftp host, a lock held by a running backup,
 * a full disk (a 2 MiB tmpfs).
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { Restic, ResticError, type ResticRepository } from '../../src/agent/backup/restic.js';
import { keepFlags } from '../../src/core/retention/policy.js';
import { need, run, works } from '../helpers/system.js';

const PASSWORD = 'correct horse battery staple';
const sha = (path: string) => createHash('sha256').update(readFileSync(path)).digest('hex');

async function rejectsWith(p: Promise<unknown>, kind: string): Promise<ResticError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  assert.ok(err instanceof ResticError, `a ResticError, got ${String(err)}`);
  assert.equal(err.kind, kind, err.message);
  assert.ok(!err.message.includes(PASSWORD), 'the password is never in a message');
  return err;
}

test('restic: backup, an incremental second backup, restore with identical checksums, forget by policy', async (t) => {
  if (!need(t, works('restic', ['version']), 'restic is not installed')) return;
  const dir = mkdtempSync(join(tmpdir(), 'hafen-restic-'));
  try {
    const repo: ResticRepository = { url: join(dir, 'repo'), password: PASSWORD };
    const restic = new Restic(repo, { cacheDir: join(dir, 'cache') });
    assert.equal(await restic.init(), 'created');
    assert.equal(await restic.init(), 'exists');
    const data = join(dir, 'data');
    mkdirSync(data);
    writeFileSync(join(data, 'big.bin'), randomBytes(4 * 1024 * 1024));
    writeFileSync(join(data, 'small.txt'), 'v1\n');
    const first = await restic.backup([data], { host: 'nue-app-01', tags: ['app:shop'] });
    assert.equal(first.filesNew, 2);
    assert.ok(first.dataAdded >= 4 * 1024 * 1024, `the first backup adds everything: ${first.dataAdded}`);
    writeFileSync(join(data, 'small.txt'), 'v2, changed\n');
    const second = await restic.backup([data], { host: 'nue-app-01', tags: ['app:shop'] });
    assert.equal(second.filesChanged, 1);
    assert.equal(second.filesUnmodified, 1);
    assert.ok(second.dataAdded < 64 * 1024, `the second backup adds only the change: ${second.dataAdded} bytes`);
    const snaps = await restic.snapshots('nue-app-01');
    assert.equal(snaps.length, 2);
    assert.deepEqual(snaps[0]!.tags, ['app:shop']);

    const scratch = join(dir, 'scratch');
    await restic.restore(snaps.at(-1)!.id, scratch);
    for (const f of ['big.bin', 'small.txt']) assert.equal(sha(join(scratch, data, f)), sha(join(data, f)), `${f} restored identically`);

    const forgot = await restic.forget(keepFlags({ last: 1 }), { prune: true });
    assert.equal(forgot.remove.length, 1);
    assert.equal((await restic.snapshots()).length, 1);
    await restic.check('1/1');
    const stats = await restic.stats();
    assert.ok(stats.totalSize >= 4 * 1024 * 1024);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('restic failures: wrong password, no repository, unreachable host, a held lock', async (t) => {
  if (!need(t, works('restic', ['version']), 'restic is not installed')) return;
  const dir = mkdtempSync(join(tmpdir(), 'hafen-restic-'));
  try {
    const repo: ResticRepository = { url: join(dir, 'repo'), password: PASSWORD };
    await new Restic(repo).init();
    const wrong = await rejectsWith(new Restic({ ...repo, password: 'not the password' }).snapshots(), 'wrong-password');
    assert.match(wrong.message, /does not open with this password/);
    await rejectsWith(new Restic({ url: join(dir, 'nothing-here'), password: PASSWORD }).snapshots(), 'no-repository');
    const unreachable = await rejectsWith(
      new Restic({ url: 'sftp:backup@127.0.0.1:/srv/restic/shop', password: PASSWORD, sftpCommand: 'ssh -p 1 -o BatchMode=yes backup@127.0.0.1 -s sftp' }).snapshots(),
      'unreachable',
    );
    assert.match(unreachable.message, /sftp:backup@127\.0\.0\.1:\/srv\/restic\/shop: the backup host cannot be reached/);

    // A backup reading stdin holds its lock until stdin ends: forget (exclusive) must wait for it.
    const holder = spawn('restic', ['backup', '--stdin', '--host', 'h'], { env: { ...process.env, RESTIC_REPOSITORY: repo.url, RESTIC_PASSWORD: PASSWORD } });
    try {
      for (let i = 0; i < 100 && (!existsSync(join(repo.url, 'locks')) || readdirSync(join(repo.url, 'locks')).length === 0); i++) await new Promise((r) => setTimeout(r, 50));
      await rejectsWith(new Restic(repo).forget(keepFlags({ last: 1 })), 'locked');
    } finally {
      holder.stdin.end('data');
      await new Promise((r) => holder.once('close', r));
    }
    await new Restic(repo).forget(keepFlags({ last: 1 }));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('restic on a full disk: a clear error, and the repository stays usable', async (t) => {
  if (!need(t, works('restic', ['version']), 'restic is not installed')) return;
  if (process.getuid?.() !== 0) return t.skip('mounting a small tmpfs needs root');
  const dir = mkdtempSync(join(tmpdir(), 'hafen-restic-full-'));
  const mnt = join(dir, 'disk');
  mkdirSync(mnt);
  const mount = run('mount', ['-t', 'tmpfs', '-o', 'size=3m', 'tmpfs', mnt]);
  if (mount.status !== 0) return t.skip(`cannot mount a tmpfs here: ${mount.stderr.trim()}`);
  try {
    const repo: ResticRepository = { url: join(mnt, 'repo'), password: PASSWORD };
    const restic = new Restic(repo, { cacheDir: join(dir, 'cache') });
    await restic.init();
    const data = join(dir, 'data');
    mkdirSync(data);
    writeFileSync(join(data, 'small.txt'), 'fits\n');
    await restic.backup([data], { host: 'h' });
    writeFileSync(join(data, 'big.bin'), randomBytes(8 * 1024 * 1024));
    const err = await rejectsWith(restic.backup([data], { host: 'h' }), 'disk-full');
    assert.match(err.message, /the disk holding the repository is full/);
    // The earlier snapshot is intact.
    rmSync(join(data, 'big.bin'));
    await restic.check();
    assert.equal((await restic.snapshots()).length, 1);
  } finally {
    run('umount', [mnt]);
    rmSync(dir, { recursive: true, force: true });
  }
});
