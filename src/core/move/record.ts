/** A move between sites as stored: the planned move, its consent, and its run (types only). */
import type { ScheduledMove } from './waves.js';

/** Consent first (proposed … cancelled), then the run (running, done, rolled-back). */
export type MoveState = 'proposed' | 'accepted' | 'declined' | 'another-window' | 'expired' | 'cancelled' | 'running' | 'done' | 'rolled-back';
export type Decision = 'accept' | 'decline' | 'another-window';

export interface ConsentAnswer {
  decision: Decision;
  /** Who answered: the customer's name as given on the page, or the operator's token name. */
  by: string;
  at: string;
  via: 'link' | 'operator' | 'policy';
  note?: string;
}

export interface MoveRecord {
  /** "mig_" and 16 hex digits. */
  id: string;
  app: string;
  customer: string;
  /** The fleet revision it was planned on. */
  revision: number;
  move: ScheduledMove;
  state: MoveState;
  consent: {
    needed: boolean;
    proposedAt: string;
    /** When reminders went out. */
    reminders: string[];
    /** The answer is due by then: the move expires unanswered after it. */
    answerBy: string;
    answer?: ConsentAnswer;
  };
  /** The run, once started. */
  run?: MoveRun;
  createdAt: string;
  updatedAt: string;
}

/** Something that happened to a migration, for the record ("every step is recorded"). */
export interface MoveEvent {
  migration: string;
  at: string;
  kind: 'proposed' | 'announced' | 'reminded' | 'answered' | 'expired' | 'cancelled' | 'started' | 'step' | 'rollback' | 'rolled-back' | 'done' | 'paused' | 'resumed' | 'not-sent';
  detail: string;
}

/**
 * A live move: starting → shifting → draining → finishing. A cutover: copying (pre-copy rounds
 * while the app runs) → ready (until its time) → stopping → syncing (final copy, checksums) →
 * starting (at the target) → verifying → finishing. A standby app's switchover move:
 * handing-over (its writer, if it is the replica moving, hands over to another standby) →
 * starting (the target a standby beside the source, until its copy is fresh) → finishing →
 * handing-back (the writer back to the replica, now at the target). Any may go rolling-back.
 */
export type RunPhase = 'starting' | 'shifting' | 'draining' | 'finishing' | 'rolling-back' | 'copying' | 'ready' | 'stopping' | 'syncing' | 'verifying' | 'handing-over' | 'handing-back';

/** One copy of a cutover's data, as the target host's agent reported it. */
export interface CopyRound {
  /** 1, 2, … for the pre-copy rounds; "final" for the copy with the app stopped. */
  round: number | 'final';
  bytes: number;
  seconds: number;
  at: string;
}

export interface MoveRun {
  phase: RunPhase;
  /** Index into the weights while shifting. */
  step: number;
  phaseSince: string;
  startedAt: string;
  paused?: boolean;
  /** Why it rolls back. */
  reason?: string;
  /** A cutover's copies so far. */
  copies?: CopyRound[];
  /** When the source host reported the app stopped (a cutover's downtime begins). */
  stoppedAt?: string;
  /** A cutover's downtime: from the source stopped until the target reported healthy. */
  downtimeSeconds?: number;
  /**
   * A switchover move whose replica wrote: the standby that took the writes meanwhile (its
   * replica and site), and whether the switchover to it, and the one back, were asked for.
   */
  handover?: { replica: number; site: string; back?: boolean };
}
