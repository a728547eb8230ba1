/** Shared by commands that take a FLEET argument: read, validate, print problems. */
import { validateFleet, type ValidationResult } from '../core/fleet/validate.js';
import { readAllocations, readFleetFiles, type FleetFiles } from './fleet-files.js';

export interface LoadedFleet {
  files: FleetFiles;
  allocationsPath: string;
  result: ValidationResult;
}

/** Reads the fleet and its allocation record (if any) and validates both. */
export async function loadFleet(path: string, allocations?: string): Promise<LoadedFleet> {
  const files = await readFleetFiles(path);
  const allocationsPath = allocations ?? files.defaultAllocations;
  const record = await readAllocations(allocationsPath);
  const result = validateFleet(files.sources, record ? { allocations: record } : {});
  return { files, allocationsPath, result };
}
