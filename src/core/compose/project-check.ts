/**
 * A compose project directory checked as Compose would take it, before anything runs (pure):
 * every compose file parses and passes the Compose Specification's JSON Schema (typos with the
 * nearest key), every variable is defined (by the project's `.env` or the app's env) or has a
 * default, and every file the project names (`env_file`, bind-mount files, secrets' and
 * configs' files, build contexts) is in the directory. Problems are at the compose file's own
 * line. What it finds out on the way (services, named volumes, data directories) is returned
 * for the renderer and the data's keepers.
 */
import type { Document } from 'yaml';
import type { ProblemCode } from '../fleet/problem-codes.js';
import type { FleetPath, Severity, SourcePosition } from '../fleet/problems.js';
import { positionIn, yamlMessage } from '../fleet/source.js';
import { checkInterpolation, stringsIn } from '../fleet/interpolation.js';
import { didYouMean } from '../fleet/suggest.js';
import { parsedFile, yamlNodes } from '../fleet/yaml-read.js';
import { dotenvNames } from './dotenv.js';
import { publishedPorts, type PublishedPorts } from './ports.js';
import { normalPath, type ProjectTree } from './project.js';
import { FILE_KEYS, message, pathOf, relevant, SERVICE_KEYS, validatorOf } from './spec.js';

export interface ProjectInput {
  /** The project's key ("apps/gitea"): problems name its files under it. */
  key: string;
  tree: ProjectTree;
  /** Its compose files, in merge order (from `composeFiles`). */
  files: readonly string[];
  /** Directories the fleet declares as data (`workload.compose.data`). */
  data: readonly string[];
  /** Variables the app's env defines (values and secrets); the `.env`'s are added here. */
  defined: ReadonlySet<string>;
}

export interface ProjectFacts {
  /** The project name its files declare (`name:`), if any. */
  name?: string;
  services: string[];
  /** Named volumes the project declares and Compose makes (not external). */
  volumes: string[];
  /** Relative bind-mount sources that are data: declared so, or not in the directory (made on the host). */
  dataDirs: string[];
  /** The host ports its services publish (every file's: Compose adds an override's ports to the base's). */
  ports: PublishedPorts;
  /** Its services' `container_name`s (the last file's wins, as in Compose's merge). */
  containerNames: string[];
}

export interface ProjectFinding {
  severity: Severity;
  code: ProblemCode;
  pos: SourcePosition;
  message: string;
}

/** At most this many problems per project: one mistake in a shared anchor should not bury the rest. */
const MAX_FINDINGS = 20;

type Entry = Record<string, unknown>;
const isEntry = (v: unknown): v is Entry => v !== null && typeof v === 'object' && !Array.isArray(v);

