/**
 * The PostgreSQL store's rollouts and holds, site migrations, backup tasks, traffic history,
 * alerting and uptime
 * (controller/store/store.ts): the SQLite store's statements (sqlite-*.ts) in PostgreSQL's
 * dialect, on a query function; callers own the transactions.
 */
import type { MoveEvent, MoveRecord } from '../../core/move/consent.js';
import type { BackupTaskKind } from '../../core/render/backups.js';
import type { Q } from './postgres-query.js';
import { bucketOf, reportedTask, TRAFFIC_TABLES } from './sqlite-rows.js';
import { TRAFFIC_KEEP_MS, TRAFFIC_RESOLUTIONS, type AlertingCommit, type UptimeRecord, type BackupTask, type BackupTaskReport, type ConnectionRow, type ConnectionSample, type HostHold, type MoveCommit, type Rollout, type TrafficResolution, type TrafficRow, type TrafficSample } from './store.js';

export async function readHolds(q: Q): Promise<HostHold[]> {
  return (await q<HostHold>('SELECT host, revision, since FROM host_holds ORDER BY host')).rows;
}

export async function replaceHolds(q: Q, holds: readonly HostHold[]): Promise<void> {
  await q('DELETE FROM host_holds');
  for (const h of holds) await q('INSERT INTO host_holds (host, revision, since) VALUES (?, ?, ?)', [h.host, h.revision, h.since]);
}

/** Inserts (id 0) or updates a rollout. Returns it with its id. */
export async function writeRollout(q: Q, r: Rollout): Promise<Rollout> {
  if (r.id === 0) {
    const { rows } = await q<{ id: number }>('INSERT INTO rollouts (revision, site, state, data, updated_at) VALUES (?, ?, ?, ?, ?) RETURNING id', [r.revision, r.site, r.state, '{}', r.updatedAt]);
    r = { ...r, id: rows[0]!.id };
  }
  await q('UPDATE rollouts SET state = ?, data = ?, updated_at = ? WHERE id = ?', [r.state, JSON.stringify(r), r.updatedAt, r.id]);
  return r;
}

export async function readRollouts(q: Q, w: { id?: number; limit: number }): Promise<Rollout[]> {
  const { rows } = w.id === undefined ? await q<{ data: string }>('SELECT data FROM rollouts ORDER BY id DESC LIMIT ?', [w.limit]) : await q<{ data: string }>('SELECT data FROM rollouts WHERE id = ?', [w.id]);
  return rows.map((r) => JSON.parse(r.data) as Rollout);
}

const QUEUE_NOTIFICATION = `INSERT INTO notifications (id, receiver, group_key, kind, severity, title, body, created_at, status, attempts, next_attempt_at)
  VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'pending', 0, ?) ON CONFLICT (id) DO NOTHING`;

/** Queues notifications of the alerting or of site migrations (one already queued is not queued again). */
export async function queueNotifications(q: Q, outbox: MoveCommit['outbox']): Promise<void> {
  for (const n of outbox) await q(QUEUE_NOTIFICATION, [n.id, n.receiver, n.group, n.kind, n.severity, n.title, JSON.stringify(n.body), n.createdAt, n.nextAttemptAt]);
}

export async function writeMoves(q: Q, c: MoveCommit): Promise<void> {
  for (const { record: r, tokenHash } of c.records) {
    await q(
      `INSERT INTO site_migrations (id, app, customer, state, token_hash, data, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (id) DO UPDATE SET state = excluded.state, data = excluded.data, token_hash = COALESCE(excluded.token_hash, site_migrations.token_hash)`,
      [r.id, r.app, r.customer, r.state, tokenHash ?? null, JSON.stringify(r), r.createdAt],
    );
  }
  for (const e of c.events) await q('INSERT INTO site_migration_events (migration, at, kind, detail) VALUES (?, ?, ?, ?)', [e.migration, e.at, e.kind, e.detail]);
  await queueNotifications(q, c.outbox);
}

