/**
 * Backups: agents report the runs of their backup jobs with their host credential (the host
 * of a run is the caller, never what the body claims); people read, per app, where and when it
 * backs up and how its last runs went.
 */
import type { FastifyInstance } from 'fastify';
import { repositoryFor } from '../../core/render/backups.js';
import type { ControllerService } from '../service.js';
import { requireHost, requireRole } from './auth.js';
import { BackupRunsBody } from './schemas.js';
import { body } from './validate.js';

export function backupRoutes(app: FastifyInstance, service: ControllerService): void {
  app.post('/v1/agent/backups', async (req, reply) => {
    const host = await requireHost(service.store, req);
    const { runs } = body(BackupRunsBody, req);
    await service.store.addBackupRuns(host, runs);
    return reply.code(204).send();
  });

  app.get<{ Querystring: { app?: string; limit?: string } }>('/v1/backups', async (req) => {
    await requireRole(service.store, req, 'viewer');
    const limit = Math.min(Math.max(Number(req.query.limit ?? 100) || 100, 1), 10_000);
    const cur = await service.current();
    const jobs = [...(cur?.desired.values() ?? [])].flatMap((s) => (s.backups ?? []).map((j) => ({ ...j, host: s.host })));
    const last = new Map((await service.store.lastBackupRuns()).map((l) => [l.app, l]));
    const apps = (cur?.fleet.apps ?? [])
      .filter((a) => a.backup && (!req.query.app || a.id === req.query.app))
      .map((a) => {
        const job = jobs.find((j) => j.app === a.id);
        // No job: say why (no repository at the target site, or the app is not placed).
        const why = job ? undefined : repositoryFor(cur!.fleet, a.backup!.to, a.customer, a.id, cur!.addresses);
        const problem = typeof why === 'string' ? why : job ? undefined : 'the app has no replica placed';
        return { app: a.id, customer: a.customer, host: job?.host ?? null, schedule: a.backup!.schedule, repository: job?.repository.url ?? null, ...(problem ? { problem } : {}), lastRun: last.get(a.id)?.lastRun ?? null, lastSuccess: last.get(a.id)?.lastSuccess ?? null };
      });
    const runs = await service.store.backupRuns({ ...(req.query.app ? { app: req.query.app } : {}), limit });
    return { apps, runs };
  });
}
