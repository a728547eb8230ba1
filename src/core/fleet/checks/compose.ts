/**
 * Compose apps. Inline ones: their services, volumes, networks, secrets and configs against
 * the Compose Specification's own JSON Schema (compose-spec/, kept as published): a typo
 * (`enviroment:`) or a value of the wrong shape is reported at the file, line and path the user
 * wrote, with the nearest key the specification has; hafen's schema only requires an image or a
 * build. Variables (`${VAR}`) must be defined by the app's env: never a silent empty string.
 * Project directories (`project`, `file`): found among the trees the caller read, their compose
 * files named, and checked by core/compose/project-check.ts at their own lines; two apps whose
 * projects would have one name are an error.
 */
import { publishedPorts, type PublishedPorts } from '../../compose/ports.js';
import { checkProject } from '../../compose/project-check.js';
import { composeFiles, derivedProjectName, normalPath, projectKey, splitComposeFile, type AppProject, type ProjectTree } from '../../compose/project.js';
import { DEFINITIONS, message, pathOf, relevant, SERVICE_KEYS, validatorOf, type Section } from '../../compose/spec.js';
import { checkInterpolation, stringsIn } from '../interpolation.js';
import type { FleetPath, ProblemList } from '../problems.js';
import { didYouMean } from '../suggest.js';
import { each, type Parts } from './parts.js';

/** At most this many problems per app: one mistake in a shared anchor should not bury the rest. */
const MAX_PER_APP = 10;

/**
 * Checks every compose app: inline services here, a project directory by `checkProject` on the
 * tree the caller read (`projects`, by key). Returns each project app's resolved project.
 */
export function checkCompose(parts: Parts, out: ProblemList, projects?: ReadonlyMap<string, ProjectTree>): Map<string, AppProject> {
  const resolved = new Map<string, AppProject>();
  each(parts.apps, (app, i) => {
    const compose = app.workload.compose;
    if (!compose) return;
    if (compose.project !== undefined || compose.file !== undefined) {
      const p = checkProjectApp(app.id, compose, ['apps', i, 'workload', 'compose'], out, projects, new Set(Object.keys(app.env ?? {})));
      if (p) resolved.set(app.id, p);
      if (p) checkPortPublished(app.id, app.port, { ports: p.ports, unknown: p.portsUnknown }, ['apps', i, 'port'], out);
      return;
    }
    checkPortPublished(app.id, app.port, publishedPorts(compose.services ?? {}), ['apps', i, 'port'], out);
    let reported = 0;
    const report = (): boolean => reported++ < MAX_PER_APP;
    // Compose interpolates the whole project with the app's env (values and secrets), nothing else.
    const defined = new Set(Object.keys(app.env ?? {}));
    for (const section of Object.keys(DEFINITIONS) as Section[]) {
      for (const [name, entry] of Object.entries(compose[section] ?? {})) {
        const base: FleetPath = ['apps', i, 'workload', 'compose', section, name];
        const what = `compose ${DEFINITIONS[section]} "${name}"`;
        for (const { path, text } of stringsIn(entry)) {
          const r = checkInterpolation(text, defined);
          if (r.ok || !report()) continue;
          if ('invalid' in r) {
            out.error('HAFEN_FLEET_COMPOSE_INVALID', [...base, ...path], `${what}: ${r.invalid}`);
            continue;
          }
          const names = r.undefined.map((v) => `\${${v.name}}${v.message ? ` (${v.message})` : ''}`).join(', ');
          out.error(
            'HAFEN_FLEET_UNDEFINED_VARIABLE',
            [...base, ...path],
            `${what} uses ${names}, which the app does not define: add ${r.undefined.length === 1 ? 'it' : 'them'} to the app's env (a value, or {secret: NAME}), give a default ("\${NAME:-default}"), or write "$$" for a dollar sign`,
          );
        }
        // Services written into the fleet have no directory to ship a file from: the entry would point at nothing.
        if ((section === 'secrets' || section === 'configs') && entry !== null && typeof entry === 'object' && 'file' in entry && report()) {
          out.error('HAFEN_FLEET_UNSUPPORTED', [...base, 'file'], `${what}: services written into the fleet have no directory to ship a file from; put the project in a directory (workload.compose.project: its files are shipped, sealed at rest), or use "environment:"${section === 'configs' ? ', "content:"' : ''} or "external: true"`);
        }
        // An empty entry ("backend:") is Compose's way of saying "with the defaults".
        if (entry === null) continue;
        const validate = validatorOf(section);
        if (validate(entry)) continue;
        for (const e of relevant(validate.errors ?? [])) {
          if (!report()) break;
          if (e.keyword === 'additionalProperties') {
            const key = (e.params as { additionalProperty: string }).additionalProperty;
            const hint = e.instancePath === '' && section === 'services' ? didYouMean(key, SERVICE_KEYS) : '';
            out.error('HAFEN_FLEET_UNKNOWN_KEY', [...pathOf(base, e.instancePath), key], `unknown key "${key}" in ${what} (Compose Specification)${hint}`, { key: true });
            continue;
          }
          out.error('HAFEN_FLEET_COMPOSE_INVALID', pathOf(base, e.instancePath), `${what}: ${message(e)} (Compose Specification)`);
        }
      }
    }
  });
  // Containers and volumes are named after the project: two apps of one name would share them on a host.
  const byName = new Map<string, string>();
  for (const [app, p] of resolved) {
    const other = byName.get(p.name);
    if (other === undefined) byName.set(p.name, app);
    else {
      const i = parts.apps.findIndex((a) => a?.id === app);
      out.error('HAFEN_FLEET_COMPOSE_PROJECT', ['apps', i, 'workload', 'compose'], `app "${app}": its compose project is named "${p.name}" like app "${other}"'s: their containers and volumes would be one; set workload.compose.name for one of them`);
    }
  }
  return resolved;
}

