/**
 * A compose project directory on the host: its files written as shipped (content by sha256,
 * permission bits kept) below the unit's state directory, files shipped before and no longer
 * part of it removed, its data directories made and never touched otherwise. The user's files
 * are written as they are; hafen's additions go into its own override file beside them.
 */
import { createHash } from 'node:crypto';
import { chmod, mkdir, readFile, rm, stat } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { normalPath, type ProjectFile } from '../../core/compose/project.js';
import type { ProjectDirectory } from '../../core/render/compose.js';
import { HafenError } from '../../lib/errors.js';
import { writeFileAtomic } from '../../lib/fs.js';

/** Files by sha256: from the agent's cache, or fetched from the controller. */
export type BlobSource = (digests: readonly string[]) => Promise<Map<string, Buffer>>;

const MANIFEST = 'manifest.json';

/**
 * Writes `dir`'s files into `files` and its record of them into `root`. Idempotent: a file whose
 * content is already there is not rewritten — neither one this agent wrote before nor one of a
 * project that lived in `files` before hafen took it over (its own working directory).
 */
export async function writeProjectDirectory(root: string, files: string, dir: ProjectDirectory, blobs: BlobSource): Promise<void> {
  // Paths stay below the project (the controller checked them; an agent writes nothing else).
  for (const p of [...dir.files.map((f) => f.path), ...dir.dataDirs, ...dir.composeFiles]) {
    if (normalPath(p) !== p || p === '') throw new HafenError('HAFEN_DRIVER_COMPOSE_FAILED', `"${p.slice(0, 200)}" is not a path inside the project directory`);
  }
  const before = await readManifest(root);
  const wanted = new Map(dir.files.map((f) => [f.path, f]));
  const stale: ProjectFile[] = [];
  for (const f of dir.files) if (before.get(f.path) !== `${f.digest} ${f.mode}` && !(await holds(join(files, f.path), f))) stale.push(f);
  const contents = await blobs([...new Set(stale.map((f) => f.digest))]);
  for (const f of stale) {
    const content = contents.get(f.digest);
    if (!content || createHash('sha256').update(content).digest('hex') !== f.digest) {
      throw new HafenError('HAFEN_DRIVER_COMPOSE_FAILED', `the content of ${f.path} (sha256 ${f.digest}) could not be fetched intact`, { retryable: true });
    }
    const path = join(files, f.path);
    await mkdir(dirname(path), { recursive: true });
    await writeFileAtomic(path, content, f.mode);
    await chmod(path, f.mode);
  }
  // Shipped before, gone now: removed (never a data directory's content: those were never shipped).
  for (const path of before.keys()) if (!wanted.has(path)) await rm(join(files, path), { force: true });
  for (const d of dir.dataDirs) await mkdir(join(files, d), { recursive: true });
  await writeFileAtomic(join(root, MANIFEST), JSON.stringify(Object.fromEntries(dir.files.map((f) => [f.path, `${f.digest} ${f.mode}`]))), 0o600);
}

/** Whether `path` already is the file as shipped (content and permission bits). */
async function holds(path: string, f: ProjectFile): Promise<boolean> {
  try {
    const st = await stat(path);
    if (!st.isFile() || st.size !== f.size || (st.mode & 0o7777) !== f.mode) return false;
    return createHash('sha256').update(await readFile(path)).digest('hex') === f.digest;
  } catch {
    return false;
  }
}

/** Removes every file shipped into `files` (and `root`'s record of them); data directories stay: they were never shipped. */
export async function removeShippedFiles(root: string, files: string): Promise<void> {
  for (const path of (await readManifest(root)).keys()) await rm(join(files, path), { force: true });
  await rm(join(root, MANIFEST), { force: true });
}

/** Forgets which files were shipped, leaving them where they are (a project in its own working directory). */
export async function forgetShippedFiles(root: string): Promise<void> {
  await rm(join(root, MANIFEST), { force: true });
}

async function readManifest(root: string): Promise<Map<string, string>> {
  try {
    return new Map(Object.entries(JSON.parse(await readFile(join(root, MANIFEST), 'utf8')) as Record<string, string>));
  } catch {
    return new Map();
  }
}
