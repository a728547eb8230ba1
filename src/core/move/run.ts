/**
 * Running a live move (pure): a state machine over what the controller observes, and the
 * overlay each state puts on the newest revision (the target replica and the proxies'
 * weights). The controller stores every transition before it takes effect, so a restart
 * carries on from the stored phase; each step is idempotent (the overlay is a function of the
 * stored state only).
 *
 *   starting  the target replica runs beside the source (weight 0, so the proxies check it
 *             without sending it traffic) until its host reports it running and healthy;
 *   shifting  traffic moves in steps (10 %, 50 %, 100 % by default), every site's proxies
 *             weighing the two replicas alike, each step held while the target stays healthy;
 *   draining  the source takes no new requests while those in flight finish;
 *   finishing a new revision places the replica at the target, and the move is done.
 * A target that does not get healthy in time, or falls ill, or an abort, rolls back: traffic
 * returns to the source (which never stopped), the target drains, then goes. Pause holds a
 * move where it is (its weights stay) until resumed.
 */
import type { MoveEvent, MoveRecord, MoveRun, RunPhase } from './record.js';

export type { MoveRun, RunPhase };

export interface RunOptions {
  /** The target's share of the traffic at each step (percent). */
  weights: number[];
  stepSeconds: number;
  /** How long the target may take to run and pass its health check. */
  startTimeoutSeconds: number;
  drainSeconds: number;
}

export const DEFAULT_RUN: RunOptions = { weights: [10, 50, 100], stepSeconds: 60, startTimeoutSeconds: 300, drainSeconds: 30 };

/** What the controller sees of the target replica: its host's report. */
export interface TargetView {
  state: 'healthy' | 'starting' | 'failed';
  detail?: string;
}

export interface RunStep {
  record: MoveRecord;
  event?: MoveEvent;
  /** The caller must store a revision that places the replica at the target, then call `finished`. */
  finish?: boolean;
}

export const secondsSince = (iso: string, now: Date) => (now.getTime() - Date.parse(iso)) / 1000;

/** A run's next step: the changed run in a new phase time (a step of its own), with its event when there is a detail to record. */
export function transition(r: MoveRecord, now: Date, run: Partial<MoveRun>, detail?: string, kind: MoveEvent['kind'] = 'step'): RunStep {
  const at = now.toISOString();
  const next: MoveRun = { ...r.run!, ...run, phaseSince: at };
  return { record: { ...r, run: next, updatedAt: at }, ...(detail ? { event: { migration: r.id, at, kind, detail } } : {}) };
}

/** Starts an accepted move whose time has come (the caller checked `mayRun`). */
export function startRun(r: MoveRecord, now: Date): RunStep {
  const at = now.toISOString();
  const m = r.move;
  if (m.strategy === 'cutover') {
    return {
      record: { ...r, state: 'running', run: { phase: 'copying', step: 0, phaseSince: at, startedAt: at, copies: [] }, updatedAt: at },
      event: { migration: r.id, at, kind: 'started', detail: `started: the pre-copy of ${m.app}'s data from ${m.from} to ${m.to} while it runs; it stops at ${m.start}` },
    };
  }
  if (m.strategy === 'switchover') {
    return {
      record: { ...r, state: 'running', run: { phase: 'handing-over', step: 0, phaseSince: at, startedAt: at }, updatedAt: at },
      event: { migration: r.id, at, kind: 'started', detail: `started: ${m.targets.map((t) => `${m.app}-r${t.replica}`).join(', ')} moves to ${m.to} as a standby first (never a second writer)` },
    };
  }
  return {
    record: { ...r, state: 'running', run: { phase: 'starting', step: 0, phaseSince: at, startedAt: at }, updatedAt: at },
    event: { migration: r.id, at, kind: 'started', detail: `started: ${m.targets.map((t) => `${m.app}-r${t.replica} on ${t.to}`).join(', ')} beside the source` },
  };
}

