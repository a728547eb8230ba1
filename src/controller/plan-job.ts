/**
 * Validating and planning a fleet against the newest revision, as one job without I/O: what
 * the plan worker (plan-worker.ts) runs off the controller's event loop. Everything it needs
 * comes with the job — the fleet, the newest revision's fleet and placements, the secret
 * versions, the states of hosts held at earlier revisions — and it keeps, per thread, the
 * parsed files and the newest revision rendered, so a second plan against the same revision
 * parses and renders only what changed.
 */
import type { Fleet } from '../core/fleet/model.js';
import type { FleetSource, ParsedFile } from '../core/fleet/source.js';
import { validateFleet } from '../core/fleet/validate.js';
import type { IpamResult } from '../core/ipam/allocate.js';
import type { AllocationRecord } from '../core/ipam/record.js';
import { admission } from '../core/plan/admission.js';
import { destroyOf } from '../core/plan/destroy.js';
import { revisionDiff } from '../core/plan/diff.js';
import { schedule } from '../core/placement/schedule.js';
import type { Placement } from '../core/placement/types.js';
import type { HostDesiredState } from '../core/render/desired.js';
import { render } from '../core/render/revision.js';
import { analyseRisk } from '../core/risk/scenarios.js';
import { HafenError } from '../lib/errors.js';
import { keptProjects, type PlainProjects } from './projects.js';
import type { PlanResult } from './snapshot.js';

/** The newest revision as stored: the worker renders it (once per revision and secret versions). */
export interface CurrentInput {
  revision: number;
  sources: FleetSource[];
  projects: PlainProjects;
  allocations?: AllocationRecord;
  placements: Placement[];
}

export interface PlanJob {
  sources: FleetSource[];
  projects: PlainProjects;
  /** Addresses from the fleet's ipam.lock (as the CLI sends it), else the newest revision's record. */
  lock?: AllocationRecord;
  /** Placements to start from instead of the newest revision's (a move placing its target). */
  previous?: readonly Placement[];
  versions: ReadonlyMap<string, number>;
  current?: CurrentInput;
  /** Hosts held at an earlier revision: the state each runs (null: nothing), which the diff compares against. */
  held: ReadonlyMap<string, HostDesiredState | null>;
}

/** What an apply keeps of a plan (the rendered state, so it is not rendered twice). */
export interface PlannedFleet {
  plan: PlanResult;
  fleet: Fleet;
  desired: Map<string, HostDesiredState>;
  ipam: IpamResult | undefined;
}

/** What a thread keeps between jobs. */
export interface PlanCache {
  parsed: Map<string, ParsedFile>;
  current?: { key: string; fleet: Fleet; desired: Map<string, HostDesiredState> };
}

export const newPlanCache = (): PlanCache => ({ parsed: new Map() });

const EMPTY = new Map<string, HostDesiredState>();

/** The fleet's files together are more than the controller plans. */
export function tooLarge(bytes: number, limit: number): HafenError {
  const size = (n: number) => (n >= 1024 * 1024 ? `${(n / 1024 / 1024).toFixed(1)} MiB` : n >= 1024 ? `${(n / 1024).toFixed(1)} KiB` : `${n} bytes`);
  return new HafenError('HAFEN_PLAN_TOO_LARGE', `the fleet's files are ${size(bytes)}, more than the ${size(limit)} the controller plans (controller --max-fleet-size); nothing was changed`);
}

function currentOf(cache: PlanCache, cur: CurrentInput, versions: ReadonlyMap<string, number>): NonNullable<PlanCache['current']> {
  const key = `${cur.revision} ${JSON.stringify([...versions])}`;
  if (cache.current?.key === key) return cache.current;
  const res = validateFleet(cur.sources, { parseCache: cache.parsed, projects: keptProjects(cur.projects), ...(cur.allocations ? { allocations: cur.allocations } : {}) });
  if (!res.fleet) throw new HafenError('HAFEN_STORE_CORRUPT', `revision ${cur.revision} no longer validates (${res.problems[0]?.message ?? 'unknown problem'})`);
  cache.current = { key, fleet: res.fleet, desired: render(res.fleet, cur.placements, cur.revision, versions, res.ipam) };
  return cache.current;
}

export function planFleet(job: PlanJob, cache: PlanCache): PlannedFleet {
  const cur = job.current;
  const allocations = job.lock ?? cur?.allocations;
  // The newest revision first, so its files are in the parse cache before the fleet's are compared.
  const before = cur && currentOf(cache, cur, job.versions);
  const res = validateFleet(job.sources, { parseCache: cache.parsed, projects: keptProjects(job.projects), ...(allocations ? { allocations } : {}) });
  // Files in neither fleet leave the cache.
  const kept = new Set([...job.sources, ...(cur?.sources ?? [])].map((s) => s.name));
  for (const name of [...cache.parsed.keys()]) if (!kept.has(name)) cache.parsed.delete(name);
  if (!res.ok || !res.fleet) {
    throw new HafenError('HAFEN_FLEET_INVALID', `the fleet has ${res.problems.filter((p) => p.severity === 'error').length} problem(s); nothing was changed`, { details: res.problems });
  }
  // An empty fleet (a file truncated, the wrong path) would stop every app on every host.
  const empty = res.problems.find((p) => p.code === 'HAFEN_FLEET_EMPTY');
  if (empty) throw new HafenError('HAFEN_FLEET_INVALID', 'the fleet declares nothing (no sites, hosts, customers or apps); nothing was changed', { details: [{ ...empty, severity: 'error' }] });
  const { missingSecrets: missing } = admission(res.fleet, job.versions);
  if (missing.length > 0) {
    const names = [...new Set(missing.map((m) => m.secret))];
    throw new HafenError(
      'HAFEN_SECRET_MISSING',
      `the fleet uses ${names.length} secret(s) that are not set (${missing.map((m) => `${m.path}: "${m.secret}"`).join('; ')}); set ${names.length === 1 ? 'it' : 'them'} with: ${names.map((n) => `hafen secret set ${n}`).join(', ')}. Nothing was changed`,
      { details: missing },
    );
  }
  // Replicas stay where they are (or where `previous` says: a move placing its target).
  const base = job.previous ?? cur?.placements;
  const plan = schedule(res.fleet, base ? { previous: base } : {});
  // An app whose backup repository cannot be resolved gets no job (validation warned; GET /v1/backups says why).
  const next = render(res.fleet, plan.placements, (cur?.revision ?? 0) + 1, job.versions, res.ipam);
  // Against what each host runs: a host held at an earlier revision changes from that.
  let effective: Map<string, HostDesiredState> = EMPTY;
  if (before) {
    effective = new Map(before.desired);
    for (const [host, state] of job.held) {
      if (state) effective.set(host, state);
      else effective.delete(host);
    }
  }
  return {
    plan: {
      parent: cur?.revision ?? null,
      placements: plan.placements,
      unplaced: plan.unplaced,
      violations: analyseRisk(res.fleet, plan.placements).violations,
      diff: revisionDiff(effective, next),
      destroy: destroyOf(before && cur && { hosts: before.fleet.hosts.map((h) => h.id), placements: cur.placements }, { hosts: res.fleet.hosts.map((h) => h.id), placements: plan.placements }),
    },
    fleet: res.fleet,
    desired: next,
    ipam: res.ipam,
  };
}
