/**
 * Uptime bookkeeping: after each evaluation of the checks, the time since the last one is
 * added to each app's state of the day (core/monitor/uptime.ts), in memory, and written to the
 * store once a minute and on shutdown. A gap longer than a few seconds between evaluations
 * (the controller was stopped or stalled) is not counted: nobody was watching.
 */
import { accumulate, appStates, type UptimeDay } from '../core/monitor/uptime.js';
import type { CheckStatus } from '../core/monitor/status.js';
import type { Store } from './store/store.js';

const MAX_STEP_S = 5;
const FLUSH_MS = 60_000;

export class UptimeBook {
  private pending = new Map<string, UptimeDay>();
  private last: number | undefined;
  private lastFlush: number;

  constructor(
    private readonly store: Store,
    private readonly now: () => Date,
  ) {
    this.lastFlush = now().getTime();
  }

  async tick(checks: readonly CheckStatus[]): Promise<void> {
    const at = this.now();
    const t = at.getTime();
    if (this.last !== undefined && t > this.last) {
      const seconds = Math.min((t - this.last) / 1000, MAX_STEP_S);
      accumulate(this.pending, appStates(checks), at, seconds);
    }
    this.last = t;
    if (t - this.lastFlush >= FLUSH_MS) await this.flush();
  }

  /** What is counted but not yet written: a report adds it, so it is current to the second. */
  unwritten(): UptimeDay[] {
    return [...this.pending.values()].map((d) => ({ ...d }));
  }

  async flush(): Promise<void> {
    this.lastFlush = this.now().getTime();
    if (this.pending.size === 0) return;
    const days = [...this.pending.values()];
    this.pending = new Map();
    try {
      await this.store.addUptime(days);
    } catch (err) {
      for (const d of days) {
        const key = `${d.app}\u0000${d.day}`;
        const have = this.pending.get(key);
        if (have) {
          have.upSeconds += d.upSeconds;
          have.downSeconds += d.downSeconds;
          have.unknownSeconds += d.unknownSeconds;
        } else this.pending.set(key, d);
      }
      throw err;
    }
  }
}
