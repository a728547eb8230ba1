/** Customers and their maintenance windows. */
import { z } from 'zod';
import { Description, Id } from './common.js';
import { Defaults } from './defaults.js';

export const WEEKDAYS = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'] as const;
export type Weekday = (typeof WEEKDAYS)[number];

const Time = z
  .string()
  .regex(/^(([01]\d|2[0-3]):[0-5]\d|24:00)$/, 'must be a time "HH:MM" between 00:00 and 24:00');

/** Canonical IANA zones of the runtime, looked up first: constructing a formatter is slow. */
const KNOWN_ZONES: ReadonlySet<string> = new Set(Intl.supportedValuesOf('timeZone'));

/** True when `tz` is an IANA time zone the runtime knows (aliases like "UTC" included). */
export function isTimeZone(tz: string): boolean {
  if (KNOWN_ZONES.has(tz)) return true;
  try {
    new Intl.DateTimeFormat('en', { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}

export const MaintenanceWindow = z
  .strictObject({
    days: z
      .union([
        z.enum(['daily', 'weekdays', 'weekend']),
        z.array(z.enum(WEEKDAYS)).min(1, 'a window needs at least one day'),
      ])
      .describe('Days the window starts on: a list of mon..sun, or "daily", "weekdays", "weekend".'),
    from: Time.describe('Start, local time of the customer ("22:00").'),
    to: Time.describe('End, local time; earlier than `from` means the next morning ("05:00").'),
    description: Description.optional(),
  })
  .superRefine((w, ctx) => {
    // Checked here rather than across entries, so they show even when the customer has other problems.
    if (w.from === '24:00') {
      ctx.addIssue({ code: 'custom', path: ['from'], message: 'a window cannot start at 24:00; write "00:00" on the next day' });
    } else if (w.from === w.to) {
      ctx.addIssue({ code: 'custom', path: ['to'], message: `window from ${w.from} to ${w.to} has no length; for a whole day write from "00:00" to "24:00"` });
    }
    if (Array.isArray(w.days)) {
      const dup = w.days.find((d, k) => w.days.indexOf(d) !== k);
      if (dup) ctx.addIssue({ code: 'custom', path: ['days'], message: `day ${dup} is listed twice` });
    }
  })
  .describe('A recurring time when agreed maintenance may happen.');

export const Contact = z
  .strictObject({
    name: z.string().describe('Name of the person or team.'),
    email: z.string().regex(/^[^@\s]+@[^@\s]+\.[^@\s]+$/, 'must be an e-mail address').optional().describe('E-mail address.'),
    phone: z.string().optional().describe('Phone number for urgent matters.'),
    role: z.string().optional().describe('E.g. "technical", "billing", "emergency".'),
  })
  .describe('Someone to ask for consent or to notify.');

export const Customer = z
  .strictObject({
    id: Id.describe('Short name used in references, e.g. "stadtwerke-nord".'),
    name: z.string().optional().describe('Display name of the customer.'),
    contacts: z.array(Contact).default([]).describe('People to notify and to ask for consent to moves.'),
    timezone: z
      .string()
      .refine(isTimeZone, 'must be an IANA time zone, like "Europe/Berlin"')
      .default('Europe/Berlin')
      .describe('Time zone of the maintenance windows (IANA name, default Europe/Berlin).'),
    maintenanceWindows: z.array(MaintenanceWindow).default([]).describe('Agreed maintenance windows.'),
    liveMoves: z
      .enum(['ask', 'announce'])
      .default('ask')
      .describe('ask: every move of the customer\'s apps waits for its consent (default); announce: moves without downtime run once announced, the rest still ask.'),
    weight: z.number().positive().default(1).describe('Weight of the customer in risk shares (default 1).'),
    home: Id.optional().describe('Preferred site for the customer\'s apps (soft: risk and capacity come first).'),
    defaults: Defaults.optional().describe('Defaults for this customer\'s apps.'),
    description: Description.optional(),
  })
  .describe('A customer of the hosting team.');
