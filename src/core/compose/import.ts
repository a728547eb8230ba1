/**
 * What `hafen import` makes of the compose projects running on a host (pure): from what Docker
 * says about their containers — Compose's labels, ports, mounts, memory in use — the fleet app
 * that adopts each one where it runs, and what an operator must review before applying it.
 * Reading Docker and copying files is the CLI's (cli/import-docker.ts).
 */
import { Id } from '../fleet/schema/common.js';
import { normalPath } from './project.js';

/** One container of a running project, as `docker inspect` describes it. */
export interface RunningContainer {
  name: string;
  service: string;
  state: string;
  /** Compose's `com.docker.compose.config-hash`: what Compose compares to decide a recreate. */
  configHash: string;
  /** Published host ports ("3000/tcp"). */
  ports: string[];
  mounts: { type: string; source: string; name?: string; rw: boolean }[];
  /** Memory in use when imported (bytes), when Docker said. */
  memoryBytes?: number;
}

/** A compose project as it runs on the host: Compose's own labels on its containers. */
export interface RunningProject {
  name: string;
  /** `com.docker.compose.project.working_dir`. */
  workingDir: string;
  /** `com.docker.compose.project.config_files`, as Compose wrote them (absolute, or relative to the working directory). */
  configFiles: string[];
  containers: RunningContainer[];
  /** Containers of it carry hafen's labels: hafen runs it already. */
  managed: boolean;
}

/** Whether taking a project over keeps its containers: Compose's own hash of each service against what runs. */
export type AdoptCheck =
  | { kind: 'kept' }
  | { kind: 'recreated'; services: string[] }
  | { kind: 'unknown'; reason: string };

/** A project as the import writes it, or why it cannot. */
export interface ImportedProject {
  project: RunningProject;
  /** The app's id (the project's name where that is a valid id). */
  app: string;
  customer: string;
  /** Compose files relative to the working directory, in merge order. */
  files: string[];
  /** Bind-mounted directories inside the working directory that containers write: data, never shipped. */
  dataDirs: string[];
  /** Named volumes the project mounts (Compose's names without the project prefix). */
  volumes: string[];
  ports: string[];
  /** The port the proxies would send traffic to: the first published TCP port, if any. */
  port?: number;
  memoryBytes: number;
  /** Lines an operator must look at before applying. */
  review: string[];
  /** Why the project cannot be imported as it is (nothing is written for it). */
  skip?: string;
}

/** A fleet id from a Compose project name ("huber_gitea" → "huber-gitea"). */
export function idOf(name: string): string {
  const id = name.toLowerCase().replace(/[^a-z0-9-]+/g, '-').replace(/^-+|-+$/g, '').slice(0, 63).replace(/-+$/, '');
  return Id.safeParse(id).success ? id : 'imported';
}

/** The customer guessed from a project's name: what comes before its first "-" or "_" ("huber-gitea" → "huber"), else the name. */
export function guessCustomer(name: string): string {
  const prefix = /^([a-z0-9]{3,})[-_]./.exec(name)?.[1];
  return idOf(prefix ?? name);
}

/**
 * The project's compose files relative to its working directory, or why one lies outside it (a
 * project is taken over with its directory: a file elsewhere would not travel with it).
 */
export function relativeFiles(workingDir: string, configFiles: readonly string[]): string[] | string {
  const out: string[] = [];
  for (const f of configFiles) {
    const abs = f.startsWith('/') ? f : `${workingDir}/${f}`;
    const rel = abs.startsWith(`${workingDir}/`) ? normalPath(abs.slice(workingDir.length + 1)) : undefined;
    if (rel === undefined || rel === '' || rel.startsWith('../')) return `its compose file ${f} lies outside its working directory ${workingDir}`;
    out.push(rel);
  }
  return out.length > 0 ? out : 'Compose recorded no compose file for it';
}

/**
 * The project's data directories: sources of bind mounts inside its working directory that a
 * container may write (read-only mounts and single files are configuration, shipped).
 */
export function dataDirsOf(project: RunningProject, isDirectory: (path: string) => boolean): string[] {
  const out = new Set<string>();
  for (const c of project.containers) {
    for (const m of c.mounts) {
      if (m.type !== 'bind' || !m.rw || !m.source.startsWith(`${project.workingDir}/`)) continue;
      const rel = normalPath(m.source.slice(project.workingDir.length + 1));
      if (rel && isDirectory(m.source)) out.add(rel);
    }
  }
  // A directory inside another data directory is part of it.
  const sorted = [...out].sort();
  return sorted.filter((d) => !sorted.some((o) => o !== d && d.startsWith(`${o}/`)));
}