export function checkProject(input: ProjectInput): { findings: ProjectFinding[]; facts: ProjectFacts } {
  const findings: ProjectFinding[] = [];
  const facts: ProjectFacts = { services: [], volumes: [], dataDirs: [], ports: { ports: [], unknown: false }, containerNames: [] };
  const containerNames = new Map<string, string>();
  const paths = new Set(input.tree.files.map((f) => f.path));
  const dirs = new Set(input.tree.files.flatMap((f) => f.path.split('/').slice(0, -1).map((_, i, segs) => segs.slice(0, i + 1).join('/'))));
  const data = new Set(input.data.map((d) => normalPath(d)).filter((d): d is string => d !== undefined));
  const defined = new Set(input.defined);
  const find = (severity: Severity, code: ProblemCode, pos: SourcePosition, text: string) => {
    if (findings.length < MAX_FINDINGS) findings.push({ severity, code, pos, message: text });
  };

  /** Each file's services apart: an override's ports add to the base's. */
  const everyService: Record<string, unknown> = {};
  const env = input.tree.text('.env');
  if (env !== undefined) {
    const read = dotenvNames(env);
    if ('error' in read) find('error', 'HAFEN_FLEET_COMPOSE_INVALID', { file: `${input.key}/.env`, localPath: [], line: read.line }, `.env: ${read.error}`);
    else for (const n of read.names) defined.add(n);
  }

  for (const file of input.files) {
    const name = `${input.key}/${file}`;
    const text = input.tree.text(file) ?? '';
    const { docs, lines } = yamlNodes(parsedFile(name, text));
    const doc = docs[0];
    const errors = docs.flatMap((d) => d.errors);
    if (!doc || errors.length > 0) {
      const err = errors[0];
      const line = err ? lines.linePos(err.pos[0]).line : undefined;
      find('error', 'HAFEN_FLEET_COMPOSE_INVALID', { file: name, localPath: [], ...(line ? { line } : {}) }, err ? `YAML: ${yamlMessage(err.message)}` : 'the compose file is empty');
      continue;
    }
    if (docs.length > 1) find('error', 'HAFEN_FLEET_COMPOSE_INVALID', { file: name, localPath: [] }, 'a compose file holds one YAML document; this one holds several');
    const root = doc.toJS({ maxAliasCount: 1000 }) as unknown;
    const at = (path: FleetPath, key = false) => positionIn(name, doc as Document.Parsed, lines, path, key);
    if (!isEntry(root)) {
      find('error', 'HAFEN_FLEET_COMPOSE_INVALID', at([]), 'a compose file is a mapping (services:, volumes:, …)');
      continue;
    }
    checkSpec(root, at, find);
    for (const { path, text: s } of stringsIn(root)) {
      const r = checkInterpolation(s, defined);
      if (r.ok) continue;
      if ('invalid' in r) find('error', 'HAFEN_FLEET_COMPOSE_INVALID', at(path), r.invalid);
      else {
        const names = r.undefined.map((v) => `\${${v.name}}${v.message ? ` (${v.message})` : ''}`).join(', ');
        find('error', 'HAFEN_FLEET_UNDEFINED_VARIABLE', at(path), `uses ${names}, which neither the project's .env nor the app's env defines: add ${r.undefined.length === 1 ? 'it' : 'them'} to one of them, give a default ("\${NAME:-default}"), or write "$$" for a dollar sign`);
      }
    }
    if (typeof root.name === 'string') facts.name = root.name;
    for (const [svc, spec] of Object.entries(isEntry(root.services) ? root.services : {})) {
      everyService[`${file} ${svc}`] = spec;
      if (isEntry(spec) && typeof spec.container_name === 'string' && !spec.container_name.includes('$')) containerNames.set(svc, spec.container_name);
    }
    for (const [svc, spec] of Object.entries(isEntry(root.services) ? root.services : {})) {
      if (!facts.services.includes(svc)) facts.services.push(svc);
      if (isEntry(spec)) checkReferences(spec, ['services', svc], { paths, dirs, data, at, find, facts });
    }
    for (const [vol, def] of Object.entries(isEntry(root.volumes) ? root.volumes : {})) {
      if (!(isEntry(def) && def.external) && !facts.volumes.includes(vol)) facts.volumes.push(vol);
    }
    for (const section of ['secrets', 'configs'] as const) {
      for (const [entry, def] of Object.entries(isEntry(root[section]) ? root[section] : {})) {
        if (isEntry(def) && typeof def.file === 'string') needFile(def.file, [section, entry, 'file'], `${section.slice(0, -1)} "${entry}"`, { paths, dirs, data, at, find, facts });
      }
    }
  }
  facts.dataDirs.sort();
  facts.ports = publishedPorts(everyService);
  facts.containerNames = [...new Set(containerNames.values())].sort();
  return { findings, facts };
}

interface Context {
  paths: ReadonlySet<string>;
  dirs: ReadonlySet<string>;
  data: ReadonlySet<string>;
  at: (path: FleetPath, key?: boolean) => SourcePosition;
  find: (severity: Severity, code: ProblemCode, pos: SourcePosition, text: string) => void;
  facts: ProjectFacts;
}

/** The whole file against the specification: unknown keys with the nearest one it has. */
function checkSpec(root: Entry, at: Context['at'], find: Context['find']): void {
  const validate = validatorOf('file');
  if (validate(root)) return;
  for (const e of relevant(validate.errors ?? [])) {
    if (e.keyword === 'additionalProperties') {
      const key = (e.params as { additionalProperty: string }).additionalProperty;
      const path = pathOf([], e.instancePath);
      const hint = path.length === 0 ? didYouMean(key, FILE_KEYS) : path.length === 2 && path[0] === 'services' ? didYouMean(key, SERVICE_KEYS) : '';
      find('error', 'HAFEN_FLEET_UNKNOWN_KEY', at([...path, key], true), `unknown key "${key}" (Compose Specification)${hint}`);
      continue;
    }
    find('error', 'HAFEN_FLEET_COMPOSE_INVALID', at(pathOf([], e.instancePath)), `${message(e)} (Compose Specification)`);
  }
}

