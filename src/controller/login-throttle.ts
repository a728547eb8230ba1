/**
 * Failed logins slowed per client address and per user name. An attempt counts as a failure
 * from the moment it starts (before the password check, which takes its time), and stops
 * counting only when it succeeds: parallel attempts cannot all read the count before any of
 * them is written back, so at most `max` wrong tries get through in `windowMs`, whatever the
 * parallelism.
 */
export class LoginThrottle {
  private readonly tries = new Map<string, number[]>();

  constructor(
    private readonly max: number,
    private readonly windowMs: number,
  ) {}

  /**
   * Starts an attempt under each key (an address, a name) at `t`: refused with the wait in ms when
   * any key has had `max` tries in the window; otherwise counted, and `succeeded` takes it back.
   */
  begin(keys: readonly string[], t: number): { ok: true; succeeded(): void } | { ok: false; waitMs: number } {
    let waitMs = 0;
    for (const k of keys) {
      const recent = this.recent(k, t);
      if (recent.length >= this.max) waitMs = Math.max(waitMs, recent[0]! + this.windowMs - t);
    }
    if (waitMs > 0) return { ok: false, waitMs };
    for (const k of keys) this.tries.set(k, [...this.recent(k, t), t]);
    return {
      ok: true,
      succeeded: () => {
        for (const k of keys) {
          const list = this.tries.get(k) ?? [];
          const i = list.indexOf(t);
          if (i >= 0) list.splice(i, 1);
          if (list.length === 0) this.tries.delete(k);
        }
      },
    };
  }

  private recent(key: string, t: number): number[] {
    const list = (this.tries.get(key) ?? []).filter((at) => at > t - this.windowMs);
    if (list.length === 0) this.tries.delete(key);
    return list;
  }
}
