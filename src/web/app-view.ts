/**
 * What the app page shows (pure, unit-tested): each replica with where it runs and its state,
 * and every check of the app as each site's probers see it (up, down, or not decided).
 */
import type { StatusResponse } from '../client/client.js';
import type { CheckStatus } from '../core/monitor/status.js';

export interface HealthRow {
  check: string;
  title: string;
  /** By quorum of the sites. */
  state: string;
  /** Per site: up, down or "–" (not probed from there, or not decided yet). */
  sites: Record<string, 'up' | 'down' | '–'>;
}

export function healthRows(checks: readonly CheckStatus[], sites: readonly string[]): HealthRow[] {
  return checks.map((c) => ({
    check: c.id,
    title: c.title,
    state: c.state,
    sites: Object.fromEntries(sites.map((s) => {
      const v = c.views[s];
      return [s, v === undefined || v.up === null ? '–' : v.up ? 'up' : 'down'];
    })),
  }));
}

export type AppStatus = StatusResponse['apps'][number];

/** The app's replicas sorted by site then unit, and how many of the desired run. */
export function replicaRows(app: AppStatus): { running: number; desired: number; units: AppStatus['units'] } {
  return { running: app.running, desired: app.desired, units: [...app.units].sort((a, b) => (a.site === b.site ? (a.unit < b.unit ? -1 : 1) : a.site < b.site ? -1 : 1)) };
}
