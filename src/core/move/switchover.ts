/**
 * A standby app's replica moving live (pure): never two writers. The replica's writer role, if
 * it has it, goes first to another standby by a switchover (writes pause for seconds, nothing
 * acknowledged is lost); then the replica runs at the target as one more standby beside the
 * source, copying from the writer (files, or PostgreSQL streaming), until its copy is fresh;
 * then a revision places it at the target (the source stops); then the writer role comes back
 * to it by a second switchover. The controller stores each step before it takes effect; the
 * switchovers are the standby machinery's own (controller/standbys.ts), asked for once each.
 *
 *   handing-over  the replica writes: a switchover to `handTo` is asked for, and awaited; a
 *                 replica that does not write goes straight on;
 *   starting      the target runs as a standby (overlay) until it reports a copy begun after
 *                 this phase began;
 *   finishing     the revision placing the replica at the target is stored;
 *   handing-back  the switchover back to the replica (now at the target) is asked for, and
 *                 awaited; a failed one leaves the writer where it is, said in the event;
 *   rolling-back  the target goes; the writer comes back to the replica at the source.
 */
import type { MoveRecord } from './record.js';
import { secondsSince, transition, type RunOptions, type RunStep } from './run.js';

/** What the controller sees of the app for a switchover move. */
export interface SwitchoverView {
  /** The replica that writes now; undefined while a switchover is between its stop and its promotion. */
  writer: number | undefined;
  /** A switchover of the app is under way. */
  switching: boolean;
  /** The standby to hand the writes to (fresh copy, host reporting, not at the target site), when one qualifies. */
  handTo?: { replica: number; site: string };
  /** When the target's newest copy began (ms), as its host reports it; a PostgreSQL standby: when it was last seen streaming. */
  targetCopiedAt?: number;
  /** The target's last copy failed (its agent's error; it tries again at the app's interval). */
  targetError?: string;
}

/** A step, and the switchover it asks the standby machinery for (to the app's replica at `site`). */
export interface SwitchoverStep extends RunStep {
  switchTo?: string;
}

const replicaOf = (r: MoveRecord) => r.move.targets[0]!.replica;

/** One step of a running switchover move. */
export function advanceSwitchover(r: MoveRecord, v: SwitchoverView, now: Date, o: RunOptions): SwitchoverStep | undefined {
  const run = r.run;
  if (r.state !== 'running' || !run || run.paused) return undefined;
  const n = replicaOf(r);
  const held = secondsSince(run.phaseSince, now);
  const back = (reason: string) => transition(r, now, { phase: 'rolling-back', reason }, `rolling back: ${reason}`, 'rollback');
  switch (run.phase) {
    case 'handing-over': {
      const h = run.handover;
      if (v.switching) return held >= o.startTimeoutSeconds ? back(`the switchover to ${r.move.app}-r${h?.replica ?? '?'} did not finish within ${o.startTimeoutSeconds} s`) : undefined;
      if (v.writer !== n) {
        const detail = h ? `${r.move.app}-r${v.writer ?? '?'} at ${h.site} writes meanwhile; ${r.move.app}-r${n} starts at ${r.move.to} as a standby` : `${r.move.app}-r${n} is a standby: it starts at ${r.move.to} beside the source`;
        return transition(r, now, { phase: 'starting' }, detail);
      }
      if (h) return back(`the switchover to ${r.move.app}-r${h.replica} at ${h.site} was given up: r${n} writes again`);
      if (held >= o.startTimeoutSeconds) return back(v.handTo ? `the switchover to r${v.handTo.replica} at ${v.handTo.site} could not be started within ${o.startTimeoutSeconds} s` : `no other standby of ${r.move.app} with a current copy to take the writes`);
      if (!v.handTo) return undefined;
      return { ...transition(r, now, { handover: { replica: v.handTo.replica, site: v.handTo.site } }, `${r.move.app}-r${n} writes: switching over to r${v.handTo.replica} at ${v.handTo.site} while it moves`), switchTo: v.handTo.site };
    }
    case 'starting':
      if (v.writer === n) return back(`${r.move.app}-r${n} writes again: it cannot start a second time at ${r.move.to}`);
      if (v.targetCopiedAt !== undefined && v.targetCopiedAt >= Date.parse(run.phaseSince)) {
        return { ...transition(r, now, { phase: 'finishing' }, `the standby at ${r.move.to} holds a fresh copy; placing the replica there`), finish: true };
      }
      return held >= o.startTimeoutSeconds ? back(`the standby at ${r.move.to} made no copy within ${o.startTimeoutSeconds} s${v.targetError ? ` (its last copy failed: ${v.targetError})` : ''}`) : undefined;
    case 'finishing':
      return { record: r, finish: true };
    case 'handing-back': {
      const h = run.handover!;
      if (v.switching) return undefined;
      if (v.writer === n) return done(r, now, `${r.move.app}-r${n} writes again, at ${r.move.to}`);
      if (!h.back) return { ...transition(r, now, { handover: { ...h, back: true } }, `switching the writes back to ${r.move.app}-r${n} at ${r.move.to}`), switchTo: r.move.to };
      // Asked and not switching: it was given up (the old writer writes again) — the move itself is done.
      return done(r, now, `the switchover back to ${r.move.app}-r${n} was given up: r${v.writer ?? '?'} at ${h.site} keeps writing (hafen failover ${r.move.app} --to ${r.move.to} tries again)`);
    }
    case 'rolling-back': {
      const h = run.handover;
      if (v.switching) return undefined;
      if (h && v.writer !== n && held < o.startTimeoutSeconds) {
        if (h.back) return undefined;
        return { ...transition(r, now, { handover: { ...h, back: true } }, `switching the writes back to ${r.move.app}-r${n} at ${r.move.from}`), switchTo: r.move.from };
      }
      const at = now.toISOString();
      const stays = h && v.writer !== n ? `; r${v.writer ?? '?'} at ${h.site} keeps writing` : '';
      return { record: { ...r, state: 'rolled-back', updatedAt: at }, event: { migration: r.id, at, kind: 'rolled-back', detail: `rolled back: ${r.move.app}-r${n} stays at ${r.move.from} (${run.reason ?? 'aborted'})${stays}` } };
    }
    default:
      return undefined;
  }
}

function done(r: MoveRecord, now: Date, detail: string): SwitchoverStep {
  const at = now.toISOString();
  return { record: { ...r, state: 'done', updatedAt: at }, event: { migration: r.id, at, kind: 'done', detail: `done: ${detail}` } };
}

/** After the revision placing the replica at the target is stored: hand the writes back, or done. */
export function placed(r: MoveRecord, now: Date, revision: number): SwitchoverStep {
  if (r.run?.handover) return transition(r, now, { phase: 'handing-back' }, `revision ${revision} places ${r.move.app}-r${replicaOf(r)} at ${r.move.to}; the source stops`);
  return done(r, now, `revision ${revision} places ${r.move.app}-r${replicaOf(r)} at ${r.move.to} as a standby; the source stops`);
}
