/**
 * The proxy's Prometheus metrics (prom-client), served on the admin port, never on the
 * traffic port: requests by app and status class, latency, retries, health events, and the
 * connections and WebSocket tunnels held.
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { AccessEntry } from './proxy.js';

export class ProxyMetrics {
  readonly registry = new Registry();
  private readonly requests = new Counter({ name: 'hafen_proxy_requests_total', help: 'Requests by app and status class', labelNames: ['app', 'code'], registers: [this.registry] });
  private readonly duration = new Histogram({
    name: 'hafen_proxy_request_duration_seconds',
    help: 'Time from request to the end of the response, by app',
    labelNames: ['app'],
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [this.registry],
  });
  private readonly retries = new Counter({ name: 'hafen_proxy_retries_total', help: 'Requests sent again to another replica, by app', labelNames: ['app'], registers: [this.registry] });
  private readonly health = new Counter({ name: 'hafen_proxy_health_events_total', help: 'Replica health changes (down, up, ejected, restored)', labelNames: ['replica', 'event'], registers: [this.registry] });
  readonly connections = new Gauge({ name: 'hafen_proxy_connections', help: 'Client connections open now', registers: [this.registry] });
  private tunnelsOpen: () => number = () => 0;
  private readonly tunnels: Gauge = new Gauge({
    name: 'hafen_proxy_tunnels',
    help: 'WebSocket tunnels open now',
    registers: [this.registry],
    collect: (): void => this.tunnels.set(this.tunnelsOpen()),
  });

  constructor() {
    collectDefaultMetrics({ register: this.registry, prefix: 'hafen_proxy_' });
  }

  access(e: AccessEntry): void {
    const app = e.app ?? '(none)';
    this.requests.inc({ app, code: `${Math.floor(e.status / 100)}xx` });
    this.duration.observe({ app }, e.ms / 1000);
    if (e.retries > 0) this.retries.inc({ app }, e.retries);
  }

  /** Where the open tunnels are counted (the proxy). */
  countTunnels(open: () => number): void {
    this.tunnelsOpen = open;
  }

  healthEvent(replica: string, event: string): void {
    this.health.inc({ replica, event });
  }
}
