/** GET /v1/status: the fleet's status (core/report/status-view.ts); a customer's token gets its own apps only. */
import type { FastifyInstance } from 'fastify';
import { statusView } from '../../core/report/status-view.js';
import type { HostReports } from '../host-reports.js';
import type { Monitor } from '../monitor.js';
import type { Pulls } from '../pulls.js';
import type { Snapshot } from '../snapshot.js';
import type { Standbys } from '../standbys.js';
import { requireReader, type Credentials } from './auth.js';

/** What the status needs: the newest revision, the hosts' reports and desired states, check states, proxies. */
export interface StatusApi {
  auth: Credentials;
  current(): Promise<Snapshot | undefined>;
  reports: Pick<HostReports, 'all'>;
  desiredFor: Pulls['desiredFor'];
  proxyViews: Pulls['proxyViews'];
  monitor: Pick<Monitor, 'hosts' | 'sites' | 'stateOf'>;
  standbys: Pick<Standbys, 'views'>;
}

export function statusRoutes(app: FastifyInstance, api: StatusApi, now: () => Date): void {
  app.get('/v1/status', async (req) => {
    const who = await requireReader(api.auth, req);
    const rev = await api.current();
    // The desired hash as agents get it (with restarts the controller asked for).
    const desired = new Map(await Promise.all((rev?.fleet.hosts ?? []).map(async (h) => [h.id, await api.desiredFor(h.id)] as const)));
    return statusView({
      rev,
      reports: await api.reports.all(),
      desired,
      heartbeats: api.monitor.hosts(),
      sites: api.monitor.sites(),
      checkState: (id) => api.monitor.stateOf(id),
      proxies: api.proxyViews(),
      nowMs: now().getTime(),
      standbys: await api.standbys.views(),
      ...(who.customer !== undefined ? { customer: who.customer } : {}),
    });
  });
}
