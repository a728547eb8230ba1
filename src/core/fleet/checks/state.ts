/**
 * One writer per app's data (DESIGN principle 12): an app that keeps data of its own — volumes,
 * or a compose project's named volumes and data directories — must say how its state is kept
 * when more than one replica could write it: `redundancy.mode: standby` (one replica takes every
 * request, the others take none) or `redundancy.sharedState` (the state lives outside the
 * replicas, e.g. an external database). A live move would run two writers side by side — but
 * a standby app's live move is a switchover move, which never does.
 */
import type { AppProject } from '../../compose/project.js';
import { DEFAULT_REPLICATE_EVERY_MS, keepsData, resolveBackup, type ResolvedBackup } from '../model.js';
import { parseDuration } from '../schema/monitoring.js';
import type { ProblemList } from '../problems.js';
import { each, indexById, type Parts } from './parts.js';

/** What of the app is data, for the messages ("volumes data, ./postgres"). */
function dataNames(app: { volumes: { name: string }[]; workload: { postgres?: unknown } }, project: AppProject | undefined): string {
  const names = [...(app.workload.postgres ? ['its PostgreSQL cluster'] : []), ...app.volumes.map((v) => v.name), ...(project?.volumes ?? []), ...(project?.dataDirs ?? []).map((d) => `./${d}`)];
  return [...new Set(names)].join(', ');
}

export function checkOneWriter(parts: Parts, out: ProblemList, projects: ReadonlyMap<string, AppProject>): void {
  const customers = indexById(parts.customers);
  each(parts.apps, (app, i) => {
    const r = app.redundancy;
    if (r.mode !== 'standby') {
      for (const k of ['replicateEvery', 'rpo'] as const) {
        if (r[k] !== undefined) out.warning('HAFEN_FLEET_STANDBY_REPLICATION', ['apps', i, 'redundancy', k], `app "${app.id}" is not a standby app (redundancy.mode: ${r.mode}): redundancy.${k} has no effect`);
      }
    } else if (app.workload.postgres) {
      // PostgreSQL streams: there is no copy interval; rpo stays the bound a standby's lag alerts past.
      if (r.replicateEvery !== undefined) out.warning('HAFEN_FLEET_STANDBY_REPLICATION', ['apps', i, 'redundancy', 'replicateEvery'], `app "${app.id}" runs PostgreSQL, whose standbys stream from the writer: redundancy.replicateEvery has no effect`);
    } else if (r.rpo !== undefined && (parseDuration(r.rpo) ?? 0) < (r.replicateEvery !== undefined ? (parseDuration(r.replicateEvery) ?? 0) : DEFAULT_REPLICATE_EVERY_MS)) {
      out.error('HAFEN_FLEET_STANDBY_REPLICATION', ['apps', i, 'redundancy', 'rpo'], `app "${app.id}": rpo ${r.rpo} is shorter than the copy interval (replicateEvery ${r.replicateEvery ?? '60s'}): its standbys would always be behind it; copy more often or allow more`);
    }
    if (app.workload.postgres) checkPostgres(app, i, out, resolveBackup(app, customers.get(app.customer)?.entry, parts.defaults));
    const project = projects.get(app.id);
    if (!keepsData(app, project) || app.redundancy.sharedState !== undefined) return;
    const data = dataNames(app, project);
    if (app.redundancy.replicas > 1 && app.redundancy.mode === 'active-active') {
      out.error(
        'HAFEN_FLEET_TWO_WRITERS',
        ['apps', i, 'redundancy', 'replicas'],
        `app "${app.id}" keeps data (${data}) and runs ${app.redundancy.replicas} replicas that all take requests: each would write its own copy, and visitors at different sites would see different data. Say how its state is kept: redundancy.mode: standby (one replica takes every request, the others none), or redundancy.sharedState: "<where>" (its state lives outside the replicas, e.g. an external database)`,
      );
    }
    // A standby app moves live by switchovers: never two writers.
    if (app.redundancy.mode === 'standby') return;
    if (app.migration === 'live') {
      out.error('HAFEN_FLEET_TWO_WRITERS', ['apps', i, 'migration'], `app "${app.id}" keeps data (${data}): a live move runs the old and the new replica side by side, two writers of it; move it in a window (migration: window), make it a standby app (redundancy.mode: standby: its live moves are switchovers), or declare redundancy.sharedState`);
    } else if (app.migration === undefined) {
      const customer = customers.get(app.customer)?.entry;
      const from = customer?.defaults?.migration === 'live' ? `customer "${app.customer}"'s defaults` : customer?.defaults?.migration === undefined && parts.defaults?.migration === 'live' ? "the fleet's defaults" : undefined;
      if (from) out.warning('HAFEN_FLEET_TWO_WRITERS', ['apps', i], `app "${app.id}" keeps data (${data}): it moves in a window, not live as ${from} say (a live move would run two writers of it side by side)`);
    }
  });
}

/** A PostgreSQL app: a port to listen on; no HTTP through the edge proxies; its state is its own cluster's. */
function checkPostgres(app: NonNullable<Parts['apps'][number]>, i: number, out: ProblemList, backup: ResolvedBackup | undefined): void {
  if (app.port === undefined) out.error('HAFEN_FLEET_POSTGRES', ['apps', i, 'port'], `app "${app.id}" runs PostgreSQL: it needs a port its servers listen on at their hosts' addresses (e.g. port: 5432)`);
  if (app.domains.length > 0) out.error('HAFEN_FLEET_POSTGRES', ['apps', i, 'domains'], `app "${app.id}" runs PostgreSQL, which the edge proxies (HTTP) cannot carry: remove its domains; clients connect to its writer (hafen status, GET /v1/standbys) or list every replica with target_session_attrs=read-write`);
  if (app.health !== undefined) out.error('HAFEN_FLEET_POSTGRES', ['apps', i, 'health'], `app "${app.id}" runs PostgreSQL: its replicas are checked by the server's own answer on its port; remove the HTTP health check`);
  // Its data directory copied as files while the server writes is no backup PostgreSQL can start from.
  if (backup && !backup.hooks?.before && !backup.hooks?.stop) {
    out.warning('HAFEN_FLEET_POSTGRES', ['apps', i, 'backup'], `app "${app.id}" runs PostgreSQL and is backed up: its data directory copied as files while the server writes is not a consistent backup; add backup.hooks.before with a dump (e.g. [pg_dumpall, -f, dump/all.sql]: it runs in the cluster's directory as its user, and dump/ is backed up) or backup.hooks.stop: true`);
  }
  if (app.redundancy.sharedState !== undefined) out.error('HAFEN_FLEET_POSTGRES', ['apps', i, 'redundancy', 'sharedState'], `app "${app.id}" runs PostgreSQL: its state is its own cluster's; with several replicas use redundancy.mode: standby (streaming replication)`);
}
