/** Validating and planning a fleet against the newest revision: what a plan shows and an apply keeps. */
import { destroyOf } from '../core/plan/destroy.js';
import type { ParsedFile } from '../core/fleet/source.js';
import { validateFleet } from '../core/fleet/validate.js';
import type { AllocationRecord } from '../core/ipam/record.js';
import { admission } from '../core/plan/admission.js';
import { revisionDiff } from '../core/plan/diff.js';
import { schedule } from '../core/placement/schedule.js';
import type { Placement } from '../core/placement/types.js';
import type { HostDesiredState } from '../core/render/desired.js';
import { render } from '../core/render/revision.js';
import { analyseRisk } from '../core/risk/scenarios.js';
import { HafenError } from '../lib/errors.js';
import type { Holds } from './holds.js';
import type { Secrets } from './secrets.js';
import type { FleetInput, Prepared, Snapshot } from './snapshot.js';

const EMPTY = new Map<string, HostDesiredState>();

export interface PrepareContext {
  /** Parsed fleet files by name: a plan re-parses only the files that changed. */
  parsed: Map<string, ParsedFile>;
  secrets: Secrets;
  holds: Holds;
  current: Snapshot | undefined;
}

/**
 * The plan, and what an apply of it keeps (the rendered state, so it is not rendered twice).
 * Addresses come from `lock` (the fleet's ipam.lock, as the CLI sends it) or else the newest
 * revision's record, so hosts keep their addresses from one revision to the next.
 */
export async function prepareFleet(ctx: PrepareContext, { sources, projects }: FleetInput, lock?: AllocationRecord, previous?: readonly Placement[]): Promise<Prepared> {
  const cur = ctx.current;
  const allocations = lock ?? cur?.ipam?.record;
  const res = validateFleet(sources, { parseCache: ctx.parsed, projects, ...(allocations ? { allocations } : {}) });
  // Files no longer part of the fleet leave the cache.
  for (const name of [...ctx.parsed.keys()]) if (!sources.some((s) => s.name === name)) ctx.parsed.delete(name);
  if (!res.ok || !res.fleet) {
    throw new HafenError('HAFEN_FLEET_INVALID', `the fleet has ${res.problems.filter((p) => p.severity === 'error').length} problem(s); nothing was changed`, { details: res.problems });
  }
  // An empty fleet (a file truncated, the wrong path) would stop every app on every host.
  const empty = res.problems.find((p) => p.code === 'HAFEN_FLEET_EMPTY');
  if (empty) throw new HafenError('HAFEN_FLEET_INVALID', 'the fleet declares nothing (no sites, hosts, customers or apps); nothing was changed', { details: [{ ...empty, severity: 'error' }] });
  const versions = await ctx.secrets.versions();
  const { missingSecrets: missing } = admission(res.fleet, versions);
  if (missing.length > 0) {
    const names = [...new Set(missing.map((m) => m.secret))];
    throw new HafenError(
      'HAFEN_SECRET_MISSING',
      `the fleet uses ${names.length} secret(s) that are not set (${missing.map((m) => `${m.path}: "${m.secret}"`).join('; ')}); set ${names.length === 1 ? 'it' : 'them'} with: ${names.map((n) => `hafen secret set ${n}`).join(', ')}. Nothing was changed`,
      { details: missing },
    );
  }
  // Replicas stay where they are (or where `previous` says: a move placing its target).
  const base = previous ?? cur?.placements;
  const plan = schedule(res.fleet, base ? { previous: base } : {});
  // An app whose backup repository cannot be resolved gets no job (validation warned; GET /v1/backups says why).
  const next = render(res.fleet, plan.placements, (cur?.revision ?? 0) + 1, versions, res.ipam);
  return {
    plan: {
      parent: cur?.revision ?? null,
      placements: plan.placements,
      unplaced: plan.unplaced,
      violations: analyseRisk(res.fleet, plan.placements).violations,
      // Against what each host runs: a host held at an earlier revision changes from that.
      diff: revisionDiff(cur ? await ctx.holds.effective(cur, res.fleet.hosts) : EMPTY, next),
      destroy: destroyOf(cur && { hosts: cur.fleet.hosts.map((h) => h.id), placements: cur.placements }, { hosts: res.fleet.hosts.map((h) => h.id), placements: plan.placements }),
    },
    fleet: res.fleet,
    desired: next,
    secretVersions: versions,
    ipam: res.ipam,
  };
}
