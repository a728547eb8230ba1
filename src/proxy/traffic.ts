/**
 * Requests per app and minute, and the peak of concurrent client connections per minute,
 * counted by the proxy and handed to the controller with its status reports (the traffic
 * history). Counts that could not be delivered are kept and sent with the next report, so a
 * controller outage loses none.
 */
export interface TrafficCount {
  app: string;
  /** Start of the minute, ISO 8601 UTC. */
  minute: string;
  requests: number;
  errors: number;
}

export interface ConnectionPeak {
  /** Start of the minute, ISO 8601 UTC. */
  minute: string;
  /** Most client connections open at once during that minute. */
  peak: number;
}

export function minuteOf(t: Date): string {
  const d = new Date(t.getTime());
  d.setUTCSeconds(0, 0);
  return d.toISOString();
}

export class TrafficCounter {
  private counts = new Map<string, TrafficCount>();
  private peaks = new Map<string, number>();
  private open = 0;

  count(app: string | undefined, status: number, now: Date = new Date()): void {
    if (!app) return;
    const minute = minuteOf(now);
    const key = `${app}\u0000${minute}`;
    let c = this.counts.get(key);
    if (!c) {
      c = { app, minute, requests: 0, errors: 0 };
      this.counts.set(key, c);
    }
    c.requests++;
    if (status === 0 || status >= 500) c.errors++;
  }

  /** Requests counted elsewhere (HAProxy's statistics), added to the minute of `now`. */
  add(app: string, requests: number, errors: number, now: Date = new Date()): void {
    if (requests <= 0 && errors <= 0) return;
    const minute = minuteOf(now);
    const key = `${app}\u0000${minute}`;
    const c = this.counts.get(key) ?? { app, minute, requests: 0, errors: 0 };
    c.requests += Math.max(0, requests);
    c.errors += Math.max(0, errors);
    this.counts.set(key, c);
  }

  /** Connections open now, as sampled elsewhere (HAProxy's scur): the minute's peak is the highest sample. */
  connectionsNow(open: number, now: Date = new Date()): void {
    this.open = Math.max(0, open);
    this.notePeak(minuteOf(now));
  }

  connectionOpened(now: Date = new Date()): void {
    this.open++;
    this.notePeak(minuteOf(now));
  }

  connectionClosed(): void {
    this.open = Math.max(0, this.open - 1);
  }

  private notePeak(minute: string): void {
    if ((this.peaks.get(minute) ?? 0) < this.open) this.peaks.set(minute, this.open);
  }

  /** Everything counted so far; the counter starts again from zero (connections still open count for the current minute). */
  take(now: Date = new Date()): { traffic: TrafficCount[]; peaks: ConnectionPeak[] } {
    this.notePeak(minuteOf(now));
    const out = { traffic: [...this.counts.values()], peaks: [...this.peaks].map(([minute, peak]) => ({ minute, peak })) };
    this.counts = new Map();
    this.peaks = new Map();
    return out;
  }

  /** Puts back what was taken but not delivered. */
  restore(taken: { traffic: readonly TrafficCount[]; peaks: readonly ConnectionPeak[] }): void {
    for (const c of taken.traffic) {
      const key = `${c.app}\u0000${c.minute}`;
      const have = this.counts.get(key);
      if (have) {
        have.requests += c.requests;
        have.errors += c.errors;
      } else this.counts.set(key, { ...c });
    }
    for (const p of taken.peaks) this.peaks.set(p.minute, Math.max(this.peaks.get(p.minute) ?? 0, p.peak));
  }
}
