/**
 * Requests per app and hour, counted by the proxy and handed to the controller with its status
 * reports (the traffic history). Counts that could not be delivered are kept and sent with
 * the next report, so a controller outage loses none.
 */
export interface TrafficCount {
  app: string;
  /** Start of the hour, ISO 8601 UTC. */
  hour: string;
  requests: number;
  errors: number;
}

export function hourOf(t: Date): string {
  const d = new Date(t.getTime());
  d.setUTCMinutes(0, 0, 0);
  return d.toISOString();
}

export class TrafficCounter {
  private counts = new Map<string, TrafficCount>();

  count(app: string | undefined, status: number, now: Date = new Date()): void {
    if (!app) return;
    const hour = hourOf(now);
    const key = `${app}\u0000${hour}`;
    let c = this.counts.get(key);
    if (!c) {
      c = { app, hour, requests: 0, errors: 0 };
      this.counts.set(key, c);
    }
    c.requests++;
    if (status === 0 || status >= 500) c.errors++;
  }

  /** Everything counted so far; the counter starts again from zero. */
  take(): TrafficCount[] {
    const out = [...this.counts.values()];
    this.counts = new Map();
    return out;
  }

  /** Puts counts back that were taken but not delivered. */
  restore(counts: readonly TrafficCount[]): void {
    for (const c of counts) {
      const key = `${c.app}\u0000${c.hour}`;
      const have = this.counts.get(key);
      if (have) {
        have.requests += c.requests;
        have.errors += c.errors;
      } else this.counts.set(key, { ...c });
    }
  }
}
