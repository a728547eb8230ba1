/**
 * Running a stateful move (pure): pre-copy while the app runs, then, at its agreed time, stop,
 * final copy, checksums, start at the target, verify, and only then retire the source. Like a
 * live move (run.ts) every transition is stored before it takes effect, and what agents do is a
 * function of the stored state (copy orders, the overlay), so a controller restart carries on.
 *
 *   copying   the target host's agent pulls the app's data from the source host (rsync over
 *             ssh, read-only, with a key for this move only) while the app runs; each round
 *             copies what changed during the one before, until a round is short enough;
 *   ready     the copy is close; waiting for the move's time (a last round first when the
 *             copy has gone stale);
 *   stopping  the source unit is stopped and taken off traffic: the downtime begins;
 *   syncing   the final copy, then a checksum comparison of every file: any difference, and
 *             the move rolls back;
 *   starting  the unit starts at the target and takes the traffic once healthy;
 *   verifying it must stay healthy for a while; then finishing places it at the target.
 * Rolling back starts the source again on its own data (which hafen never touched) and drops
 * the target; writes the target took after the switch are not carried back.
 */
import { formatBytes } from '../fleet/units.js';
import type { CopyReport } from '../render/move-orders.js';
import type { CopyRound, MoveRecord } from './record.js';
import { secondsSince, transition as to, type RunStep, type TargetView } from './run.js';

export type { CopyReport };

export interface CutoverOptions {
  /** Most pre-copy rounds. */
  rounds: number;
  /** A pre-copy round this short means the final copy will be short too. */
  closeSeconds: number;
  /** A copy older than this at the move's time gets one more round first. */
  staleSeconds: number;
  stopTimeoutSeconds: number;
  startTimeoutSeconds: number;
  verifySeconds: number;
}

export const DEFAULT_CUTOVER: CutoverOptions = { rounds: 5, closeSeconds: 60, staleSeconds: 600, stopTimeoutSeconds: 120, startTimeoutSeconds: 300, verifySeconds: 30 };

/** What the controller sees of a cutover: the copy asked for, the source unit, the target unit. */
export interface CutoverView {
  copy?: CopyReport;
  /** Whether the source host reported the unit stopped since the stop was asked. */
  sourceStopped: boolean;
  /** The source unit as its host reports it (for the way back). */
  source: TargetView;
  target: TargetView;
}

/** The copy the target host's agent is asked to make now, if any. */
export function copyOrder(r: MoveRecord): { id: string; final: boolean } | undefined {
  const run = r.run;
  if (r.state !== 'running' || !run || run.paused) return undefined;
  if (run.phase === 'copying') return { id: `${r.id}/copy-${(run.copies?.length ?? 0) + 1}`, final: false };
  if (run.phase === 'syncing') return { id: `${r.id}/final`, final: true };
  return undefined;
}

