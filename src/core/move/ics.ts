/**
 * A customer's moves as a calendar (RFC 5545, written by ical-generator; pure): one event per
 * move, at the cutover (or the live traffic shift), saying what moves where and how long the
 * app is expected to be down. Times are in UTC (a TZID would need a VTIMEZONE; every calendar
 * shows UTC in its user's own zone). UIDs are the move ids, so a calendar imported again after a
 * re-plan updates its events instead of adding new ones.
 */
import ical, { ICalCalendarMethod } from 'ical-generator';
import { formatBytes } from '../fleet/units.js';
import { fmtDuration } from './estimate.js';
import { SWITCHOVER_PAUSE_SECONDS } from './moves.js';
import type { ScheduledMove } from './waves.js';

export interface IcsContext {
  customer: { id: string; name?: string | undefined };
  /** Site names by id. */
  siteNames: ReadonlyMap<string, string>;
  /** When the plan was made (DTSTAMP; a pure function takes no clock). */
  stamp: Date;
}

export function customerCalendar(moves: readonly ScheduledMove[], ctx: IcsContext): string {
  const site = (id: string) => ctx.siteNames.get(id) ?? id;
  const cal = ical({ name: `hafen: moves of ${ctx.customer.name ?? ctx.customer.id}`, prodId: { company: 'hafen', product: 'migrate-plan', language: 'EN' }, method: ICalCalendarMethod.PUBLISH });
  for (const m of moves) {
    const what = m.strategy === 'live' ? 'moves without downtime (both sites serve while traffic shifts over)' : m.strategy === 'switchover' ? `moves without a maintenance window: it does not answer for a few seconds (up to ${fmtDuration(SWITCHOVER_PAUSE_SECONDS)}, at most twice) while its writes hand over` : `is expected to be down for about ${fmtDuration(m.downtimeSeconds)} at the start of this time`;
    const lines = [
      `${m.app} moves from ${site(m.from)} to ${site(m.to)}.`,
      `The app ${what}.`,
      m.strategy === 'cutover' ? `Its data (${formatBytes(m.bytes)}) is copied ahead while it runs; the cutover copies what changed since, starts the app at ${site(m.to)} and switches the traffic. Should the check afterwards fail, it goes back to ${site(m.from)} within this time.` : `Should the new site not answer as it should, traffic stays at ${site(m.from)}.`,
      m.consent === 'required' ? 'Nothing happens before you agree.' : 'You agreed to be told of moves without downtime; nothing else changes.',
    ];
    cal.createEvent({
      id: `${m.id}@hafen`,
      start: new Date(m.start),
      end: new Date(m.end),
      stamp: ctx.stamp,
      summary: `${m.strategy === 'live' ? 'Live move' : m.strategy === 'switchover' ? 'Switchover move' : 'Maintenance'}: ${m.app} to ${site(m.to)}${m.strategy === 'cutover' ? ` (about ${fmtDuration(m.downtimeSeconds)} down)` : ''}`,
      description: lines.join('\n'),
    });
  }
  return cal.toString();
}
