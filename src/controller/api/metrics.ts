/**
 * Prometheus metrics of the controller (GET /metrics, viewer token: Prometheus sends it with
 * `authorization: { credentials_file: … }`): every check's state by quorum and each site's last
 * probe duration, lost sites, silent probers, alerts firing, notifications waiting, and the
 * process's own metrics. Computed at scrape time from the monitor, never stored twice.
 */
import type { FastifyInstance } from 'fastify';
import { collectDefaultMetrics, Gauge, Registry } from 'prom-client';
import { type Credentials, requireRole } from './auth.js';
import type { Monitor } from '../monitor.js';
import type { Alerting } from '../alerting.js';

/** What the metrics need: check, host and site states, and the alerts. */
export interface MetricsApi {
  auth: Credentials;
  monitor: Pick<Monitor, 'hosts' | 'sites' | 'status'>;
  alerts: Alerting['alerts'];
}

const STATES = ['up', 'degraded', 'down', 'unknown'] as const;

export function metricsRoute(app: FastifyInstance, api: MetricsApi): void {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'hafen_controller_' });
  new Gauge({
    name: 'hafen_check_state',
    help: 'State of each check by quorum of the sites: 1 for its current state, 0 for the others',
    labelNames: ['check', 'kind', 'app', 'customer', 'state'],
    registers: [registry],
    collect() {
      this.reset();
      for (const c of api.monitor.status()) {
        for (const s of STATES) this.set({ check: c.id, kind: c.kind, app: c.app, customer: c.customer, state: s }, c.state === s ? 1 : 0);
      }
    },
  });
  new Gauge({
    name: 'hafen_probe_duration_seconds',
    help: 'How long the last probe of each check took, per probing site',
    labelNames: ['check', 'site'],
    registers: [registry],
    collect() {
      this.reset();
      for (const c of api.monitor.status()) for (const [site, v] of Object.entries(c.views)) this.set({ check: c.id, site }, v.ms / 1000);
    },
  });
  new Gauge({
    name: 'hafen_site_lost',
    help: '1 when two other sites see every check of the site down',
    labelNames: ['site'],
    registers: [registry],
    collect() {
      this.reset();
      for (const s of api.monitor.sites()) this.set({ site: s.site }, s.state === 'lost' ? 1 : 0);
    },
  });
  new Gauge({
    name: 'hafen_prober_silent',
    help: '1 when the site\'s probers stopped delivering results',
    labelNames: ['site'],
    registers: [registry],
    collect() {
      this.reset();
      for (const s of api.monitor.sites()) this.set({ site: s.site }, s.probers === 'silent' ? 1 : 0);
    },
  });
  new Gauge({
    name: 'hafen_host_up',
    help: '1 while the host\'s agent reports (a report within four heartbeats), 0 when it stopped; absent when it never reported',
    labelNames: ['host', 'site'],
    registers: [registry],
    collect() {
      this.reset();
      for (const h of api.monitor.hosts()) if (h.state !== 'unknown') this.set({ host: h.host, site: h.site }, h.state === 'up' ? 1 : 0);
    },
  });
  new Gauge({
    name: 'hafen_alerts_firing',
    help: 'Alerts firing and not muted (by a lost site or a silence), by severity',
    labelNames: ['severity'],
    registers: [registry],
    collect() {
      this.reset();
      const counts = { info: 0, warning: 0, critical: 0 };
      for (const a of api.alerts()) if (!a.inhibitedBy && !a.silencedBy) counts[a.severity]++;
      for (const [severity, n] of Object.entries(counts)) this.set({ severity }, n);
    },
  });

  app.get('/metrics', async (req, reply) => {
    await requireRole(api.auth, req, 'viewer');
    return reply.header('content-type', registry.contentType).send(await registry.metrics());
  });
}