/** One step of a running move given what the target's host reports. */
export function advanceRun(r: MoveRecord, target: TargetView, now: Date, o: RunOptions = DEFAULT_RUN): RunStep | undefined {
  const run = r.run;
  if (r.state !== 'running' || !run || run.paused) return undefined;
  const held = secondsSince(run.phaseSince, now);
  const back = (reason: string) => transition(r, now, { phase: 'rolling-back', reason }, `rolling back: ${reason}`, 'rollback');
  switch (run.phase) {
    case 'starting':
      if (target.state === 'failed') return back(`the target failed to start (${target.detail ?? 'no detail'})`);
      if (target.state === 'healthy') return transition(r, now, { phase: 'shifting', step: 0 }, `the target is healthy; ${o.weights[0]} % of the traffic to ${r.move.to}`);
      if (held >= o.startTimeoutSeconds) return back(`the target was not healthy within ${o.startTimeoutSeconds} s (${target.detail ?? target.state})`);
      return undefined;
    case 'shifting':
      if (target.state !== 'healthy') return back(`the target is ${target.state} at ${o.weights[run.step]} % (${target.detail ?? 'no detail'})`);
      if (held < o.stepSeconds) return undefined;
      if (run.step + 1 < o.weights.length) return transition(r, now, { step: run.step + 1 }, `${o.weights[run.step + 1]} % of the traffic to ${r.move.to}`);
      return transition(r, now, { phase: 'draining' }, `all traffic at ${r.move.to}; the source drains for ${o.drainSeconds} s`);
    case 'draining':
      if (target.state !== 'healthy') return back(`the target is ${target.state} while the source drains (${target.detail ?? 'no detail'})`);
      if (held < o.drainSeconds) return undefined;
      return { ...transition(r, now, { phase: 'finishing' }, 'the source drained; placing the replica at the target'), finish: true };
    case 'finishing':
      return { record: r, finish: true };
    case 'rolling-back':
      if (held < o.drainSeconds) return undefined;
      return { record: { ...r, state: 'rolled-back', updatedAt: now.toISOString() }, event: { migration: r.id, at: now.toISOString(), kind: 'rolled-back', detail: `rolled back: the app runs at ${r.move.from} as before (${run.reason ?? 'aborted'})` } };
    default:
      return undefined;
  }
}

/** The revision placing the replica at the target is stored: the move is done. */
export function finished(r: MoveRecord, now: Date, revision: number): RunStep {
  const at = now.toISOString();
  return { record: { ...r, state: 'done', updatedAt: at }, event: { migration: r.id, at, kind: 'done', detail: `done: revision ${revision} places ${r.move.app} at ${r.move.to}; the source replica stops` } };
}

/** Pause, resume or abort (abort rolls back; a move placing its revision can no longer be stopped). */
export function control(r: MoveRecord, action: 'pause' | 'resume' | 'abort', by: string, now: Date): RunStep | { error: string } {
  const run = r.run;
  if (r.state !== 'running' || !run) return { error: `migration ${r.id} is ${r.state}: only a running move can be ${action === 'abort' ? 'aborted' : `${action}d`}${r.state === 'accepted' || r.state === 'proposed' ? ' (cancel it instead)' : ''}` };
  if (run.phase === 'finishing' || run.phase === 'handing-back') return { error: `migration ${r.id} ${run.phase === 'finishing' ? 'is placing its final revision' : 'placed its replica and hands the writes back'}: it can no longer be ${action === 'abort' ? 'aborted' : `${action}d`}` };
  if (action === 'abort') {
    if (run.phase === 'rolling-back') return { error: `migration ${r.id} is already rolling back` };
    return transition(r, now, { phase: 'rolling-back', reason: `aborted by ${by}`, paused: false }, `aborted by ${by}; rolling back`, 'rollback');
  }
  if ((action === 'pause') === Boolean(run.paused)) return { error: `migration ${r.id} is ${run.paused ? 'already paused' : 'not paused'}` };
  const at = now.toISOString();
  // A resumed step starts its time afresh.
  return { record: { ...r, run: { ...run, paused: action === 'pause', phaseSince: at }, updatedAt: at }, event: { migration: r.id, at, kind: action === 'pause' ? 'paused' : 'resumed', detail: `${action === 'pause' ? 'paused' : 'resumed'} by ${by} (${run.phase})` } };
}

