/**
 * A migration's consent (pure): proposed to the customer, answered (accept, decline, or ask
 * for another window) through the customer's link or recorded by an operator, reminded while
 * unanswered, expired when no answer came in time. Nothing may run that is not accepted: the
 * executor asks `mayRun`, and only it.
 *
 * A live move of a customer who chose `liveMoves: announce` needs no answer: it is accepted by
 * that policy when proposed, and the customer is told.
 */
import { ANSWER_LEAD_MS, type ScheduledMove } from './waves.js';

import type { ConsentAnswer, MoveState, Decision, MoveEvent, MoveRecord } from './record.js';

export type { ConsentAnswer, MoveState, Decision, MoveEvent, MoveRecord };
export const DECISIONS: readonly Decision[] = ['accept', 'decline', 'another-window'];


export function newRecord(id: string, move: ScheduledMove, revision: number, now: Date): { record: MoveRecord; event: MoveEvent } {
  const at = now.toISOString();
  const needed = move.consent === 'required';
  const answerBy = new Date(Math.max(now.getTime(), Date.parse(move.start) - ANSWER_LEAD_MS)).toISOString();
  const record: MoveRecord = {
    id,
    app: move.app,
    customer: move.customer,
    revision,
    move,
    state: needed ? 'proposed' : 'accepted',
    consent: { needed, proposedAt: at, reminders: [], answerBy, ...(needed ? {} : { answer: { decision: 'accept', by: 'liveMoves: announce', at, via: 'policy' } }) },
    createdAt: at,
    updatedAt: at,
  };
  const when = `${move.start} to ${move.end}`;
  const event: MoveEvent = needed
    ? { migration: id, at, kind: 'proposed', detail: `${move.app} ${move.from} → ${move.to} (${move.strategy}) proposed to ${move.customer} for ${when}; answer due by ${answerBy}` }
    : { migration: id, at, kind: 'announced', detail: `${move.app} ${move.from} → ${move.to} (${move.strategy === 'switchover' ? 'switchover: writes pause for seconds' : 'live, no downtime'}) announced to ${move.customer} for ${when}: the customer chose liveMoves: announce` };
  return { record, event };
}

/** A cutover copying its data before its time: nothing is stopped yet, so the customer may still say no (the copy then stops). */
export const preCopying = (r: MoveRecord): boolean => r.state === 'running' && (r.run?.phase === 'copying' || r.run?.phase === 'ready');

/** Records an answer. Only a proposal still open can be answered; an accepted move can still be declined until it starts. */
export function answer(r: MoveRecord, a: ConsentAnswer): { record: MoveRecord; event: MoveEvent } | { error: string } {
  const started = Date.parse(a.at) >= Date.parse(r.move.start);
  const open = r.state === 'proposed' || ((r.state === 'accepted' || preCopying(r)) && a.decision !== 'accept' && !started);
  if (!open) {
    if (r.state === 'accepted' && a.decision === 'accept') return { error: `migration ${r.id} is already accepted` };
    if (r.state === 'accepted' || r.state === 'running') return { error: `migration ${r.id} has started; ask the team to stop it` };
    return { error: `migration ${r.id} is ${r.state}: there is nothing to answer` };
  }
  const state: MoveState = a.decision === 'accept' ? 'accepted' : a.decision === 'decline' ? 'declined' : 'another-window';
  const record: MoveRecord = { ...r, state, consent: { ...r.consent, answer: a }, updatedAt: a.at };
  const what = a.decision === 'accept' ? 'accepted' : a.decision === 'decline' ? 'declined' : 'asked for another window';
  return { record, event: { migration: r.id, at: a.at, kind: 'answered', detail: `${a.by} ${what} (${a.via})${a.note ? `: ${a.note}` : ''}` } };
}

/** Cancels a move that is not running (an operator's decision); the customer is told. */
export function cancel(r: MoveRecord, by: string, now: Date): { record: MoveRecord; event: MoveEvent } | { error: string } {
  if (r.state === 'running') return { error: `migration ${r.id} is running: abort it instead` };
  if (r.state !== 'proposed' && r.state !== 'accepted') return { error: `migration ${r.id} is ${r.state}: only a proposed or accepted move can be cancelled` };
  const at = now.toISOString();
  return { record: { ...r, state: 'cancelled', updatedAt: at }, event: { migration: r.id, at, kind: 'cancelled', detail: `cancelled by ${by}` } };
}

/**
 * What time does to an open proposal: expired once its answer is overdue, else a reminder when
 * `remindEveryMs` has passed since the proposal or the last reminder.
 */
export function step(r: MoveRecord, now: Date, remindEveryMs: number): { record: MoveRecord; event: MoveEvent; notify: 'reminder' | 'expired' } | undefined {
  if (r.state !== 'proposed') return undefined;
  const t = now.getTime();
  const at = now.toISOString();
  if (t >= Date.parse(r.consent.answerBy)) {
    return { record: { ...r, state: 'expired', updatedAt: at }, event: { migration: r.id, at, kind: 'expired', detail: `no answer by ${r.consent.answerBy}: the move does not run` }, notify: 'expired' };
  }
  const last = Date.parse(r.consent.reminders.at(-1) ?? r.consent.proposedAt);
  if (t - last < remindEveryMs) return undefined;
  const n = r.consent.reminders.length + 1;
  return { record: { ...r, consent: { ...r.consent, reminders: [...r.consent.reminders, at] }, updatedAt: at }, event: { migration: r.id, at, kind: 'reminded', detail: `reminder ${n} sent; answer due by ${r.consent.answerBy}` }, notify: 'reminder' };
}

/** The one gate of execution: accepted (by the customer, an operator, or the announce policy), and its time has come. */
export function mayRun(r: MoveRecord, now: Date): boolean {
  return r.state === 'accepted' && r.consent.answer?.decision === 'accept' && now.getTime() >= Date.parse(runsFrom(r.move));
}

/** When a move's run begins: a cutover's pre-copy, or the switch itself. */
export const runsFrom = (m: ScheduledMove): string => m.preCopy?.start ?? m.start;
