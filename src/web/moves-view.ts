/**
 * The migrations page (pure, unit-tested): moves by the night they are planned for (the
 * calendar), each customer's answers, and how far running moves have come.
 */
import type { MoveRecord } from '../client/move-types.js';

export interface CalendarDay {
  day: string;
  moves: MoveRecord[];
}

/** Moves not ended badly, by their wave (the UTC date their night begins), soonest first. */
export function calendar(moves: readonly MoveRecord[]): CalendarDay[] {
  const by = new Map<string, MoveRecord[]>();
  for (const m of moves) {
    if (m.state === 'cancelled' || m.state === 'expired' || m.state === 'declined') continue;
    by.set(m.move.wave, [...(by.get(m.move.wave) ?? []), m]);
  }
  return [...by].sort(([a], [b]) => (a < b ? -1 : 1)).map(([day, list]) => ({ day, moves: list.sort((a, b) => (a.move.start < b.move.start ? -1 : 1)) }));
}

/** Per customer: how many of its moves wait for an answer, were accepted or declined. */
export function consentByCustomer(moves: readonly MoveRecord[]): { customer: string; waiting: number; accepted: number; declined: number; other: number }[] {
  const by = new Map<string, { customer: string; waiting: number; accepted: number; declined: number; other: number }>();
  for (const m of moves) {
    const row = by.get(m.customer) ?? { customer: m.customer, waiting: 0, accepted: 0, declined: 0, other: 0 };
    if (m.state === 'proposed') row.waiting++;
    else if (m.state === 'accepted' || m.state === 'running' || m.state === 'done' || m.state === 'rolled-back') row.accepted++;
    else if (m.state === 'declined') row.declined++;
    else row.other++;
    by.set(m.customer, row);
  }
  return [...by.values()].sort((a, b) => b.waiting - a.waiting || (a.customer < b.customer ? -1 : 1));
}

/** A running move's progress: its phase, and for a cutover the bytes copied of the planned. */
export function progress(m: MoveRecord): { phase: string; copied?: number; planned?: number; downtimeSeconds?: number } {
  const run = m.run;
  if (!run) return { phase: m.state };
  const copies = run.copies ?? [];
  return {
    phase: run.paused ? `${run.phase} (paused)` : run.phase,
    ...(m.move.strategy === 'cutover' ? { copied: copies.reduce((n, c) => n + c.bytes, 0), planned: m.move.bytes } : {}),
    ...(run.downtimeSeconds !== undefined ? { downtimeSeconds: run.downtimeSeconds } : {}),
  };
}
