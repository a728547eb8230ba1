/**
 * Helpers for system tests: run real programs, and decide what happens when one is missing.
 * On a developer machine a missing component skips its test and says why; in CI
 * (HAFEN_REQUIRE_SYSTEM=1) it fails, so a skipped check is never reported as passing.
 */
import { spawnSync, type SpawnSyncOptions } from 'node:child_process';
import type { TestContext } from 'node:test';

export interface Exec {
  status: number;
  stdout: string;
  stderr: string;
}

export function run(cmd: string, args: string[], opts: SpawnSyncOptions = {}): Exec {
  const res = spawnSync(cmd, args, { encoding: 'utf8', timeout: 120_000, ...opts });
  if (res.error && (res.error as NodeJS.ErrnoException).code !== 'ENOENT') throw res.error;
  return { status: res.status ?? 127, stdout: String(res.stdout ?? ''), stderr: String(res.stderr ?? '') };
}

/** True when the program answers `args` with exit status 0. */
export function works(cmd: string, args: string[]): boolean {
  return run(cmd, args, { timeout: 30_000 }).status === 0;
}

/**
 * Returns true when `ok`; otherwise skips the test with the reason (or fails it, in CI).
 * Usage: `if (!need(t, works('restic', ['version']), 'restic is not installed')) return;`
 */
export function need(t: TestContext, ok: boolean, reason: string): boolean {
  if (ok) return true;
  const hint = `${reason} (run scripts/install-system-deps.sh and scripts/start-services.sh)`;
  if (process.env.HAFEN_REQUIRE_SYSTEM === '1') throw new Error(`required system component missing: ${hint}`);
  t.skip(hint);
  return false;
}

/** Debian's docker client: it matches the Debian engine (a newer client may sit in /usr/local/bin). */
export const DOCKER = '/usr/bin/docker';
