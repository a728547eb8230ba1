/** File helpers with crash safety: a reader never sees a half-written file. */
import { randomBytes } from 'node:crypto';
import { chmodSync, mkdirSync } from 'node:fs';
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';

/** Writes `data` to a temporary file beside `path`, flushes it, then renames it into place. */
export async function writeFileAtomic(path: string, data: string | Uint8Array, mode = 0o644): Promise<void> {
  const dir = dirname(path);
  await mkdir(dir, { recursive: true });
  const tmp = join(dir, `.${basename(path)}.${randomBytes(6).toString('hex')}.tmp`);
  try {
    await writeFile(tmp, data, { flush: true, mode });
    await rename(tmp, path);
  } catch (err) {
    await rm(tmp, { force: true });
    throw err;
  }
}

/** Writes `text` atomically unless the file holds it already; returns whether it changed. */
export async function writeFileIfChanged(path: string, text: string, mode = 0o644): Promise<boolean> {
  let current: string | undefined;
  try {
    current = await readFile(path, 'utf8');
  } catch {
    // Not there yet.
  }
  if (current === text) return false;
  await writeFileAtomic(path, text, mode);
  return true;
}

/** A directory with exactly `mode`, whoever's umask: made if missing, tightened if an older version left it open. */
export function dirWithMode(path: string, mode: number): void {
  mkdirSync(path, { recursive: true, mode });
  chmodSync(path, mode);
}
