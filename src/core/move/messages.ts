/**
 * What a customer is told about a move (pure): the proposal with its links, reminders, the
 * announcement of a live move, and that it expired or was cancelled. Times in the customer's
 * own time zone and in UTC.
 */
import { fmtDuration } from './estimate.js';
import { SWITCHOVER_PAUSE_SECONDS } from './moves.js';
import type { MoveRecord } from './consent.js';

export type MessageKind = 'proposal' | 'reminder' | 'announcement' | 'expired' | 'cancelled' | 'answered' | 'started' | 'finished' | 'rolled-back';

export interface Message {
  title: string;
  text: string;
}

export interface MessageContext {
  customerName: string;
  timezone: string;
  siteNames: ReadonlyMap<string, string>;
  /** The customer's page for this move (accept, decline, another window); absent when no public URL is set. */
  link?: string;
}

/** "Thursday, 3 December 2026 at 22:00 CET": a time as the customer reads it (also on the consent page). */
export function localTime(iso: string, timeZone: string): string {
  return new Intl.DateTimeFormat('en-GB', { timeZone, weekday: 'long', day: 'numeric', month: 'long', year: 'numeric', hour: '2-digit', minute: '2-digit', hourCycle: 'h23', timeZoneName: 'short' }).format(new Date(iso));
}

export function moveMessage(kind: MessageKind, r: MoveRecord, ctx: MessageContext): Message {
  const m = r.move;
  const site = (id: string) => ctx.siteNames.get(id) ?? id;
  const when = `${localTime(m.start, ctx.timezone)} (${m.start.slice(0, 16).replace('T', ' ')} UTC)`;
  const impact = m.strategy === 'live' ? 'It moves without downtime: both sites serve while the traffic shifts over.' : m.strategy === 'switchover' ? `It moves without a maintenance window: its standby at ${site(m.to)} is made first, and while its writes hand over (at most twice) it does not answer for a few seconds, up to ${fmtDuration(SWITCHOVER_PAUSE_SECONDS)}; nothing it has confirmed is lost.` : `It will be unavailable for about ${fmtDuration(m.downtimeSeconds)}; the work may take up to ${fmtDuration(m.switchSeconds)} in all, and should a check afterwards fail it goes back to ${site(m.from)} in that time.`;
  const what = `${m.app} moves from ${site(m.from)} to ${site(m.to)} on ${when}.`;
  const ask = ctx.link ? `Please accept, decline or ask for another window here: ${ctx.link}` : 'Please tell us whether you agree, or which other window suits you.';
  const due = `We need your answer by ${localTime(r.consent.answerBy, ctx.timezone)}; without it nothing happens.`;
  const ref = `Reference: ${r.id}`;
  switch (kind) {
    case 'proposal':
      return { title: `Proposed maintenance: ${m.app} moves to ${site(m.to)}`, text: [`Dear ${ctx.customerName},`, '', what, impact, '', ask, due, '', ref].join('\n') };
    case 'reminder':
      return { title: `Reminder: your answer on moving ${m.app} to ${site(m.to)}`, text: [`Dear ${ctx.customerName},`, '', `We have not heard from you yet. ${what}`, impact, '', ask, due, '', ref].join('\n') };
    case 'announcement':
      return { title: `Announcement: ${m.app} moves to ${site(m.to)} without downtime`, text: [`Dear ${ctx.customerName},`, '', what, impact, 'You chose to be told of moves without downtime rather than asked.', ...(ctx.link ? [`Should it not suit you, say so here before it starts: ${ctx.link}`] : []), '', ref].join('\n') };
    case 'expired':
      return { title: `Not carried out: moving ${m.app} to ${site(m.to)}`, text: [`Dear ${ctx.customerName},`, '', `We did not receive an answer in time, so ${m.app} stays at ${site(m.from)} and nothing happens on ${when}. We will propose another date.`, '', ref].join('\n') };
    case 'cancelled':
      return { title: `Cancelled: moving ${m.app} to ${site(m.to)}`, text: [`Dear ${ctx.customerName},`, '', `The move of ${m.app} planned for ${when} is cancelled; it stays at ${site(m.from)}.`, '', ref].join('\n') };
    case 'started': {
      const begun = m.strategy === 'cutover' ? `We have started copying the data of ${m.app} from ${site(m.from)} to ${site(m.to)} while it runs; the switch is on ${when}.` : `The move of ${m.app} from ${site(m.from)} to ${site(m.to)} has started.`;
      return { title: `Started: moving ${m.app} to ${site(m.to)}`, text: [`Dear ${ctx.customerName},`, '', begun, impact, '', ref].join('\n') };
    }
    case 'finished': {
      const down = r.run?.downtimeSeconds !== undefined ? ` It was unavailable for ${fmtDuration(r.run.downtimeSeconds)}.` : '';
      return { title: `Done: ${m.app} runs at ${site(m.to)}`, text: [`Dear ${ctx.customerName},`, '', `${m.app} now runs at ${site(m.to)}; the move is complete.${down}`, '', ref].join('\n') };
    }
    case 'rolled-back':
      return { title: `Rolled back: ${m.app} stays at ${site(m.from)}`, text: [`Dear ${ctx.customerName},`, '', `The move of ${m.app} to ${site(m.to)} did not complete and was rolled back: it runs at ${site(m.from)} as before. We will propose another date.`, '', ref].join('\n') };
    case 'answered': {
      const a = r.consent.answer;
      const said = a?.decision === 'accept' ? `You agreed: ${what}` : a?.decision === 'decline' ? `You declined: ${m.app} stays at ${site(m.from)}.` : `You asked for another window: ${m.app} stays at ${site(m.from)} for now, and we will propose another date.`;
      return { title: `Recorded: your answer on moving ${m.app}`, text: [`Dear ${ctx.customerName},`, '', `${said} (recorded ${a?.at ?? ''}, by ${a?.by ?? ''})`, ...(ctx.link ? [`Should you change your mind before it starts: ${ctx.link}`] : []), '', ref].join('\n') };
    }
  }
}
