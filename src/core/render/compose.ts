/**
 * A compose project per app replica, as data (the agent writes it as YAML and runs compose).
 * hafen adds its ownership labels to every service and volume, names the project after the
 * unit (so names are stable and never collide with projects hafen does not own), and declares
 * the app's volumes so that services can mount them by name.
 */
import { composeLiteral, hasVariables, stringsIn } from '../fleet/interpolation.js';
import type { App } from '../fleet/model.js';

export interface ComposeProject {
  name: string;
  /** The services as the user wrote them (Compose interpolates their variables), with hafen's labels and the app's env. */
  services: Record<string, Record<string, unknown>>;
  volumes?: Record<string, { labels: Record<string, string> }>;
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
  const services: ComposeProject['services'] = {};
  for (const [name, spec] of Object.entries(app.workload.compose?.services ?? {})) {
    const own = (spec as { labels?: unknown }).labels;
    // Compose allows labels as a mapping or a list of "k=v"; hafen's labels win over the user's.
    const userLabels = Array.isArray(own) ? Object.fromEntries(own.map((l: string) => [l.split('=')[0], l.split('=').slice(1).join('=')])) : ((own as Record<string, string> | undefined) ?? {});
    const service: Record<string, unknown> = { ...spec, labels: { ...userLabels, ...labels }, restart: (spec as { restart?: string }).restart ?? 'unless-stopped' };
    const literalEnv = Object.fromEntries(Object.entries(env).map(([k, v]) => [k, composeLiteral(v)]));
    const environment = { ...literalEnv, ...environmentMap((spec as { environment?: unknown }).environment) };
    if (Object.keys(environment).length > 0) service.environment = environment;
    services[name] = service;
  }
  const project: ComposeProject = { name: projectName(unit), services };
  if (app.volumes.length > 0) project.volumes = Object.fromEntries(app.volumes.map((v) => [v.name, { labels }]));
  const own = Object.values(app.workload.compose?.services ?? {});
  if (own.some((spec) => stringsIn(spec).some(({ text }) => hasVariables(text)))) project.variables = { ...env };
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
