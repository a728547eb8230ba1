/**
 * A compose project per app replica, as data (the agent writes it as YAML and runs compose).
 * hafen adds its ownership labels to every service and volume, names the project after the
 * unit (so names are stable and never collide with projects hafen does not own), and declares
 * the app's volumes so that services can mount them by name.
 */
import type { ProjectFile } from '../compose/project.js';
import { composeLiteral, hasVariables, stringsIn } from '../fleet/interpolation.js';
import type { App } from '../fleet/model.js';

/**
 * A project directory as shipped: its files by digest (the agent fetches what it lacks), the
 * compose files in merge order, and its data directories (made on the host, never shipped).
 */
export interface ProjectDirectory {
  digest: string;
  files: ProjectFile[];
  composeFiles: string[];
  dataDirs: string[];
  /** Where the project lives on the host (absolute): run there, with no override of hafen's. */
  workingDir?: string;
}

export interface ComposeProject {
  name: string;
  /**
   * Inline projects: the services as the user wrote them (Compose interpolates their variables),
   * with hafen's labels and the app's env. Project directories: what hafen's override file adds
   * to each service (its labels).
   */
  services: Record<string, Record<string, unknown>>;
  /** A project directory: its files, run with hafen's override (`services`) as the last compose file. */
  directory?: ProjectDirectory;
  /** The app's volumes and those the user declared, with hafen's labels (external ones as written). */
  volumes?: Record<string, Record<string, unknown>>;
  /** The user's networks (with hafen's labels), secrets and configs, as written. */
  networks?: Record<string, unknown>;
  secrets?: Record<string, unknown>;
  configs?: Record<string, unknown>;
  /**
   * The variables Compose interpolates the services with: the app's env values (its secrets
   * are added by the agent). Present only when a service uses a variable.
   */
  variables?: Record<string, string>;
}

/** Compose project names allow lower-case letters, digits, dashes and underscores. */
export function projectName(unit: string): string {
  return `hafen-${unit}`.replace(/[^a-z0-9_-]/g, '-');
}

/** Labels as a mapping (Compose also allows a list of "k=v"). */
function labelMap(own: unknown): Record<string, string> {
  return Array.isArray(own) ? Object.fromEntries(own.map((l: string) => [l.split('=')[0], l.split('=').slice(1).join('=')])) : ((own as Record<string, string> | undefined) ?? {});
}

/** A volume or network definition with hafen's labels added (hafen's win); an external one is not Compose's to label. */
function labelled(entry: unknown, labels: Record<string, string>): Record<string, unknown> {
  const def = entry !== null && typeof entry === 'object' ? (entry as Record<string, unknown>) : {};
  if (def.external) return def;
  return { ...def, labels: { ...labelMap(def.labels), ...labels } };
}

/** A service's `environment` as a mapping (compose also allows a list of "K=V" or "K"). */
function environmentMap(env: unknown): Record<string, string | null> {
  if (Array.isArray(env)) {
    return Object.fromEntries(
      env.map((e: string) => {
        const at = e.indexOf('=');
        return at < 0 ? [e, null] : [e.slice(0, at), e.slice(at + 1)];
      }),
    );
  }
  return (env as Record<string, string | null> | undefined) ?? {};
}

/**
 * The project of one replica. `env` (the app's literal environment) goes into every service,
 * under the service's own `environment`, which wins; secrets are added by the agent. The
 * user's services are kept as written, so Compose interpolates their `${VAR}` (validation made
 * sure every variable is defined); hafen's own values are written so that it interpolates
 * nothing in them (`$` doubled).
 */