/** A relative path a service names: in the directory, or (for a bind mount) data made on the host. */
function checkReferences(spec: Entry, base: FleetPath, ctx: Context): void {
  const envFiles = spec.env_file === undefined ? [] : Array.isArray(spec.env_file) ? spec.env_file : [spec.env_file];
  envFiles.forEach((e, i) => {
    const path = Array.isArray(spec.env_file) ? [...base, 'env_file', i] : [...base, 'env_file'];
    if (typeof e === 'string') needFile(e, path, 'env_file', ctx);
    else if (isEntry(e) && typeof e.path === 'string' && e.required !== false) needFile(e.path, [...path, 'path'], 'env_file', ctx);
  });
  const volumes = Array.isArray(spec.volumes) ? spec.volumes : [];
  volumes.forEach((v, i) => {
    let source: string | undefined;
    if (typeof v === 'string') {
      const src = v.split(':')[0] ?? '';
      if (/^[.~]/.test(src) || src.startsWith('/')) source = src;
    } else if (isEntry(v) && v.type === 'bind' && typeof v.source === 'string') source = v.source;
    if (source === undefined || source.includes('$')) return;
    const path = typeof v === 'string' ? [...base, 'volumes', i] : [...base, 'volumes', i, 'source'];
    if (source.startsWith('/') || source.startsWith('~')) {
      ctx.find('warning', 'HAFEN_FLEET_COMPOSE_HOST_PATH', ctx.at(path), `bind mount of the host path ${source}: hafen neither ships, backs up nor moves it; keep data in the project directory or a named volume`);
      return;
    }
    const rel = normalPath(source);
    // Compose takes both; hafen keeps neither as data (a source tree mounted for development, a directory shared with another project).
    if (rel === '') {
      ctx.find('warning', 'HAFEN_FLEET_COMPOSE_HOST_PATH', ctx.at(path), `bind mount of ${source}, the project directory itself: the container sees the project's files as shipped, and what it writes there is neither backed up nor moved; keep data in a directory inside it or a named volume`);
      return;
    }
    if (rel === undefined) {
      ctx.find('warning', 'HAFEN_FLEET_COMPOSE_HOST_PATH', ctx.at(path), `bind mount of ${source}, outside the project directory: hafen neither ships, backs up nor moves it (it is a path of the host, relative to where the project lives there)`);
      return;
    }
    const isData = [...ctx.data].some((d) => rel === d || rel.startsWith(`${d}/`));
    if (isData || (!ctx.paths.has(rel) && !ctx.dirs.has(rel))) {
      if (!ctx.facts.dataDirs.includes(rel)) ctx.facts.dataDirs.push(rel);
    }
  });
  const build = spec.build;
  const context = typeof build === 'string' ? build : isEntry(build) && typeof build.context === 'string' ? build.context : undefined;
  if (context !== undefined && !/^[a-z]+:\/\/|^git@/.test(context) && !context.includes('$')) {
    const rel = normalPath(context);
    if (rel === undefined) ctx.find('error', 'HAFEN_FLEET_UNSUPPORTED', ctx.at([...base, 'build']), `build context ${context} is outside the project directory`);
    else if (rel !== '' && !ctx.dirs.has(rel)) ctx.find('error', 'HAFEN_FLEET_COMPOSE_FILE_MISSING', ctx.at([...base, 'build']), `build context ${context} is not in the project directory`);
  }
}

function needFile(file: string, path: FleetPath, what: string, ctx: Context): void {
  if (file.includes('$')) return;
  const rel = normalPath(file);
  if (rel === undefined || file.startsWith('/')) {
    ctx.find('error', 'HAFEN_FLEET_UNSUPPORTED', ctx.at(path), `${what} ${file} is outside the project directory: hafen ships only the project's own files`);
    return;
  }
  if (!ctx.paths.has(rel)) ctx.find('error', 'HAFEN_FLEET_COMPOSE_FILE_MISSING', ctx.at(path), `${what} ${file} is not in the project directory`);
}
