/**
 * Reading a fleet from disk: one YAML file, or every YAML file below a directory — except
 * below a directory that holds a Compose file: that is a compose project (its compose file,
 * `.env`, config files), not fleet YAML, and is left alone.
 */
import { readFile, readdir, stat } from 'node:fs/promises';
import { basename, dirname, extname, join, relative } from 'node:path';
import { COMPOSE_FILE_NAMES } from '../core/compose/project.js';
import type { FleetSource } from '../core/fleet/source.js';
import { parseRecord, type AllocationRecord } from '../core/ipam/record.js';
import { HafenError } from '../lib/errors.js';

export interface FleetFiles {
  /** The path as given. */
  path: string;
  isDirectory: boolean;
  sources: FleetSource[];
  /** Where the IPAM allocation record lives unless --allocations says otherwise. */
  defaultAllocations: string;
  /** Directories below a fleet directory not read as fleet YAML: compose projects (they hold a Compose file). */
  composeProjects: string[];
}

const YAML_EXT = new Set(['.yaml', '.yml']);

function unreadable(path: string, err: unknown): HafenError {
  const code = (err as NodeJS.ErrnoException).code;
  const why = code === 'ENOENT' ? 'no such file or directory' : code === 'EACCES' ? 'permission denied' : (err as Error).message;
  return new HafenError('HAFEN_CLI_FLEET_UNREADABLE', `cannot read fleet ${path}: ${why}`);
}

/** Reads the fleet at `path`. Throws HAFEN_CLI_FLEET_UNREADABLE when it cannot be read. */
export async function readFleetFiles(path: string): Promise<FleetFiles> {
  let info;
  try {
    info = await stat(path);
  } catch (err) {
    throw unreadable(path, err);
  }
  if (!info.isDirectory()) {
    try {
      const text = await readFile(path, 'utf8');
      const stem = basename(path, extname(path));
      return { path, isDirectory: false, sources: [{ name: path, text }], defaultAllocations: join(dirname(path), `${stem}.ipam.lock`), composeProjects: [] };
    } catch (err) {
      throw unreadable(path, err);
    }
  }
  const files: string[] = [];
  const composeProjects: string[] = [];
  async function walk(dir: string): Promise<void> {
    const entries = await readdir(dir, { withFileTypes: true });
    // A compose project below the fleet (not the fleet directory itself): none of it is fleet YAML.
    if (dir !== path && entries.some((e) => e.isFile() && (COMPOSE_FILE_NAMES as readonly string[]).includes(e.name))) {
      composeProjects.push(dir);
      return;
    }
    for (const e of entries) {
      if (e.name.startsWith('.') || e.name === 'node_modules') continue;
      const full = join(dir, e.name);
      if (e.isDirectory()) await walk(full);
      else if (e.isFile() && YAML_EXT.has(extname(e.name))) files.push(full);
    }
  }
  try {
    await walk(path);
  } catch (err) {
    throw unreadable(path, err);
  }
  if (files.length === 0) {
    const projects = composeProjects.length ? ` outside compose projects (${composeProjects.length} skipped: ${composeProjects.slice(0, 3).map((d) => relative(path, d)).join(', ')}${composeProjects.length > 3 ? ', …' : ''})` : '';
    throw new HafenError('HAFEN_CLI_FLEET_UNREADABLE', `cannot read fleet ${path}: the directory holds no .yaml or .yml files${projects}`);
  }
  // Sorted by relative path (code points): the merge order, and so every list order, is the same on every machine.
  files.sort((a, b) => (relative(path, a) < relative(path, b) ? -1 : 1));
  const sources: FleetSource[] = [];
  for (const f of files) {
    try {
      sources.push({ name: f, text: await readFile(f, 'utf8') });
    } catch (err) {
      throw unreadable(f, err);
    }
  }
  composeProjects.sort();
  return { path, isDirectory: true, sources, defaultAllocations: join(path, 'ipam.lock'), composeProjects };
}

/** Reads an allocation record; undefined when the file does not exist yet. */
export async function readAllocations(path: string): Promise<AllocationRecord | undefined> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new HafenError('HAFEN_CLI_ALLOCATIONS_UNREADABLE', `cannot read allocation record ${path}: ${(err as Error).message}`);
  }
  const parsed = parseRecord(text);
  if (!parsed.ok) {
    throw new HafenError('HAFEN_IPAM_RECORD_INVALID', `allocation record ${path} is invalid: ${parsed.problems.join('; ')}`);
  }
  return parsed.record;
}
