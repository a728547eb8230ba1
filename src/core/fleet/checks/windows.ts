/**
 * Maintenance windows: warnings about windows that are legal but useless. Windows that make
 * no sense at all (no length, a day twice) are rejected by the schema itself.
 */
import type { ProblemList } from '../problems.js';
import { WEEKDAYS } from '../schema/customer.js';
import { each, type Parts } from './parts.js';

function minutes(t: string): number {
  const [h, m] = t.split(':').map(Number) as [number, number];
  return h * 60 + m;
}

function dayList(days: string | readonly string[]): string[] {
  if (days === 'daily') return [...WEEKDAYS];
  if (days === 'weekdays') return WEEKDAYS.slice(0, 5);
  if (days === 'weekend') return WEEKDAYS.slice(5);
  return [...days];
}

/** A window shorter than this cannot hold a cutover (stop, final copy, start, verify). */
export const MIN_WINDOW_MINUTES = 30;

export function checkWindows(parts: Parts, out: ProblemList): void {
  each(parts.customers, (c, i) => {
    const seen = new Map<string, number>();
    c.maintenanceWindows.forEach((w, j) => {
      const path = ['customers', i, 'maintenanceWindows', j];
      const from = minutes(w.from);
      const to = minutes(w.to);
      if (w.from === '24:00' || from === to) return; // reported by the schema
      const length = to > from ? to - from : to + 24 * 60 - from;
      if (length < MIN_WINDOW_MINUTES) {
        out.warning('HAFEN_FLEET_WINDOW_SHORT', path, `window ${w.from}-${w.to} lasts ${length} minutes, too short for a cutover (at least ${MIN_WINDOW_MINUTES})`);
      }
      const days = dayList(w.days);
      for (const d of days) {
        const key = `${d} ${w.from}-${w.to}`;
        const prev = seen.get(key);
        if (prev !== undefined && prev !== j) {
          out.warning('HAFEN_FLEET_WINDOW_DUPLICATE', path, `the window ${key} is also given by maintenanceWindows[${prev}]`);
          break;
        }
        seen.set(key, j);
      }
    });
  });
}