export async function readMoves(q: Q, w: { id?: string; tokenHash?: string; open?: boolean; limit: number }): Promise<MoveRecord[]> {
  let r;
  if (w.id !== undefined) r = await q<{ data: string }>('SELECT data FROM site_migrations WHERE id = ?', [w.id]);
  else if (w.tokenHash !== undefined) r = await q<{ data: string }>('SELECT data FROM site_migrations WHERE token_hash = ?', [w.tokenHash]);
  else if (w.open) r = await q<{ data: string }>("SELECT data FROM site_migrations WHERE state IN ('proposed', 'accepted', 'running') ORDER BY created_at DESC, id LIMIT ?", [w.limit]);
  else r = await q<{ data: string }>('SELECT data FROM site_migrations ORDER BY created_at DESC, id LIMIT ?', [w.limit]);
  return r.rows.map((x) => JSON.parse(x.data) as MoveRecord);
}

export async function readMoveEvents(q: Q, migration: string): Promise<MoveEvent[]> {
  return (await q<MoveEvent>('SELECT migration, at, kind, detail FROM site_migration_events WHERE migration = ? ORDER BY id', [migration])).rows;
}

export async function addTask(q: Q, task: BackupTask): Promise<void> {
  await q('INSERT INTO backup_tasks (id, app, host, kind, state, created_at, task) VALUES (?, ?, ?, ?, ?, ?, ?)', [task.id, task.app, task.host, task.kind, task.state, task.createdAt, JSON.stringify(task)]);
}

export async function getTask(q: Q, id: string): Promise<BackupTask | undefined> {
  const row = (await q<{ task: string }>('SELECT task FROM backup_tasks WHERE id = ?', [id])).rows[0];
  return row && (JSON.parse(row.task) as BackupTask);
}

export async function listTasks(q: Q, w: { app?: string; host?: string; kind?: BackupTaskKind; open?: boolean; limit: number }): Promise<BackupTask[]> {
  const filters = Object.entries({ app: w.app, host: w.host, kind: w.kind }).filter((e): e is [string, string] => e[1] !== undefined);
  const where = filters.map(([column]) => `${column} = ?`);
  if (w.open) where.push("state IN ('pending', 'running')");
  const { rows } = await q<{ task: string }>(`SELECT task FROM backup_tasks ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY created_at DESC, id DESC LIMIT ?`, [...filters.map(([, v]) => v), w.limit]);
  return rows.map((r) => JSON.parse(r.task) as BackupTask);
}

/** Call inside a transaction (the rows read are locked until it ends). */
export async function reportTasks(q: Q, host: string, reports: readonly BackupTaskReport[]): Promise<void> {
  for (const r of reports) {
    const row = (await q<{ host: string; state: string; task: string }>('SELECT host, state, task FROM backup_tasks WHERE id = ? FOR UPDATE', [r.id])).rows[0];
    const next = reportedTask(host, r, row);
    if (next?.isNew) await q('INSERT INTO backup_tasks (id, app, host, kind, state, created_at, task) VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO NOTHING', [r.id, r.app, host, r.kind, r.state, r.startedAt, JSON.stringify(next.task)]);
    else if (next) await q('UPDATE backup_tasks SET state = ?, task = ? WHERE id = ?', [r.state, JSON.stringify(next.task), r.id]);
  }
}

/** Call inside a transaction; returns how many were marked expired. */
export async function expireTasks(q: Q, before: string): Promise<number> {
  const { rows } = await q<{ id: string; task: string }>("SELECT id, task FROM backup_tasks WHERE state = 'pending' AND created_at < ? FOR UPDATE", [before]);
  for (const r of rows) await q("UPDATE backup_tasks SET state = 'expired', task = ? WHERE id = ? AND state = 'pending'", [JSON.stringify({ ...(JSON.parse(r.task) as BackupTask), state: 'expired' }), r.id]);
  return rows.length;
}

export async function lastFinishedTasks(q: Q, kind: BackupTaskKind): Promise<BackupTask[]> {
  const { rows } = await q<{ task: string }>(
    "SELECT task FROM backup_tasks t WHERE kind = ? AND state IN ('done', 'failed') AND created_at = (SELECT MAX(created_at) FROM backup_tasks WHERE app = t.app AND kind = t.kind AND state IN ('done', 'failed')) ORDER BY app",
    [kind],
  );
  return rows.map((r) => JSON.parse(r.task) as BackupTask);
}

