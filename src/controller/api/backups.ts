/**
 * Backups: agents report the runs of their backup jobs and their tasks with their host
 * credential (the host is the caller, never what the body claims); people read, per app, where
 * and when it backs up and how its last runs, drills and checks went, and ask for tasks (run
 * now, restore into scratch, drill, check) that the job host's agent carries out.
 */
import type { FastifyInstance } from 'fastify';
import { backupDeadline } from '../../core/alerting/backups.js';
import { type Credentials, requireHost, requireRole } from './auth.js';
import { noteAudit } from '../audit.js';
import { HafenError } from '../../lib/errors.js';
import { BackupRunsBody, BackupTaskBody, BackupTaskReportsBody } from './schemas.js';
import { body } from './validate.js';
import type { Store } from '../store/store.js';
import type { BackupBook } from '../backups.js';

/** What the backup routes need: the backup book and its runs and tasks. */
export interface BackupsApi {
  auth: Credentials;
  /** The units the newest revision places on a host ("app-rN"): a host reports backup runs of those only. */
  unitsOn(host: string): Promise<Set<string>>;
  store: Pick<Store, 'addBackupRuns' | 'backupRuns' | 'backupTask' | 'backupTasks'>;
  backups: Pick<BackupBook, 'apps' | 'ask' | 'changed' | 'disks' | 'plan' | 'report' | 'shown'>;
}

export function backupRoutes(app: FastifyInstance, api: BackupsApi): void {
  app.post('/v1/agent/backups', async (req, reply) => {
    const host = await requireHost(api.auth, req);
    const { runs } = body(BackupRunsBody, req);
    const mine = await api.unitsOn(host);
    const foreign = runs.find((r) => !mine.has(r.unit));
    if (foreign) throw new HafenError('HAFEN_AUTH_FORBIDDEN', `host ${host} does not run ${foreign.unit}: it reports backup runs of its own units only (nothing was recorded)`);
    await api.store.addBackupRuns(host, runs);
    api.backups.changed();
    return reply.code(204).send();
  });

  app.post('/v1/agent/backup-tasks', async (req, reply) => {
    const host = await requireHost(api.auth, req);
    const { tasks } = body(BackupTaskReportsBody, req);
    await api.backups.report(host, tasks);
    return reply.code(204).send();
  });

  app.post<{ Params: { app: string } }>('/v1/backups/:app/tasks', async (req, reply) => {
    const who = await requireRole(api.auth, req, 'operator');
    const { kind, snapshot, into, from, to } = body(BackupTaskBody, req);
    const task = await api.backups.ask(req.params.app, kind, who.name, { ...(snapshot ? { snapshot } : {}), ...(into === 'app' ? { into } : {}), ...(from === 'copy' ? { from } : {}), ...(to ? { to } : {}) });
    noteAudit(req, { actor: who.name, action: `backup.${kind}`, subject: req.params.app, detail: { task: task.id, ...(snapshot ? { snapshot } : {}), ...(into === 'app' ? { into } : {}), ...(from === 'copy' ? { from } : {}), ...(to ? { to } : {}) } });
    return reply.code(202).send(task);
  });

  app.get<{ Params: { id: string } }>('/v1/backups/tasks/:id', async (req) => {
    await requireRole(api.auth, req, 'viewer');
    const task = await api.store.backupTask(req.params.id);
    if (!task) throw new HafenError('HAFEN_BACKUP_TASK_NOT_FOUND', `no backup task ${req.params.id}`);
    return api.backups.shown(task);
  });

  app.get<{ Querystring: { app?: string; kind?: string; limit?: string } }>('/v1/backups/tasks', async (req) => {
    await requireRole(api.auth, req, 'viewer');
    const limit = Math.min(Math.max(Number(req.query.limit ?? 100) || 100, 1), 10_000);
    const kind = req.query.kind === undefined ? undefined : BackupTaskBody.shape.kind.parse(req.query.kind);
    const tasks = await api.store.backupTasks({ ...(req.query.app ? { app: req.query.app } : {}), ...(kind ? { kind } : {}), limit });
    return { tasks: tasks.map((t) => api.backups.shown(t)) };
  });

  app.get<{ Querystring: { app?: string } }>('/v1/backups/plan', async (req) => {
    await requireRole(api.auth, req, 'viewer');
    return api.backups.plan(req.query.app);
  });

  app.get<{ Querystring: { app?: string; limit?: string } }>('/v1/backups', async (req) => {
    await requireRole(api.auth, req, 'viewer');
    const limit = Math.min(Math.max(Number(req.query.limit ?? 100) || 100, 1), 10_000);
    const apps = (await api.backups.apps())
      .filter((a) => !req.query.app || a.app === req.query.app)
      .map((a) => ({ app: a.app, customer: a.customer, host: a.host, schedule: a.schedule, repository: a.repository, copy: a.copy, ...(a.problem ? { problem: a.problem } : {}), lastRun: a.lastRun, lastSuccess: a.lastSuccess, failingSince: a.failingSince, dueBy: backupDeadline(a)?.toISOString() ?? null, lastDrill: a.lastDrill, lastCheck: a.lastCheck }));
    const runs = await api.store.backupRuns({ ...(req.query.app ? { app: req.query.app } : {}), limit });
    return { apps, runs, disks: await api.backups.disks() };
  });
}