/** The app's `port` is where the proxies send its traffic: one of its services must publish it on the host. */
function checkPortPublished(app: string, port: number | undefined, published: PublishedPorts, path: FleetPath, out: ProblemList): void {
  if (port === undefined || published.unknown || published.ports.includes(`${port}/tcp`)) return;
  const has = published.ports.length > 0 ? `it publishes ${published.ports.join(', ')}` : 'it publishes no port';
  out.error('HAFEN_FLEET_PORT_NOT_PUBLISHED', path, `app "${app}": the proxies send its traffic to port ${port} on its hosts, but ${has}: publish it on the service that answers ("${port}:<container port>" under its ports:)`);
}

/** A project directory app: found among the trees read, its compose files named, and checked. */
function checkProjectApp(
  app: string,
  compose: { project?: string | undefined; file?: string | undefined; files?: string[] | undefined; data?: string[] | undefined; name?: string | undefined; workingDir?: string | undefined },
  base: FleetPath,
  out: ProblemList,
  projects: ReadonlyMap<string, ProjectTree> | undefined,
  defined: ReadonlySet<string>,
): AppProject | undefined {
  const short = compose.file !== undefined ? splitComposeFile(compose.file) : undefined;
  const dir = compose.project ?? short!.project;
  const at = [...base, compose.project !== undefined ? 'project' : 'file'];
  const fleetFile = out.fileOf(base) ?? '';
  const key = projectKey(fleetFile, dir);
  if (key === undefined) {
    out.error('HAFEN_FLEET_COMPOSE_PROJECT', at, `app "${app}": ${dir} is an absolute path; name the project directory relative to the fleet file, so that the fleet and its projects travel together`);
    return undefined;
  }
  const tree = projects?.get(key);
  if (!tree) {
    out.error('HAFEN_FLEET_COMPOSE_PROJECT', at, `app "${app}": no compose project directory ${key || '.'}${fleetFile ? ` (${dir} from ${fleetFile})` : ''}${projects ? '' : ': project directories are read by the CLI and sent with the fleet (hafen plan/apply FLEET)'}`);
    return undefined;
  }
  if (tree.problem !== undefined) {
    out.error('HAFEN_FLEET_COMPOSE_PROJECT', at, `app "${app}": compose project ${key}: ${tree.problem}`);
    return undefined;
  }
  const files = composeFiles(tree, compose.files ?? short?.files);
  if (typeof files === 'string') {
    out.error('HAFEN_FLEET_COMPOSE_PROJECT', compose.files ? [...base, 'files'] : at, `app "${app}": ${files}`);
    return undefined;
  }
  const workingDir = compose.workingDir === undefined ? undefined : hostDirectory(compose.workingDir);
  if (workingDir === '') {
    out.error('HAFEN_FLEET_COMPOSE_PROJECT', [...base, 'workingDir'], `app "${app}": workingDir "${compose.workingDir}" is not a directory hafen may run a project in: give an absolute path below "/" with no "." or ".." (e.g. /srv/compose/${derivedProjectName(key) ?? 'app'})`);
    return undefined;
  }
  const { findings, facts } = checkProject({ key, tree, files, data: compose.data ?? [], defined });
  for (const f of findings) out.at(f.severity, f.code, f.pos, `app "${app}": ${f.message}`);
  if (findings.some((f) => f.severity === 'error')) return undefined;
  const name = compose.name ?? facts.name ?? derivedProjectName(key);
  if (name === undefined) {
    out.error('HAFEN_FLEET_COMPOSE_PROJECT', at, `app "${app}": Compose cannot derive a project name from the directory ${key || '.'}: set workload.compose.name`);
    return undefined;
  }
  const project: AppProject = { key, digest: tree.digest, files: tree.files, composeFiles: files, name, services: facts.services, volumes: facts.volumes, dataDirs: facts.dataDirs, ports: facts.ports.ports, portsUnknown: facts.ports.unknown, containerNames: facts.containerNames };
  if (workingDir !== undefined) project.workingDir = workingDir;
  return project;
}

/** A project's directory on its hosts as given, if it is an absolute path in normal form below "/" (else ""). */
function hostDirectory(dir: string): string {
  if (!dir.startsWith('/') || dir.includes('\\')) return '';
  const rel = normalPath(dir.slice(1));
  return rel && `/${rel}` === dir.replace(/\/+$/, '') ? `/${rel}` : '';
}
