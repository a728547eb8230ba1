/** What the controller keeps of a revision (rendered), and what planning one gives. */
import type { Destroy } from '../core/plan/destroy.js';
import type { Fleet } from '../core/fleet/model.js';
import type { FleetSource } from '../core/fleet/source.js';
import type { IpamResult } from '../core/ipam/allocate.js';
import { AllocationRecordSchema, type AllocationRecord } from '../core/ipam/record.js';
import type { RevisionDiff } from '../core/plan/diff.js';
import type { Placement, Unplaced } from '../core/placement/types.js';
import type { HostDesiredState } from '../core/render/desired.js';
import type { Violation } from '../core/risk/scenarios.js';
import type { Projects } from './projects.js';

/** A fleet as planned: its files, and the compose project directories they name. */
export interface FleetInput {
  sources: FleetSource[];
  projects: Projects;
}

export interface Snapshot extends FleetInput {
  revision: number;
  fleet: Fleet;
  placements: Placement[];
  desired: Map<string, HostDesiredState>;
  /** Hash of each host's units: what agents long-poll on. */
  hashes: Map<string, string>;
  /** Each host's address from IPAM (what proxies reach its units at, unless its agent reports another). */
  addresses: Map<string, string>;
  /** Segments and host addresses as IPAM gave them (the site pages); its record is what the next revision keeps. */
  ipam?: IpamResult;
}

/** A stored allocation record (revisions from before hafen kept one have none). */
export function storedRecord(value: unknown): { allocations?: AllocationRecord } {
  const parsed = value === undefined ? undefined : AllocationRecordSchema.safeParse(value);
  return parsed?.success ? { allocations: parsed.data } : {};
}

export interface PlanResult {
  /** The revision planned against (null: none yet); apply must send it back. */
  parent: number | null;
  placements: Placement[];
  unplaced: Unplaced[];
  violations: Violation[];
  diff: RevisionDiff;
  /** What the apply would take away: hosts removed, replicas stopped that run nowhere else (core/plan/destroy.ts). */
  destroy: Destroy;
}

export interface Prepared {
  plan: PlanResult;
  fleet: Fleet;
  desired: Map<string, HostDesiredState>;
  secretVersions: ReadonlyMap<string, number>;
  ipam: IpamResult | undefined;
}
