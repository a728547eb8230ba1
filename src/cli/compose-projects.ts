/**
 * Reading the compose project directories a fleet names (`workload.compose.project` or
 * `file`): every file but version control and the directories declared as data, within
 * PROJECT_LIMITS, each with its sha256; the project's digest over them. What cannot be read
 * becomes the tree's `problem`, which validation reports at the app that names the project.
 */
import { createHash } from 'node:crypto';
import { readFile, readdir, realpath, stat } from 'node:fs/promises';
import { join, sep } from 'node:path';
import { normalPath, NEVER_SHIPPED, PROJECT_LIMITS, treeListing, type ProjectFile, type ProjectTree } from '../core/compose/project.js';
import { projectRefs, type ProjectRef } from '../core/compose/refs.js';
import type { FleetSource, ParsedFile } from '../core/fleet/source.js';
import type { ProjectsPayload } from '../client/client.js';

/** A project as read: its tree, and the files' contents to send with a plan or apply. */
export interface ReadProject extends ProjectTree {
  contents: ReadonlyMap<string, Buffer>;
}

const sha256 = (b: Buffer | string) => createHash('sha256').update(b).digest('hex');
const MiB = (n: number) => `${(n / 1048576).toFixed(1)} MiB`;

/** The project directories the fleet's sources name, read. */
export async function readComposeProjects(sources: readonly FleetSource[], cache?: Map<string, ParsedFile>): Promise<Map<string, ReadProject>> {
  const out = new Map<string, ReadProject>();
  for (const ref of projectRefs(sources, cache)) out.set(ref.key, await readProject(ref));
  return out;
}

function failed(problem: string): ReadProject {
  return { problem, digest: '', files: [], text: () => undefined, contents: new Map() };
}

export async function readProject(ref: ProjectRef): Promise<ReadProject> {
  const root = ref.key === '' ? '.' : ref.key;
  try {
    if (!(await stat(root)).isDirectory()) return failed('is not a directory');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    return failed(code === 'ENOENT' ? 'no such directory' : code === 'EACCES' ? 'permission denied' : (err as Error).message);
  }
  const data = new Set(ref.data.map((d) => normalPath(d)).filter((d): d is string => d !== undefined && d !== ''));
  const files: ProjectFile[] = [];
  const contents = new Map<string, Buffer>();
  /** Bytes below each top-level entry, to say what made a project too large. */
  const bySubtree = new Map<string, number>();
  let bytes = 0;
  let tooLarge: string | undefined;
  let outside: string | undefined;
  const realRoot = await realpath(root);
  async function walk(rel: string): Promise<void> {
    for (const e of await readdir(join(root, rel), { withFileTypes: true })) {
      if ((NEVER_SHIPPED as readonly string[]).includes(e.name)) continue;
      const path = rel ? `${rel}/${e.name}` : e.name;
      if (data.has(path)) continue;
      // A symbolic link is followed (Compose follows it too) while it stays inside the project:
      // what lies outside is not the project's to ship.
      if (e.isSymbolicLink()) {
        const target = await realpath(join(root, path)).catch(() => undefined);
        // A link back to the project itself would be walked for ever.
        if (target === undefined || target === realRoot) continue;
        if (!target.startsWith(`${realRoot}${sep}`)) {
          outside ??= `${path} is a symbolic link to ${target}, outside the project directory`;
          continue;
        }
      }
      const info = await stat(join(root, path)).catch(() => undefined);
      if (!info) continue;
      if (info.isDirectory()) {
        await walk(path);
        continue;
      }
      if (!info.isFile()) continue;
      const top = path.split('/')[0]!;
      bySubtree.set(top, (bySubtree.get(top) ?? 0) + info.size);
      bytes += info.size;
      if (info.size > PROJECT_LIMITS.fileBytes) tooLarge ??= `${path} is ${MiB(info.size)}, more than the ${MiB(PROJECT_LIMITS.fileBytes)} a file of a project may have`;
      if (files.length >= PROJECT_LIMITS.files) tooLarge ??= `it holds more than ${PROJECT_LIMITS.files} files`;
      if (tooLarge) continue;
      const content = await readFile(join(root, path));
      contents.set(path, content);
      files.push({ path, size: content.length, mode: info.mode & 0o777, digest: sha256(content) });
    }
  }
  try {
    await walk('');
  } catch (err) {
    return failed(`cannot be read: ${(err as Error).message}`);
  }
  if (outside) return failed(`${outside}: copy what it points to into the project, or leave the link out`);
  if (!tooLarge && bytes > PROJECT_LIMITS.bytes) tooLarge = `it holds ${MiB(bytes)}, more than the ${MiB(PROJECT_LIMITS.bytes)} shipped with a revision`;
  if (tooLarge) {
    const largest = [...bySubtree].sort((a, b) => b[1] - a[1]).slice(0, 3).map(([p, n]) => `${p} ${MiB(n)}`).join(', ');
    return failed(`${tooLarge} (largest: ${largest}); a project is its configuration: declare directories that hold data in workload.compose.data (they stay on the hosts and are backed up with the app)`);
  }
  files.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  return { digest: sha256(treeListing(files)), files, text: (p) => contents.get(p)?.toString('utf8'), contents };
}

/** The projects as a plan or apply sends them (only those that could be read: the controller reports the others as missing). */
export function projectsPayload(projects: ReadonlyMap<string, ReadProject>): ProjectsPayload | undefined {
  const readable = [...projects].filter(([, p]) => p.problem === undefined);
  if (readable.length === 0) return undefined;
  return Object.fromEntries(readable.map(([key, p]) => [key, { files: p.files.map((f) => ({ path: f.path, mode: f.mode, content: p.contents.get(f.path)!.toString('base64') })) }]));
}
