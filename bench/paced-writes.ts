/**
 * A client of the failover benchmarks: a write every 50 ms, each on its own and none waiting for
 * the one before (a write that hangs in an outage must not hold up the next), and the writes
 * acknowledged, with when and by whom.
 */
import { sleep } from '../test/helpers/wait.js';

export interface Ack {
  /** What was written: `<prefix>-<n>`. */
  id: string;
  at: number;
  /** Who acknowledged it (an address or a host). */
  by: string;
}

/** Starts writing `<prefix>-1`, `<prefix>-2`, …; `write` answers who acknowledged a write, undefined when none did. */
export function pacedWrites(prefix: string, write: (id: string) => Promise<string | undefined>): { acks: Ack[]; stop(): Promise<void> } {
  const acks: Ack[] = [];
  const pending = new Set<Promise<void>>();
  let on = true;
  let i = 0;
  const loop = (async () => {
    while (on) {
      const id = `${prefix}-${++i}`;
      const p = write(id)
        .then((by) => {
          if (by !== undefined) acks.push({ id, at: Date.now(), by });
        })
        .catch(() => {})
        .finally(() => pending.delete(p));
      pending.add(p);
      await sleep(50);
    }
  })();
  return {
    acks,
    stop: async () => {
      on = false;
      await loop;
      await Promise.all(pending);
    },
  };
}