/**
 * The project's own named volumes, as its files name them (Compose prefixes them with the
 * project's name), and the other volumes it mounts (external ones, another project's).
 */
export function volumesOf(project: RunningProject): { own: string[]; other: string[] } {
  const own = new Set<string>();
  const other = new Set<string>();
  for (const c of project.containers) {
    for (const m of c.mounts) {
      if (m.type !== 'volume' || !m.name) continue;
      if (m.name.startsWith(`${project.name}_`)) own.add(m.name.slice(project.name.length + 1));
      else other.add(m.name);
    }
  }
  return { own: [...own].sort(), other: [...other].sort() };
}

/**
 * Which services taking the project over would recreate: Compose's hash of each service as hafen
 * would run it (`config --hash`) against the hash its containers were made with.
 */
export function adoptCheck(project: RunningProject, hashes: ReadonlyMap<string, string> | string): AdoptCheck {
  if (typeof hashes === 'string') return { kind: 'unknown', reason: hashes };
  const changed = [...new Set(project.containers.filter((c) => hashes.get(c.service) !== c.configHash).map((c) => c.service))].sort();
  return changed.length === 0 ? { kind: 'kept' } : { kind: 'recreated', services: changed };
}

/** What the import makes of one running project. */
export function importProject(project: RunningProject, opts: { customer?: string; isDirectory: (path: string) => boolean; adopt: AdoptCheck }): ImportedProject {
  const files = relativeFiles(project.workingDir, project.configFiles);
  const ports = [...new Set(project.containers.flatMap((c) => c.ports))].sort((a, b) => parseInt(a) - parseInt(b));
  const tcp = ports.find((p) => p.endsWith('/tcp'));
  const volumes = volumesOf(project);
  const out: ImportedProject = {
    project,
    app: idOf(project.name),
    customer: opts.customer ?? guessCustomer(project.name),
    files: typeof files === 'string' ? [] : files,
    dataDirs: dataDirsOf(project, opts.isDirectory),
    volumes: volumes.own,
    ports,
    memoryBytes: project.containers.reduce((n, c) => n + (c.memoryBytes ?? 0), 0),
    review: [],
  };
  if (tcp) out.port = parseInt(tcp);
  if (project.managed) out.skip = 'hafen runs it already';
  else if (typeof files === 'string') out.skip = files;
  if (out.skip) return out;
  if (!opts.customer) out.review.push(`customer "${out.customer}" guessed from the project's name`);
  if (out.app !== project.name) out.review.push(`app id "${out.app}" made from the project's name "${project.name}"`);
  if (out.port !== undefined) out.review.push(`port ${out.port}: the first port it publishes, where the proxies would send its traffic; add its domains`);
  out.review.push('resources: estimated from the memory in use when imported');
  if (volumes.other.length > 0) out.review.push(`it mounts volumes that are not its own (${volumes.other.join(', ')}): they are neither backed up nor moved with it`);
  if (opts.adopt.kind === 'recreated') out.review.push(`taking it over recreates ${opts.adopt.services.join(', ')}: Compose sees another configuration than the one they run with (a variable its shell had and its .env lacks?)`);
  if (opts.adopt.kind === 'unknown') out.review.push(`whether taking it over keeps its containers is unknown: ${opts.adopt.reason}`);
  return out;
}

const MiB = 1024 * 1024;
const GiB = 1024 * MiB;

/** A size for the fleet, rounded up: whole MiB below a GiB, whole GiB above ("384MiB", "3GiB"). */
export function sizeText(bytes: number): string {
  return bytes < GiB ? `${Math.max(1, Math.ceil(bytes / MiB))}MiB` : `${Math.ceil(bytes / GiB)}GiB`;
}

/** What one replica is given: twice the memory in use (at least 256 MiB, in steps of 128 MiB), a quarter core per container (at least half a core). */
export function estimatedResources(p: ImportedProject): { cpu: number; memory: string } {
  const memory = Math.max(256 * MiB, Math.ceil((2 * p.memoryBytes) / (128 * MiB)) * 128 * MiB);
  const cpu = Math.max(0.5, p.project.containers.length * 0.25);
  return { cpu, memory: sizeText(memory) };
}