/** Adds samples to every resolution and drops what is no longer kept; call inside a transaction. */
export async function writeTraffic(q: Q, samples: readonly TrafficSample[], connections: readonly ConnectionSample[], now: string): Promise<void> {
  const t = Date.parse(now);
  const keep = (r: TrafficResolution, at: string) => t - Date.parse(at) < TRAFFIC_KEEP_MS[r];
  for (const x of samples) {
    for (const r of TRAFFIC_RESOLUTIONS) {
      const at = bucketOf(x.minute, r);
      const [table, column] = TRAFFIC_TABLES[r];
      if (keep(r, at)) {
        await q(
          `INSERT INTO ${table} (app, site, ${column}, requests, errors) VALUES (?, ?, ?, ?, ?)
           ON CONFLICT (app, site, ${column}) DO UPDATE SET requests = ${table}.requests + excluded.requests, errors = ${table}.errors + excluded.errors`,
          [x.app, x.site, at, x.requests, x.errors],
        );
      }
    }
  }
  for (const c of connections) {
    for (const r of TRAFFIC_RESOLUTIONS) {
      const at = bucketOf(c.minute, r);
      if (keep(r, at)) {
        await q(
          `INSERT INTO connection_peaks (resolution, site, proxy, at, peak) VALUES (?, ?, ?, ?, ?)
           ON CONFLICT (resolution, site, proxy, at) DO UPDATE SET peak = GREATEST(connection_peaks.peak, excluded.peak)`,
          [r, c.site, c.proxy, at, c.peak],
        );
      }
    }
  }
  await q('DELETE FROM traffic_minute WHERE minute < ?', [new Date(t - TRAFFIC_KEEP_MS.minute).toISOString()]);
  await q('DELETE FROM traffic WHERE hour < ?', [new Date(t - TRAFFIC_KEEP_MS.hour).toISOString()]);
  await q("DELETE FROM connection_peaks WHERE (resolution = 'minute' AND at < ?) OR (resolution = 'hour' AND at < ?)", [new Date(t - TRAFFIC_KEEP_MS.minute).toISOString(), new Date(t - TRAFFIC_KEEP_MS.hour).toISOString()]);
}

export async function readTraffic(q: Q, w: { since: string; resolution: TrafficResolution; apps?: readonly string[] }): Promise<TrafficRow[]> {
  const [table, column] = TRAFFIC_TABLES[w.resolution];
  const { rows } = await q<TrafficRow>(`SELECT app, site, ${column} AS at, requests, errors FROM ${table} WHERE ${column} >= ? ORDER BY ${column}, app, site`, [w.since]);
  const apps = w.apps ? new Set(w.apps) : undefined;
  return (apps ? rows.filter((r) => apps.has(r.app)) : rows).map((r) => ({ app: r.app, site: r.site, at: r.at, requests: r.requests, errors: r.errors }));
}

export async function readConnectionPeaks(q: Q, w: { since: string; resolution: TrafficResolution }): Promise<ConnectionRow[]> {
  const { rows } = await q<ConnectionRow>('SELECT site, proxy, at, peak FROM connection_peaks WHERE resolution = ? AND at >= ? ORDER BY at, site, proxy', [w.resolution, w.since]);
  return rows.map((r) => ({ site: r.site, proxy: r.proxy, at: r.at, peak: r.peak }));
}

export async function writeAlerting(q: Q, c: AlertingCommit): Promise<void> {
  await q('DELETE FROM alert_groups');
  for (const g of c.groups) await q('INSERT INTO alert_groups (key, state) VALUES (?, ?)', [g.key, JSON.stringify(g.state)]);
  await queueNotifications(q, c.outbox);
  for (const id of c.reminded) await q('UPDATE silences SET reminded = 1 WHERE id = ?', [id]);
}

export async function addUptime(q: Q, days: readonly UptimeRecord[]): Promise<void> {
  for (const d of days) {
    await q(
      `INSERT INTO uptime (app, customer, day, up_seconds, down_seconds, unknown_seconds) VALUES (?, ?, ?, ?, ?, ?)
       ON CONFLICT (app, day) DO UPDATE SET customer = excluded.customer, up_seconds = uptime.up_seconds + excluded.up_seconds,
         down_seconds = uptime.down_seconds + excluded.down_seconds, unknown_seconds = uptime.unknown_seconds + excluded.unknown_seconds`,
      [d.app, d.customer, d.day, d.upSeconds, d.downSeconds, d.unknownSeconds],
    );
  }
}
