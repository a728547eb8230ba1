/**
 * Compose project directories as the controller keeps them: received with a plan or apply
 * (every file's content, base64), hashed here (a client's digests are not trusted), stored
 * content-addressed with the revision that ships them (store blobs, sealed with the secret key
 * like secret values: a project's `.env` and `secrets:` files hold passwords), and named in the revision
 * by their manifests (path, mode, size, sha256), from which a revision is loaded again.
 */
import { createHash } from 'node:crypto';
import { z } from 'zod';
import { normalPath, PROJECT_LIMITS, treeListing, type ProjectFile, type ProjectTree } from '../core/compose/project.js';
import type { FleetSource } from '../core/fleet/source.js';
import { HafenError } from '../lib/errors.js';
import type { Blob, Store } from './store/store.js';

export const ProjectsBody = z
  .record(
    z.string().describe('The project\'s key: its directory as the fleet file that names it resolves it'),
    z.object({
      files: z.array(z.object({ path: z.string().min(1).max(1024), mode: z.number().int().min(0).max(0o777), content: z.string().describe('base64') })).max(PROJECT_LIMITS.files),
    }),
  )
  .describe('The compose project directories the fleet names (workload.compose.project or file), every file with its content');

export type ProjectsInput = z.infer<typeof ProjectsBody>;

/** A project the controller holds: its tree, and its files' contents by digest (base64). */
export interface KeptProject extends ProjectTree {
  blobs: Map<string, string>;
}

export type Projects = ReadonlyMap<string, KeptProject>;

const sha256 = (b: Buffer | string) => createHash('sha256').update(b).digest('hex');

function kept(files: ProjectFile[], blobs: Map<string, string>): KeptProject {
  const sorted = [...files].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  const byPath = new Map(sorted.map((f) => [f.path, f.digest]));
  return {
    digest: sha256(treeListing(sorted)),
    files: sorted,
    blobs,
    text: (p) => {
      const d = byPath.get(p);
      const b = d === undefined ? undefined : blobs.get(d);
      return b === undefined ? undefined : Buffer.from(b, 'base64').toString('utf8');
    },
  };
}

/** Projects as data only (no `text` function): what crosses to the plan worker. */
export type PlainProjects = ReadonlyMap<string, { files: ProjectFile[]; blobs: Map<string, string> }>;

export const plainProjects = (projects: Projects): PlainProjects => new Map([...projects].map(([key, p]) => [key, { files: [...p.files], blobs: p.blobs }]));

/** Projects again from their data (the plan worker's side). */
export const keptProjects = (plain: PlainProjects): Map<string, KeptProject> => new Map([...plain].map(([key, p]) => [key, kept(p.files, p.blobs)]));

/** The projects of a request, hashed and checked against the limits; a bad one is refused whole. */
export function receiveProjects(input: ProjectsInput | undefined): Map<string, KeptProject> {
  const out = new Map<string, KeptProject>();
  for (const [key, { files }] of Object.entries(input ?? {})) {
    const bad = (why: string) => new HafenError('HAFEN_API_BAD_REQUEST', `projects["${key}"]: ${why}; nothing was changed`);
    const list: ProjectFile[] = [];
    const blobs = new Map<string, string>();
    let bytes = 0;
    for (const f of files) {
      const path = normalPath(f.path);
      if (path === undefined || path === '' || path !== f.path) throw bad(`file path "${f.path}" is not a plain relative path`);
      if (list.some((x) => x.path === path)) throw bad(`file "${path}" is sent twice`);
      const content = Buffer.from(f.content, 'base64');
      if (content.length > PROJECT_LIMITS.fileBytes) throw bad(`file "${path}" is larger than ${PROJECT_LIMITS.fileBytes} bytes`);
      bytes += content.length;
      const digest = sha256(content);
      blobs.set(digest, content.toString('base64'));
      list.push({ path, size: content.length, mode: f.mode, digest });
    }
    if (bytes > PROJECT_LIMITS.bytes) throw bad(`the project holds ${bytes} bytes, more than ${PROJECT_LIMITS.bytes}`);
    out.set(key, kept(list, blobs));
  }
  return out;
}

/** How project files are kept at rest: sealed with the controller's secret key (controller/secrets.ts). */
export interface BlobCipher {
  sealBlob(digest: string, base64: string): string;
  unsealBlob(digest: string, stored: string): string;
}

/** The new blobs an apply stores: every file of every project, sealed (the store keeps each digest once). */
export function blobsOf(projects: Projects, cipher: BlobCipher): Blob[] {
  const out = new Map<string, string>();
  for (const p of projects.values()) for (const [digest, content] of p.blobs) out.set(digest, content);
  return [...out].map(([digest, content]) => ({ digest, content: cipher.sealBlob(digest, content) }));
}

/** What a revision stores as its fleet: the files as they were (and the projects' manifests, when there are any). */
export function storedFleet(sources: FleetSource[], projects: Projects): unknown {
  if (projects.size === 0) return sources;
  return { sources, projects: Object.fromEntries([...projects].map(([key, p]) => [key, p.files])) };
}

/** A stored revision's fleet files, and its projects loaded from the store's blobs. */
export async function loadStoredFleet(fleet: unknown, store: Pick<Store, 'blobs'>, cipher: BlobCipher): Promise<{ sources: FleetSource[]; projects: Map<string, KeptProject> }> {
  if (Array.isArray(fleet)) return { sources: fleet as FleetSource[], projects: new Map() };
  const { sources, projects: manifests } = fleet as { sources: FleetSource[]; projects: Record<string, ProjectFile[]> };
  const all = await store.blobs(Object.values(manifests).flatMap((files) => files.map((f) => f.digest)));
  const projects = new Map<string, KeptProject>();
  for (const [key, files] of Object.entries(manifests)) {
    const missing = files.find((f) => !all.has(f.digest));
    if (missing) throw new HafenError('HAFEN_STORE_CORRUPT', `compose project ${key}: the content of ${missing.path} (sha256 ${missing.digest}) is not in the store`);
    projects.set(key, kept(files, new Map(files.map((f) => [f.digest, cipher.unsealBlob(f.digest, all.get(f.digest)!)]))));
  }
  return { sources, projects };
}
