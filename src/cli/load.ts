/** Shared by commands that take a FLEET argument: read, validate, print problems. */
import type { ParsedFile } from '../core/fleet/source.js';
import { validateFleet, type ValidationResult } from '../core/fleet/validate.js';
import { readComposeProjects, type ReadProject } from './compose-projects.js';
import { readAllocations, readFleetFiles, type FleetFiles } from './fleet-files.js';

export interface LoadedFleet {
  files: FleetFiles;
  allocationsPath: string;
  /** The compose project directories the fleet names, by key, as read. */
  projects: Map<string, ReadProject>;
  result: ValidationResult;
}

/** Reads the fleet, the compose projects it names and its allocation record (if any), and validates them. */
export async function loadFleet(path: string, allocations?: string): Promise<LoadedFleet> {
  const files = await readFleetFiles(path);
  const allocationsPath = allocations ?? files.defaultAllocations;
  const record = await readAllocations(allocationsPath);
  const parseCache = new Map<string, ParsedFile>();
  const projects = await readComposeProjects(files.sources, parseCache);
  const result = validateFleet(files.sources, { parseCache, projects, ...(record ? { allocations: record } : {}) });
  return { files, allocationsPath, projects, result };
}
