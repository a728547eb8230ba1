/**
 * The compose project directories a fleet names, found before it is validated (pure): the CLI
 * reads each one (skipping its declared data) and hands the trees to validation, which checks
 * them at the same keys.
 */
import { loadSources, type FleetSource, type ParsedFile } from '../fleet/source.js';
import { projectKey, splitComposeFile } from './project.js';

export interface ProjectRef {
  /** Where the directory is, as `projectKey` resolves it (relative to where the fleet was read from). */
  key: string;
  /** Directories of it that hold data (`workload.compose.data`), relative to it: not read. */
  data: string[];
}

const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);

export function projectRefs(sources: readonly FleetSource[], cache?: Map<string, ParsedFile>): ProjectRef[] {
  // Most fleets name no project directory: they are not read a second time for nothing (a
  // 10,000-host fleet's parse costs a second and a third of a gigabyte).
  if (!sources.some((s) => /\b(project|file)\s*:/.test(s.text))) return [];
  const loaded = loadSources(sources, cache);
  if (loaded.syntaxError) return [];
  const apps = Array.isArray(loaded.data.apps) ? (loaded.data.apps as unknown[]) : [];
  const refs = new Map<string, ProjectRef>();
  apps.forEach((app, i) => {
    const compose = (app as { workload?: { compose?: Record<string, unknown> } } | null)?.workload?.compose;
    if (!compose) return;
    const file = str(compose.file);
    const dir = str(compose.project) ?? (file !== undefined ? splitComposeFile(file).project : undefined);
    if (dir === undefined) return;
    const key = projectKey(loaded.locate(['apps', i]).file ?? '', dir);
    if (key === undefined) return;
    const data = Array.isArray(compose.data) ? compose.data.filter((d): d is string => typeof d === 'string') : [];
    const known = refs.get(key);
    refs.set(key, { key, data: [...new Set([...(known?.data ?? []), ...data])] });
  });
  return [...refs.values()];
}
