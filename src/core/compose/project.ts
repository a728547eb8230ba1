/**
 * A compose project directory as hafen takes it (pure): the files it is made of, where it is
 * named from, which compose files Compose would read, and the limits of what is shipped with a
 * revision. The files themselves are read by the CLI, which computes their digests (core uses
 * no Node built-ins), and hashed again by the controller that receives them: what reaches core
 * is already content-addressed.
 */

/** One file of a project, as shipped. */
export interface ProjectFile {
  /** Relative to the project directory, with "/" and no "." or ".." segment. */
  path: string;
  size: number;
  /** Permission bits (0o644, 0o755): a script must stay executable. */
  mode: number;
  /** sha256 of the content, lower-case hex. */
  digest: string;
}

/** A project's files, and the text of those hafen must read itself (compose files, `.env`). */
export interface ProjectTree {
  /** Why the directory could not be read (missing, too large): reported at the app that names it. */
  problem?: string;
  /** sha256 of `treeListing(files)`: equal trees, equal digests. */
  digest: string;
  files: readonly ProjectFile[];
  /** The content of a file as UTF-8 text, when it was read; undefined for a file not in the tree. */
  text(path: string): string | undefined;
}

/** The names Compose looks for in a project directory, in its order. */
export const COMPOSE_FILE_NAMES = ['compose.yaml', 'compose.yml', 'docker-compose.yaml', 'docker-compose.yml'] as const;

/** What is shipped of one project at most: a project is configuration; data stays on the hosts. */
export const PROJECT_LIMITS = { files: 2000, bytes: 32 * 1024 * 1024, fileBytes: 8 * 1024 * 1024 } as const;

/** Names never shipped: version control and editors' leftovers are not part of a project. */
export const NEVER_SHIPPED = ['.git', '.hg', '.svn', '.DS_Store'] as const;

/**
 * The key of a project directory: its path relative to the directory the fleet is read from,
 * as the fleet file that names it resolves it ("apps/gitea"). The CLI sends each project under
 * this key, and the controller finds it the same way.
 */
export function projectKey(fleetFile: string, project: string): string | undefined {
  if (project.startsWith('/')) return undefined;
  const base = fleetFile.includes('/') ? fleetFile.slice(0, fleetFile.lastIndexOf('/')) : '';
  // A fleet read by its absolute path names its projects absolutely too (".." may not climb above "/").
  const absolute = fleetFile.startsWith('/');
  const rel = normalPath(base ? `${base}/${project}` : project);
  return rel === undefined ? undefined : absolute ? `/${rel}` : rel;
}

/**
 * A relative path with "." and ".." resolved and "/" between segments; undefined when it leaves
 * the directory it is relative to. `""` is the directory itself.
 */
export function normalPath(path: string): string | undefined {
  const out: string[] = [];
  for (const seg of path.replace(/\\/g, '/').split('/')) {
    if (seg === '' || seg === '.') continue;
    if (seg === '..') {
      if (out.length === 0) return undefined;
      out.pop();
    } else out.push(seg);
  }
  return out.join('/');
}

/** The override file Compose reads after a default compose file: compose.override.yaml beside compose.yaml. */
function overrideOf(file: string): string {
  return file.replace(/\.(ya?ml)$/, '.override.$1');
}

/**
 * The compose files of a project in the order Compose merges them: `declared` when given, else
 * the first default name the directory holds and its override file (as `docker compose` does
 * without `-f`). A string says what is missing.
 */
export function composeFiles(tree: ProjectTree, declared?: readonly string[]): string[] | string {
  const present = new Set(tree.files.map((f) => f.path));
  if (declared) {
    const files: string[] = [];
    for (const d of declared) {
      const p = normalPath(d);
      if (p === undefined || p === '') return `compose file "${d}" is outside the project directory`;
      if (!present.has(p)) return `the project has no compose file "${d}"`;
      files.push(p);
    }
    return files;
  }
  const main = COMPOSE_FILE_NAMES.find((n) => present.has(n));
  if (!main) return `the project directory holds no compose file (${COMPOSE_FILE_NAMES.join(', ')})`;
  const override = overrideOf(main);
  return present.has(override) ? [main, override] : [main];
}

/** The project of a `file:` shorthand: its directory and the file's name. */
export function splitComposeFile(file: string): { project: string; files: [string] } {
  const at = file.lastIndexOf('/');
  return at < 0 ? { project: '.', files: [file] } : { project: file.slice(0, at) || '/', files: [file.slice(at + 1)] };
}

/** What a project's digest is computed from: its files' modes, digests and paths, in path order. */
export function treeListing(files: readonly ProjectFile[]): string {
  return [...files]
    .sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0))
    .map((f) => `${f.mode.toString(8)} ${f.digest} ${f.path}`)
    .join('\n');
}

/** A compose app's project as the fleet resolves it: what was shipped, and what its files say. */
export interface AppProject {
  key: string;
  digest: string;
  files: readonly ProjectFile[];
  /** The compose files, in merge order. */
  composeFiles: string[];
  /** Its name on the hosts: `workload.compose.name`, its files' `name:`, or its directory's name (as Compose derives it). */
  name: string;
  services: string[];
  volumes: string[];
  /** Relative bind-mount sources that hold data (made on the host, never shipped). */
  dataDirs: string[];
  /** The host ports its services publish ("8080/tcp"); `portsUnknown` when one is a variable. */
  ports: string[];
  portsUnknown: boolean;
  /** Its services' fixed container names (`container_name`): one per Docker engine. */
  containerNames: string[];
  /** Where it lives on its hosts (`workload.compose.workingDir`): run there with no override, so a running project is adopted as it is. */
  workingDir?: string;
}

/** The project name Compose derives from a directory: its base name, lower-case, only [a-z0-9_-]. */
export function derivedProjectName(key: string): string | undefined {
  const base = key.split('/').filter(Boolean).at(-1) ?? '';
  const name = base.toLowerCase().replace(/[^a-z0-9_-]/g, '');
  return /^[a-z0-9]/.test(name) ? name : undefined;
}
