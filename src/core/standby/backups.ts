/**
 * A standby app's backups follow its writer (pure): the revision renders its backup job on the
 * host of its lowest-numbered replica (core/render/backups.ts); once a failover or switchover
 * made another replica the writer, the job runs on the writer's host instead, for the writer's
 * unit — a standby holds only a copy, as old as its lag, and its host may be the one lost.
 */
import type { Placement } from '../placement/types.js';
import type { BackupJob } from '../render/backups.js';
import type { HostDesiredState } from '../render/desired.js';
import { unitName } from '../render/names.js';
import { naturalCompare } from '../util/natural-sort.js';
import type { AppRole } from './roles.js';

/** Standby apps whose writer is not the replica their job was rendered for: app → [from host, to host, writer unit]. */
function moved(placements: readonly Placement[], roles: ReadonlyMap<string, AppRole>): Map<string, { from: string; to: string; unit: string }> {
  const out = new Map<string, { from: string; to: string; unit: string }>();
  if (roles.size === 0) return out;
  const first = new Map<string, Placement>();
  const writer = new Map<string, Placement>();
  for (const p of placements) {
    const role = roles.get(p.app);
    if (!role) continue;
    if ((first.get(p.app)?.replica ?? Infinity) > p.replica) first.set(p.app, p);
    if (role.active === p.replica) writer.set(p.app, p);
  }
  for (const [app, w] of writer) {
    const f = first.get(app)!;
    if (f.replica !== w.replica) out.set(app, { from: f.host, to: w.host, unit: unitName(app, w.replica) });
  }
  return out;
}

const byApp = (a: BackupJob, b: BackupJob) => naturalCompare(a.app, b.app);

/** One host's backup jobs with its standby apps' jobs where their writers are (`rendered`: every host's state as the revision rendered it); `own` itself when no writer moved to or from it. */
export function writerBackupJobs(host: string, own: readonly BackupJob[] | undefined, rendered: ReadonlyMap<string, Pick<HostDesiredState, 'backups'>>, placements: readonly Placement[], roles: ReadonlyMap<string, AppRole>): BackupJob[] | undefined {
  const m = moved(placements, roles);
  if (![...m.values()].some((v) => v.from === host || v.to === host)) return own as BackupJob[] | undefined;
  const kept = (own ?? []).filter((j) => m.get(j.app)?.from !== host);
  const coming: BackupJob[] = [];
  for (const [app, v] of m) {
    if (v.to !== host) continue;
    const job = rendered.get(v.from)?.backups?.find((j) => j.app === app);
    if (job) coming.push({ ...job, unit: v.unit });
  }
  const jobs = [...kept, ...coming].sort(byApp);
  return jobs.length ? jobs : undefined;
}

/** Every host's state with the standby apps' jobs where their writers are; the same map when no writer moved. */
export function writerBackups<S extends Pick<HostDesiredState, 'backups'>>(rendered: ReadonlyMap<string, S>, placements: readonly Placement[], roles: ReadonlyMap<string, AppRole>): ReadonlyMap<string, S> {
  const m = moved(placements, roles);
  if (m.size === 0) return rendered;
  const hosts = new Set([...m.values()].flatMap((v) => [v.from, v.to]));
  const out = new Map(rendered);
  for (const h of hosts) {
    const state = rendered.get(h);
    if (!state) continue;
    const backups = writerBackupJobs(h, state.backups, rendered, placements, roles);
    const { backups: _old, ...rest } = state;
    out.set(h, { ...rest, ...(backups ? { backups } : {}) } as S);
  }
  return out;
}
