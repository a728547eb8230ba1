/** The SQLite store's traffic history (controller/store/store.ts), as functions on its statements. */
import type Database from 'better-sqlite3';
import { bucketOf, TRAFFIC_TABLES } from './sqlite-rows.js';
import { TRAFFIC_KEEP_MS, TRAFFIC_RESOLUTIONS, type ConnectionRow, type ConnectionSample, type TrafficResolution, type TrafficRow, type TrafficSample } from './store.js';

type Stmt = (sql: string) => Database.Statement;

/** Adds samples to every resolution and drops what is no longer kept; call inside a transaction. */
export function writeTraffic(stmt: Stmt, samples: readonly TrafficSample[], connections: readonly ConnectionSample[], now: string): void {
  const t = Date.parse(now);
  const keep = (r: TrafficResolution, at: string) => t - Date.parse(at) < TRAFFIC_KEEP_MS[r];
  const add = {
    minute: stmt(
      `INSERT INTO traffic_minute (app, site, minute, requests, errors) VALUES (?, ?, ?, ?, ?)
       ON CONFLICT(app, site, minute) DO UPDATE SET requests = requests + excluded.requests, errors = errors + excluded.errors`,
    ),
    hour: stmt(
      `INSERT INTO traffic (app, site, hour, requests, errors) VALUES (?, ?, ?, ?, ?)
       ON CONFLICT(app, site, hour) DO UPDATE SET requests = requests + excluded.requests, errors = errors + excluded.errors`,
    ),
    day: stmt(
      `INSERT INTO traffic_day (app, site, day, requests, errors) VALUES (?, ?, ?, ?, ?)
       ON CONFLICT(app, site, day) DO UPDATE SET requests = requests + excluded.requests, errors = errors + excluded.errors`,
    ),
  };
  const peak = stmt(
    `INSERT INTO connection_peaks (resolution, site, proxy, at, peak) VALUES (?, ?, ?, ?, ?)
     ON CONFLICT(resolution, site, proxy, at) DO UPDATE SET peak = max(peak, excluded.peak)`,
  );
  for (const x of samples) {
    for (const r of TRAFFIC_RESOLUTIONS) {
      const at = bucketOf(x.minute, r);
      if (keep(r, at)) add[r].run(x.app, x.site, at, x.requests, x.errors);
    }
  }
  for (const c of connections) {
    for (const r of TRAFFIC_RESOLUTIONS) {
      const at = bucketOf(c.minute, r);
      if (keep(r, at)) peak.run(r, c.site, c.proxy, at, c.peak);
    }
  }
  stmt('DELETE FROM traffic_minute WHERE minute < ?').run(new Date(t - TRAFFIC_KEEP_MS.minute).toISOString());
  stmt('DELETE FROM traffic WHERE hour < ?').run(new Date(t - TRAFFIC_KEEP_MS.hour).toISOString());
  stmt("DELETE FROM connection_peaks WHERE (resolution = 'minute' AND at < ?) OR (resolution = 'hour' AND at < ?)").run(new Date(t - TRAFFIC_KEEP_MS.minute).toISOString(), new Date(t - TRAFFIC_KEEP_MS.hour).toISOString());
}

export function readTraffic(stmt: Stmt, query: { since: string; resolution: TrafficResolution; apps?: readonly string[] }): TrafficRow[] {
  const [table, column] = TRAFFIC_TABLES[query.resolution];
  const rows = stmt(`SELECT app, site, ${column} AS at, requests, errors FROM ${table} WHERE ${column} >= ? ORDER BY ${column}, app, site`).all(query.since) as TrafficRow[];
  const apps = query.apps ? new Set(query.apps) : undefined;
  return (apps ? rows.filter((r) => apps.has(r.app)) : rows).map((r) => ({ app: r.app, site: r.site, at: r.at, requests: r.requests, errors: r.errors }));
}

export function readConnectionPeaks(stmt: Stmt, query: { since: string; resolution: TrafficResolution }): ConnectionRow[] {
  return (stmt('SELECT site, proxy, at, peak FROM connection_peaks WHERE resolution = ? AND at >= ? ORDER BY at, site, proxy').all(query.resolution, query.since) as ConnectionRow[]).map((r) => ({ site: r.site, proxy: r.proxy, at: r.at, peak: r.peak }));
}
