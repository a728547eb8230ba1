/**
 * Uptime per app and day (pure), from the check states: an app is up while visitors reach it
 * (every domain check up, or degraded: seen down from one site only), down while a domain check
 * is down; an app without domains is up while at least one replica answers, down when none
 * does. Time nobody could tell (checks unknown) is kept apart: availability is up / (up + down),
 * and the unknown share says how much of the period it covers.
 */
import type { CheckStatus } from './status.js';

export type AppState = 'up' | 'down' | 'unknown';

export function appStates(checks: readonly CheckStatus[]): Map<string, { customer: string; state: AppState }> {
  const byApp = new Map<string, CheckStatus[]>();
  for (const c of checks) if (c.kind !== 'tls') byApp.set(c.app, [...(byApp.get(c.app) ?? []), c]);
  const out = new Map<string, { customer: string; state: AppState }>();
  for (const [app, list] of byApp) {
    const domains = list.filter((c) => c.id.startsWith('domain:'));
    const watched = domains.length ? domains : list;
    const known = watched.filter((c) => c.state !== 'unknown');
    let state: AppState;
    if (known.length === 0) state = 'unknown';
    else if (domains.length) state = known.some((c) => c.state === 'down') ? 'down' : 'up';
    else state = known.some((c) => c.state === 'up' || c.state === 'degraded') ? 'up' : 'down';
    out.set(app, { customer: list[0]!.customer, state });
  }
  return out;
}

export interface UptimeDay {
  app: string;
  customer: string;
  /** Start of the day, ISO 8601 UTC. */
  day: string;
  upSeconds: number;
  downSeconds: number;
  unknownSeconds: number;
}

/** Adds `seconds` of each app's state to its day's totals in `into` (keyed by app and day). */
export function accumulate(into: Map<string, UptimeDay>, states: ReadonlyMap<string, { customer: string; state: AppState }>, at: Date, seconds: number): void {
  const day = new Date(Date.UTC(at.getUTCFullYear(), at.getUTCMonth(), at.getUTCDate())).toISOString();
  for (const [app, { customer, state }] of states) {
    const key = `${app}\u0000${day}`;
    let d = into.get(key);
    if (!d) into.set(key, (d = { app, customer, day, upSeconds: 0, downSeconds: 0, unknownSeconds: 0 }));
    if (state === 'up') d.upSeconds += seconds;
    else if (state === 'down') d.downSeconds += seconds;
    else d.unknownSeconds += seconds;
  }
}

export interface Availability {
  upSeconds: number;
  downSeconds: number;
  unknownSeconds: number;
  /** Percent of the known time the app was up; null when nothing is known. */
  availability: number | null;
}

export function availability(days: readonly Pick<UptimeDay, 'upSeconds' | 'downSeconds' | 'unknownSeconds'>[]): Availability {
  const up = days.reduce((n, d) => n + d.upSeconds, 0);
  const down = days.reduce((n, d) => n + d.downSeconds, 0);
  const unknown = days.reduce((n, d) => n + d.unknownSeconds, 0);
  return { upSeconds: up, downSeconds: down, unknownSeconds: unknown, availability: up + down > 0 ? Math.round((up / (up + down)) * 1e6) / 1e4 : null };
}
