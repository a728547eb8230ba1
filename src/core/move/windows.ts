/**
 * When a customer's maintenance windows happen (pure): each window ("weekdays 22:00–05:00" in
 * the customer's time zone) as real instants, with daylight saving time as the zone has it: a
 * night that loses an hour is an hour shorter, one that gains an hour is an hour longer.
 * croner computes the local times (it knows the zone rules through Intl).
 */
import { Cron } from 'croner';
import type { Weekday } from '../fleet/schema/customer.js';

export interface WindowSpec {
  days: 'daily' | 'weekdays' | 'weekend' | readonly Weekday[];
  /** Local "HH:MM". */
  from: string;
  /** Local "HH:MM" (or "24:00"); not after `from` means the next day. */
  to: string;
}

export interface WindowOccurrence {
  start: Date;
  end: Date;
  /** Index of the window in the customer's list. */
  window: number;
}

const CRON_DAY: Record<Weekday, number> = { sun: 0, mon: 1, tue: 2, wed: 3, thu: 4, fri: 5, sat: 6 };

function cronDays(days: WindowSpec['days']): string {
  if (days === 'daily') return '*';
  if (days === 'weekdays') return '1-5';
  if (days === 'weekend') return '0,6';
  return days.map((d) => CRON_DAY[d]).join(',');
}

/** "22:30" → "30 22"; "24:00" is midnight. */
function cronTime(t: string): string {
  const [h, m] = t.split(':').map(Number) as [number, number];
  return `${m} ${h % 24}`;
}

/**
 * The occurrences of `windows` (in `timezone`) that start at or after `from` and before
 * `until`, sorted by start. Each ends at the window's `to` on its day, or on the next day when
 * `to` is not after `from`.
 */
export function windowOccurrences(windows: readonly WindowSpec[], timezone: string, from: Date, until: Date): WindowOccurrence[] {
  const out: WindowOccurrence[] = [];
  windows.forEach((w, window) => {
    const starts = new Cron(`${cronTime(w.from)} * * ${cronDays(w.days)}`, { timezone, paused: true });
    const ends = new Cron(`${cronTime(w.to)} * * *`, { timezone, paused: true });
    // nextRun is strictly after its argument: start a millisecond early so `from` itself counts.
    let at = starts.nextRun(new Date(from.getTime() - 1));
    while (at && at < until) {
      const end = ends.nextRun(at);
      if (!end) break;
      out.push({ start: at, end, window });
      at = starts.nextRun(at);
    }
  });
  return out.sort((a, b) => a.start.getTime() - b.start.getTime() || a.window - b.window);
}

/** Minutes of a window occurrence (DST nights included as they are). */
export const occurrenceMinutes = (o: WindowOccurrence) => Math.round((o.end.getTime() - o.start.getTime()) / 60_000);
