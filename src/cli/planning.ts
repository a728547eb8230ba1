/** Shared by plan, risk and capacity: a valid fleet, its plan, and plan files on disk. */
import { readFile } from 'node:fs/promises';
import { z } from 'zod';
import type { Fleet } from '../core/fleet/model.js';
import { schedule, type ScheduleResult } from '../core/placement/schedule.js';
import type { Placement } from '../core/placement/types.js';
import { HafenError } from '../lib/errors.js';
import { json, type CliIo, type OutputFormat } from './io.js';
import { loadFleet } from './load.js';
import { countLine, problemsText } from './problems-output.js';

/** Loads and validates a fleet; prints its problems and returns undefined when it is invalid. */
export async function validFleet(path: string, io: CliIo, format: OutputFormat): Promise<Fleet | undefined> {
  const { result } = await loadFleet(path);
  if (result.ok && result.fleet) return result.fleet;
  if (format === 'json') io.stdout(json({ ok: false, problems: result.problems }));
  else io.stderr(`${problemsText(result.problems)}${path}: ${countLine(result.problems)}\n`);
  return undefined;
}

const PlanFile = z.object({
  placements: z.array(z.object({ app: z.string(), replica: z.number().int().min(1), host: z.string(), site: z.string() })),
});

/** Reads the placements of a plan written by `hafen plan --format json` or `--out`. */
export async function readPlan(path: string): Promise<Placement[]> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    throw new HafenError('HAFEN_CLI_PLAN_UNREADABLE', `cannot read plan ${path}: ${(err as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (err as Error).message}`);
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    throw new HafenError('HAFEN_PLAN_INVALID', `plan ${path} is not JSON: ${(err as Error).message}`);
  }
  const res = PlanFile.safeParse(raw);
  if (!res.success) {
    throw new HafenError('HAFEN_PLAN_INVALID', `plan ${path} is not a hafen plan: ${res.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).slice(0, 5).join('; ')}`);
  }
  return res.data.placements;
}

/**
 * The placements to analyse: a saved plan as written (`--plan`), or a fresh plan of the fleet.
 * Replicas of a saved plan on hosts or of apps the fleet no longer has are an error: the
 * analysis would be of another fleet.
 */
export async function placementsFor(fleet: Fleet, planPath: string | undefined): Promise<{ placements: Placement[]; unplaced: ScheduleResult['unplaced'] }> {
  if (!planPath) {
    const res = schedule(fleet);
    return { placements: res.placements, unplaced: res.unplaced };
  }
  const placements = await readPlan(planPath);
  const hosts = new Set(fleet.hosts.map((h) => h.id));
  const apps = new Set(fleet.apps.map((a) => a.id));
  const stale = placements.filter((p) => !hosts.has(p.host) || !apps.has(p.app));
  if (stale.length > 0) {
    const first = stale[0]!;
    throw new HafenError('HAFEN_PLAN_STALE', `plan ${planPath} does not match the fleet: ${stale.length} placement(s) name unknown hosts or apps (first: ${first.app} replica ${first.replica} on ${first.host}); run hafen plan again`);
  }
  return { placements, unplaced: [] };
}