/** One step of a running cutover given what the hosts report. */
export function advanceCutover(r: MoveRecord, view: CutoverView, now: Date, o: CutoverOptions = DEFAULT_CUTOVER): RunStep | undefined {
  const run = r.run;
  if (r.state !== 'running' || !run || run.paused) return undefined;
  const held = secondsSince(run.phaseSince, now);
  const back = (reason: string) => to(r, now, { phase: 'rolling-back', reason }, `rolling back: ${reason}`, 'rollback');
  const due = now.getTime() >= Date.parse(r.move.start);
  const order = copyOrder(r);
  const copy = order && view.copy?.id === order.id ? view.copy : undefined;
  // Too late in the window to stop, copy, start and still have room to roll back: no downtime today.
  const end = r.move.window ? Date.parse(r.move.window.end) : undefined;
  const tooLate = end !== undefined && now.getTime() + 2 * r.move.downtimeSeconds * 1000 > end;
  const stop = (rec: MoveRecord, why: string): RunStep => {
    if (tooLate) return to(rec, now, { phase: 'rolling-back', reason: `too late in the maintenance window (it ends ${r.move.window!.end}) to stop the app; it was not stopped` }, 'rolling back: too late in the maintenance window to stop the app', 'rollback');
    return to(rec, now, { phase: 'stopping', stoppedAt: now.toISOString() }, `${why}; stopping ${r.move.app} at ${r.move.from}: the downtime begins`);
  };
  switch (run.phase) {
    case 'copying': {
      if (!copy || copy.state === 'running') return undefined;
      if (copy.state === 'failed') return back(`the pre-copy failed: ${copy.error ?? 'no detail'}`);
      const n = (run.copies?.length ?? 0) + 1;
      const done: CopyRound = { round: n, bytes: copy.bytes ?? 0, seconds: copy.seconds ?? 0, at: now.toISOString() };
      const copies = [...(run.copies ?? []), done];
      const said = `pre-copy round ${n}: ${formatBytes(done.bytes)} in ${done.seconds.toFixed(1)} s`;
      const close = done.seconds <= o.closeSeconds || n >= o.rounds;
      if (!close) return to(r, now, { copies }, `${said}; copying what changed meanwhile`);
      const next: MoveRecord = { ...r, run: { ...run, copies } };
      if (due) return stop(next, said);
      return to(next, now, { phase: 'ready' }, `${said}; the copy is close: waiting for ${r.move.start}`);
    }
    case 'ready': {
      if (!due) return undefined;
      const last = run.copies?.at(-1);
      if (!tooLate && (!last || secondsSince(last.at, now) > o.staleSeconds)) return to(r, now, { phase: 'copying' }, 'the copy is stale: one more pre-copy round first');
      return stop(r, 'the time has come');
    }
    case 'stopping':
      if (view.sourceStopped) return to(r, now, { phase: 'syncing' }, `${r.move.app} stopped at ${r.move.from}; the final copy begins`);
      if (held >= o.stopTimeoutSeconds) return back(`${r.move.app} did not stop at ${r.move.from} within ${o.stopTimeoutSeconds} s`);
      return undefined;
    case 'syncing': {
      if (!copy || copy.state === 'running') return undefined;
      if (copy.state === 'failed') return back(`the final copy failed: ${copy.error ?? 'no detail'}`);
      if (copy.identical !== true) return back(`the data at ${r.move.to} differs from the source after the final copy${copy.differences?.length ? `: ${copy.differences.slice(0, 3).join(', ')}` : ''}`);
      const copies = [...(run.copies ?? []), { round: 'final' as const, bytes: copy.bytes ?? 0, seconds: copy.seconds ?? 0, at: now.toISOString() }];
      return to(r, now, { phase: 'starting', copies }, `final copy: ${formatBytes(copy.bytes ?? 0)} in ${(copy.seconds ?? 0).toFixed(1)} s; the checksums of every file match; starting ${r.move.app} at ${r.move.to}`);
    }
    case 'starting':
      if (view.target.state === 'failed') return back(`the target failed to start (${view.target.detail ?? 'no detail'})`);
      if (view.target.state === 'healthy') {
        const down = secondsSince(run.stoppedAt ?? run.phaseSince, now);
        return to(r, now, { phase: 'verifying', downtimeSeconds: Math.round(down * 10) / 10 }, `${r.move.app} is healthy at ${r.move.to} and takes the traffic: down ${down.toFixed(1)} s (estimated ${r.move.downtimeSeconds} s); verifying for ${o.verifySeconds} s`);
      }
      if (held >= o.startTimeoutSeconds) return back(`the target was not healthy within ${o.startTimeoutSeconds} s (${view.target.detail ?? view.target.state})`);
      return undefined;
    case 'verifying':
      if (view.target.state !== 'healthy') return back(`the target is ${view.target.state} while verified (${view.target.detail ?? 'no detail'})`);
      if (held < o.verifySeconds) return undefined;
      return { ...to(r, now, { phase: 'finishing' }, `verified: healthy at ${r.move.to} for ${o.verifySeconds} s; placing the replica there, the source retires`), finish: true };
    case 'finishing':
      return { record: r, finish: true };
    case 'rolling-back': {
      // The source runs again (on its own data) once its host says so; without a health check, running is enough.
      const wasStopped = run.stoppedAt !== undefined;
      if (wasStopped && view.source.state !== 'healthy' && held < o.startTimeoutSeconds) return undefined;
      const how = !wasStopped ? 'the app ran on at the source throughout' : view.source.state === 'healthy' ? `${r.move.app} runs at ${r.move.from} again on its own data` : `${r.move.app} is not back healthy at ${r.move.from} (${view.source.detail ?? view.source.state}) after ${o.startTimeoutSeconds} s: look at it`;
      return { record: { ...r, state: 'rolled-back', updatedAt: now.toISOString() }, event: { migration: r.id, at: now.toISOString(), kind: 'rolled-back', detail: `rolled back: ${how} (${run.reason ?? 'aborted'})` } };
    }
    default:
      return undefined;
  }
}

/**
 * The planned work of running cutovers, for the alerting: the app's alerts are muted from its
 * stop while the move runs (its checks fail by plan), five minutes ahead at a time, so a move
 * that ends, or a controller that stops evaluating, leaves nothing muted for long.
 */
export function cutoverMaintenance(records: readonly MoveRecord[], now: Date): { id: string; from: string; to: string; app: string; comment: string }[] {
  return records
    .filter((r) => r.state === 'running' && r.move.strategy === 'cutover' && r.run?.stoppedAt !== undefined)
    .map((r) => ({ id: `migration-${r.id}`, from: r.run!.stoppedAt!, to: new Date(now.getTime() + 300_000).toISOString(), app: r.move.app, comment: `cutover ${r.id}: ${r.move.app} moves from ${r.move.from} to ${r.move.to} (${r.run!.phase})` }));
}
