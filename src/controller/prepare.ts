/**
 * Validating and planning a fleet against the newest revision: what a plan shows and an apply
 * keeps. This gathers what the plan needs from the controller (the newest revision, secret
 * versions, hosts held at earlier revisions); the computation itself runs in the planner's
 * worker (plan-job.ts), off the event loop.
 */
import type { AllocationRecord } from '../core/ipam/record.js';
import type { Placement } from '../core/placement/types.js';
import type { Holds } from './holds.js';
import type { PlanContext } from './plan-worker.js';
import { plainProjects } from './projects.js';
import type { Planner } from './planner.js';
import type { Secrets } from './secrets.js';
import type { FleetInput, Prepared, Snapshot } from './snapshot.js';

export interface PrepareContext {
  planner: Planner;
  secrets: Secrets;
  holds: Holds;
  current: Snapshot | undefined;
}

/** What the controller adds to a fleet for the planner: the newest revision, the secret versions, the hosts held at earlier revisions. */
async function planContext(ctx: PrepareContext): Promise<PlanContext> {
  const cur = ctx.current;
  return {
    versions: await ctx.secrets.versions(),
    ...(cur ? { current: { revision: cur.revision, sources: cur.sources, projects: plainProjects(cur.projects), placements: cur.placements, ...(cur.ipam ? { allocations: cur.ipam.record } : {}) } } : {}),
    held: cur ? await ctx.holds.heldStates(cur) : new Map(),
  };
}

/**
 * The plan, and what an apply of it keeps (the rendered state, so it is not rendered twice).
 * Addresses come from `lock` (the fleet's ipam.lock, as the CLI sends it) or else the newest
 * revision's record, so hosts keep their addresses from one revision to the next.
 */
export async function prepareFleet(ctx: PrepareContext, { sources, projects }: FleetInput, lock?: AllocationRecord, previous?: readonly Placement[]): Promise<Prepared> {
  const context = await planContext(ctx);
  const planned = await ctx.planner.plan({ ...context, sources, projects: plainProjects(projects), ...(lock ? { lock } : {}), ...(previous ? { previous } : {}) });
  return { ...planned, secretVersions: context.versions };
}

/** POST /v1/plan's body as received, planned in the worker: the plan's JSON, or with a site the plan whole (planner.ts). */
export async function planBody(ctx: PrepareContext, body: Uint8Array): ReturnType<Planner['planBody']> {
  return ctx.planner.planBody(body, await planContext(ctx));
}
