/** Fleet status: per app, desired against running replicas; per host, the last report and its age. */
import type { FastifyInstance } from 'fastify';
import { groupBy } from '../../core/util/group.js';
import type { ControllerService } from '../service.js';
import { requireRole } from './auth.js';

interface ReportedUnit {
  name: string;
  state: string;
  hash: string;
  restarts: number;
  lastError?: string;
  healthy?: boolean;
}

export function statusRoutes(app: FastifyInstance, service: ControllerService, now: () => Date): void {
  app.get('/v1/status', async (req) => {
    await requireRole(service.store, req, 'viewer');
    const cur = await service.current();
    const reports = new Map((await service.reports.all()).map((s) => [s.host, s]));
    const t = now().getTime();
    // The desired hash as agents get it (with restarts the controller asked for).
    const desiredHash = new Map(await Promise.all((cur?.fleet.hosts ?? []).map(async (h) => [h.id, (await service.desiredFor(h.id)).hash] as const)));
    const hosts = (cur?.fleet.hosts ?? []).map((h) => {
      const r = reports.get(h.id);
      const rep = r?.status as { appliedHash?: string; appliedAt?: string } | undefined;
      const applied = rep?.appliedHash ?? null;
      const desired = cur ? (desiredHash.get(h.id) ?? null) : null;
      return {
        host: h.id,
        site: h.site,
        lastReport: r?.reportedAt ?? null,
        ageSeconds: r ? Math.round((t - Date.parse(r.reportedAt)) / 1000) : null,
        desiredHash: desired,
        appliedHash: applied,
        // When the controller first heard that the host runs its applied hash.
        appliedAt: rep?.appliedAt ?? null,
        // The agent has applied what the newest revision wants of this host.
        current: desired !== null && applied === desired,
      };
    });
    const byApp = groupBy(cur?.placements ?? [], (p) => p.app);
    const reported = new Map<string, ReportedUnit>();
    for (const r of reports.values()) for (const u of (r.status as { units?: ReportedUnit[] }).units ?? []) reported.set(`${r.host}\u0000${u.name}`, u);
    const apps = (cur?.fleet.apps ?? []).map((a) => {
      const units = (byApp.get(a.id) ?? [])
        .map((p) => {
          const want = cur!.desired.get(p.host)?.units.find((u) => u.app === a.id && u.replica === p.replica);
          const seen = want ? reported.get(`${p.host}\u0000${want.name}`) : undefined;
          // Running means running the desired configuration: an old hash is still converging.
          const state = !seen ? 'unknown' : seen.hash !== want?.hash ? 'converging' : seen.state;
          return {
            unit: want?.name ?? `${a.id}-r${p.replica}`,
            host: p.host,
            site: p.site,
            state,
            ...(seen?.healthy !== undefined ? { healthy: seen.healthy } : {}),
            restarts: seen?.restarts ?? 0,
            ...(seen?.lastError ? { lastError: seen.lastError } : {}),
          };
        });
      // A replica counts as running when it runs the desired configuration and passes its health check (if any).
      const ok = (u: { state: string; healthy?: boolean }) => u.state === 'running' && u.healthy !== false;
      return { app: a.id, customer: a.customer, desired: a.redundancy.replicas, running: units.filter(ok).length, units };
    });
    const proxies = [...service.proxyViews].map(([host, v]) => ({ host, ...v, ageSeconds: Math.round((t - Date.parse(v.reportedAt)) / 1000) })).sort((a, b) => (a.host < b.host ? -1 : 1));
    return { revision: cur?.revision ?? null, apps, hosts, proxies };
  });
}