export function composeProject(app: App, unit: string, env: Record<string, string> = {}): ComposeProject {
  const labels = { 'dev.hafen.owned': 'true', 'dev.hafen.app': app.id, 'dev.hafen.unit': unit };
  if (app.project) return directoryProject(app.project, labels, env);
  const services: ComposeProject['services'] = {};
  for (const [name, spec] of Object.entries(app.workload.compose?.services ?? {})) {
    // hafen's labels win over the user's.
    const service: Record<string, unknown> = { ...spec, labels: { ...labelMap((spec as { labels?: unknown }).labels), ...labels }, restart: (spec as { restart?: string }).restart ?? 'unless-stopped' };
    const literalEnv = Object.fromEntries(Object.entries(env).map(([k, v]) => [k, composeLiteral(v)]));
    const environment = { ...literalEnv, ...environmentMap((spec as { environment?: unknown }).environment) };
    if (Object.keys(environment).length > 0) service.environment = environment;
    services[name] = service;
  }
  const compose = app.workload.compose;
  const project: ComposeProject = { name: projectName(unit), services };
  const volumeNames = [...new Set([...app.volumes.map((v) => v.name), ...Object.keys(compose?.volumes ?? {})])];
  if (volumeNames.length > 0) project.volumes = Object.fromEntries(volumeNames.map((v) => [v, labelled(compose?.volumes?.[v], labels)]));
  if (compose?.networks) project.networks = Object.fromEntries(Object.entries(compose.networks).map(([n, def]) => [n, labelled(def, labels)]));
  if (compose?.secrets) project.secrets = compose.secrets;
  if (compose?.configs) project.configs = compose.configs;
  const written = [compose?.services, compose?.volumes, compose?.networks, compose?.secrets, compose?.configs];
  if (written.some((part) => stringsIn(part ?? {}).some(({ text }) => hasVariables(text)))) project.variables = { ...env };
  return project;
}

/**
 * The project with every published port that names no host address bound to `address` (the
 * host's own address, from the agent's --address) instead of all of the host's addresses:
 * "8080:8080" becomes "ADDRESS:8080:8080", a long-syntax port gets `host_ip`. Ports that name
 * an address, and ports not published ("8080"), are left as they are.
 */
export function bindPublishedPorts(project: ComposeProject, address: string): ComposeProject {
  const host = address.includes(':') ? `[${address}]` : address;
  const bind = (port: unknown): unknown => {
    if (typeof port === 'number') return port;
    if (typeof port === 'string') {
      // HOST:CONTAINER has two parts; IP:HOST:CONTAINER three (an IPv6 address is bracketed).
      const parts = port.startsWith('[') ? [] : port.split(':');
      return parts.length === 2 ? `${host}:${port}` : port;
    }
    if (port && typeof port === 'object') {
      const p = port as { published?: unknown; host_ip?: unknown };
      return p.published !== undefined && p.host_ip === undefined ? { ...p, host_ip: address } : port;
    }
    return port;
  };
  const services = Object.fromEntries(
    Object.entries(project.services).map(([name, s]) => [name, Array.isArray(s.ports) ? { ...s, ports: s.ports.map(bind) } : s]),
  );
  return { ...project, services };
}

/**
 * A project directory's unit: its files as they are, and an override that only labels its
 * services (none for a project run in its own `workingDir`) (the project's own name, ports, restart policies and environments stay as written).
 * The app's env and secrets reach it as Compose's variables, for the project's `${VAR}`s,
 * beside its `.env` (they win over it, as a shell's environment does).
 */
function directoryProject(p: NonNullable<App['project']>, labels: Record<string, string>, env: Record<string, string>): ComposeProject {
  const directory: ProjectDirectory = { digest: p.digest, files: [...p.files], composeFiles: [...p.composeFiles], dataDirs: [...p.dataDirs] };
  if (p.workingDir) directory.workingDir = p.workingDir;
  return {
    name: p.name,
    // In its own working directory a project gets nothing added: Compose's config hash of every
    // service stays what it was, so containers that already run are kept (adopted), not recreated.
    services: Object.fromEntries(p.services.map((s) => [s, p.workingDir ? {} : { labels }])),
    directory,
    variables: { ...env },
  };
}