/** What running moves put on top of the newest revision. */
export interface MoveOverlay {
  app: string;
  /** Replicas the move adds: the source host's unit, run on the target host too. */
  units: { replica: number; from: string; to: string }[];
  /** The target's share of the traffic (0 to 100); the source gets the rest. */
  targetWeight: number;
  /** The source takes no new requests. */
  sourceDrain: boolean;
  /** The target takes no new requests (rolling back). */
  targetDrain: boolean;
  /** The target host runs the unit (a cutover: only once the data is there). */
  targetRuns: boolean;
  /** The source host stops the unit (a cutover, from its stop on). */
  sourceStops: boolean;
  /** A switchover move's target: one more standby of its app, never in the route table. */
  standby?: true;
}

const CUTOVER_TARGET_RUNS = new Set<RunPhase>(['starting', 'verifying', 'finishing']);
const CUTOVER_SOURCE_STOPS = new Set<RunPhase>(['stopping', 'syncing', 'starting', 'verifying', 'finishing']);
/** A switchover move's target runs (as a standby) once the writes left the replica, until the revision places it. */
const SWITCHOVER_TARGET_RUNS = new Set<RunPhase>(['starting', 'finishing']);

export function overlayOf(records: readonly MoveRecord[], o: RunOptions = DEFAULT_RUN): MoveOverlay[] {
  const out: MoveOverlay[] = [];
  for (const r of records) {
    const run = r.run;
    if (r.state !== 'running' || !run) continue;
    const units = r.move.targets.map((t) => ({ replica: t.replica, from: t.from, to: t.to }));
    if (r.move.strategy === 'cutover') {
      const targetRuns = CUTOVER_TARGET_RUNS.has(run.phase);
      const sourceStops = CUTOVER_SOURCE_STOPS.has(run.phase);
      if (targetRuns || sourceStops) out.push({ app: r.move.app, units, targetWeight: targetRuns ? 100 : 0, sourceDrain: sourceStops, targetDrain: false, targetRuns, sourceStops });
      continue;
    }
    if (r.move.strategy === 'switchover') {
      if (SWITCHOVER_TARGET_RUNS.has(run.phase)) out.push({ app: r.move.app, units, targetWeight: 0, sourceDrain: false, targetDrain: false, targetRuns: true, sourceStops: false, standby: true });
      continue;
    }
    const w = run.phase === 'starting' ? 0 : run.phase === 'shifting' ? o.weights[run.step] ?? 100 : run.phase === 'rolling-back' ? 0 : 100;
    out.push({ app: r.move.app, units, targetWeight: w, sourceDrain: run.phase === 'draining' || run.phase === 'finishing', targetDrain: run.phase === 'rolling-back', targetRuns: true, sourceStops: false });
  }
  return out;
}

/** A host's report as far as a move looks at it. */
export interface HostReportView {
  reportedAt: string;
  units?: { name: string; hash: string; state: string; healthy?: boolean; lastError?: string }[];
}

/** The target replica as its host reports it, for a move started at `since`. */
export function targetView(report: HostReportView | undefined, unit: { name: string; hash: string; health?: unknown }, since: string): TargetView {
  if (!report || Date.parse(report.reportedAt) < Date.parse(since)) return { state: 'starting', detail: 'no report from its host since the move started' };
  const seen = report.units?.find((u) => u.name === unit.name);
  if (!seen || seen.hash !== unit.hash) return { state: 'starting', detail: `${unit.name} not started yet` };
  if (seen.state === 'failed') return { state: 'failed', detail: `${unit.name} failed${seen.lastError ? `: ${seen.lastError}` : ''}` };
  if (seen.state !== 'running') return { state: 'starting', detail: `${unit.name} is ${seen.state}` };
  if (seen.healthy === false || (unit.health !== undefined && seen.healthy !== true)) return { state: 'starting', detail: `${unit.name} is not healthy` };
  return { state: 'healthy' };
}
