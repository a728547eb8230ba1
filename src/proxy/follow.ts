/**
 * Following the controller: long-poll the route table, apply each new one without a restart,
 * keep the last one on disk (a proxy starts and keeps serving without the controller), and
 * report the replica health this proxy sees and the requests it counted every few seconds.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { HafenClient } from '../client/client.js';
import { keepNewestTerms } from '../core/standby/terms.js';
import { RouteTableSchema, type RouteTable } from '../core/render/routes.js';
import { writeFileAtomic } from '../lib/fs.js';
import type { ProxyReplicaView } from '../client/client.js';
import type { TrafficCounter } from './traffic.js';

export interface CachedRoutes {
  hash: string;
  site: string | null;
  table: RouteTable;
}

const MAX_BACKOFF_MS = 5000;

/** What the follower drives: the built-in proxy, or HAProxy through its engine. */
export interface DataPlane {
  readonly revision: number;
  update(table: RouteTable): void | Promise<unknown>;
  /** Each replica as this proxy sees it now. */
  health(): ProxyReplicaView[];
}

export function readCachedRoutes(data: string): CachedRoutes | undefined {
  try {
    const c = JSON.parse(readFileSync(join(data, 'routes.json'), 'utf8')) as CachedRoutes;
    return { ...c, table: RouteTableSchema.parse(c.table) };
  } catch {
    return undefined;
  }
}

export function writeCachedRoutes(data: string, cached: CachedRoutes): Promise<void> {
  return writeFileAtomic(join(data, 'routes.json'), JSON.stringify(cached));
}

/** Traffic counts (and connection peaks) per status report at most; the controller takes up to 200,000. */
const MAX_COUNTS_PER_REPORT = 50_000;

export class RouteFollower {
  private running = true;
  private timer?: NodeJS.Timeout;

  constructor(
    private readonly client: HafenClient,
    private readonly data: string,
    private readonly proxy: DataPlane,
    private readonly site: string,
    private hash: string | undefined,
    private readonly log: (msg: string, extra?: Record<string, unknown>) => void,
    private readonly traffic: TrafficCounter,
    /** Where this proxy listens (HOST:PORT), so probes through the proxies know where to go. */
    private readonly endpoints: { listen?: string; tlsListen?: string } = {},
    private readonly waitSeconds = 25,
    /** The table applied before following (from the cache or the first answer): terms never go back from it. */
    private applied?: RouteTable,
  ) {}

  start(): void {
    void this.loop();
    this.timer = setInterval(() => void this.report(), 5000);
    this.timer.unref();
  }

  private async report(): Promise<void> {
    const all = this.traffic.take();
    // After a long controller outage the backlog may exceed what one report may carry: send the
    // oldest part now, the rest with the next reports.
    const taken = { traffic: all.traffic.slice(0, MAX_COUNTS_PER_REPORT), peaks: all.peaks.slice(0, MAX_COUNTS_PER_REPORT) };
    this.traffic.restore({ traffic: all.traffic.slice(MAX_COUNTS_PER_REPORT), peaks: all.peaks.slice(MAX_COUNTS_PER_REPORT) });
    try {
      await this.client.reportProxyStatus({ site: this.site, ...this.endpoints, revision: this.proxy.revision, replicas: this.proxy.health(), traffic: taken.traffic, connections: taken.peaks });
    } catch {
      // Sent with the next report.
      this.traffic.restore(taken);
    }
  }

  /** Delivers what is counted now (on stop). */
  flush(): Promise<void> {
    return this.report();
  }

  private async loop(): Promise<void> {
    let backoff = 500;
    while (this.running) {
      try {
        const res = await this.client.proxyRoutes(this.hash, this.waitSeconds);
        if (!this.running) return;
        if (res.hash !== this.hash) {
          // Fencing: never back to an older writer of a standby app (core/standby/terms.ts).
          const { table, kept } = keepNewestTerms(res.table, this.applied);
          if (kept.length) this.log(`route table of an older term for ${kept.join(', ')}: keeping the newer writer`, { revision: res.table.revision });
          await this.proxy.update(table);
          this.applied = table;
          this.hash = res.hash;
          this.log('route table applied', { revision: res.table.revision, routes: res.table.routes.length });
          await writeCachedRoutes(this.data, { hash: res.hash, site: res.site, table });
          void this.report();
        }
        backoff = 500;
      } catch (err) {
        if (!this.running) return;
        this.log(`controller: ${(err as Error).message}; serving revision ${this.proxy.revision}, retrying in ${backoff} ms`);
        await new Promise((r) => setTimeout(r, backoff * (0.75 + Math.random() / 2)));
        backoff = Math.min(backoff * 2, MAX_BACKOFF_MS);
      }
    }
  }

  stop(): void {
    this.running = false;
    clearInterval(this.timer);
  }
}
