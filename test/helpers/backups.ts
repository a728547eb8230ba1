/** Helpers for the backup system tests: an app's repository password as its agent got it, and a restore check. */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ResticError, type Restic } from '../../src/agent/backup/restic.js';

/** The repository password of `app`, from the desired state the agent of `stateDir` cached (0600). */
export function jobPassword(stateDir: string, app: string): string {
  const desired = JSON.parse(readFileSync(join(stateDir, 'desired.json'), 'utf8')) as { state: { backups: { app: string; password: string }[] } };
  return desired.state.backups.find((b) => b.app === app)!.password;
}

const sha = (text: string) => createHash('sha256').update(text).digest('hex');

/**
 * Runs `fn` again while restic finds the repository locked: the agents back up every 2 s and
 * their forget takes a repository alone for a moment; an operator would try again (restic 0.14
 * has no --retry-lock).
 */
export async function whileLocked<T>(fn: () => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn();
    } catch (err) {
      if (!(err instanceof ResticError && err.kind === 'locked') || attempt >= 20) throw err;
      await new Promise((r) => setTimeout(r, 500));
    }
  }
}

/** The keep policy "last 2" held (a third while a run is between backup and forget), and the newest snapshot restores `file` as it is live. */
export function assertLastTwoRestore(restic: Restic, file: string): Promise<void> {
  return whileLocked(() => lastTwoRestore(restic, file));
}

async function lastTwoRestore(restic: Restic, file: string): Promise<void> {
  const snaps = await restic.snapshots();
  assert.ok(snaps.length === 2 || snaps.length === 3, `the last 2 kept (a third while a run is between backup and forget): ${snaps.length}`);
  const scratch = mkdtempSync(join(tmpdir(), 'hafen-restore-'));
  try {
    await restic.restore(snaps.at(-1)!.id, scratch);
    assert.equal(sha(readFileSync(join(scratch, file), 'utf8')), sha(readFileSync(file, 'utf8')), 'restored data equals the live data');
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}
