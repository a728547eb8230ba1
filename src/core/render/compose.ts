/**
 * A compose project per app replica, as data (the agent writes it as YAML and runs compose).
 * hafen adds its ownership labels to every service and volume, names the project after the
 * unit (so names are stable and never collide with projects hafen does not own), and declares
 * the app's volumes so that services can mount them by name.
 */
import type { App } from '../fleet/model.js';

export interface ComposeProject {
  name: string;
  services: Record<string, Record<string, unknown>>;
  volumes?: Record<string, { labels: Record<string, string> }>;
}

/** Compose project names allow lower-case letters, digits, dashes and underscores. */
export function projectName(unit: string): string {
  return `hafen-${unit}`.replace(/[^a-z0-9_-]/g, '-');
}

export function composeProject(app: App, unit: string): ComposeProject {
  const labels = { 'dev.hafen.owned': 'true', 'dev.hafen.app': app.id, 'dev.hafen.unit': unit };
  const services: ComposeProject['services'] = {};
  for (const [name, spec] of Object.entries(app.workload.compose?.services ?? {})) {
    const own = (spec as { labels?: unknown }).labels;
    // Compose allows labels as a mapping or a list of "k=v"; hafen's labels win over the user's.
    const userLabels = Array.isArray(own) ? Object.fromEntries(own.map((l: string) => [l.split('=')[0], l.split('=').slice(1).join('=')])) : ((own as Record<string, string> | undefined) ?? {});
    services[name] = { ...spec, labels: { ...userLabels, ...labels }, restart: (spec as { restart?: string }).restart ?? 'unless-stopped' };
  }
  const project: ComposeProject = { name: projectName(unit), services };
  if (app.volumes.length > 0) project.volumes = Object.fromEntries(app.volumes.map((v) => [v.name, { labels }]));
  return project;
}
