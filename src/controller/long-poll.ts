/** Long-polls: answer at once when something differs from what the caller has, else when it changes or the wait is over. */
import type { ChangeBus, ChangeName } from './change-bus.js';

/**
 * `compute` now, and again on each of `events` (and once more on 'close' or after `timeoutMs`),
 * until its hash differs from `after`; `changed` says whether it did.
 */
export async function longPoll<T extends { hash: string }>(changes: ChangeBus, compute: () => Promise<T>, after: string | undefined, timeoutMs: number, events: readonly Exclude<ChangeName, 'close'>[]): Promise<T & { changed: boolean }> {
  const now = await compute();
  if (after === undefined || now.hash !== after) return { ...now, changed: true };
  return new Promise((resolve) => {
    let finished = false;
    const done = async () => {
      if (finished) return;
      finished = true;
      clearTimeout(timer);
      for (const e of events) changes.off(e, onChange);
      changes.off('close', onClose);
      const next = await compute().catch(() => now);
      resolve({ ...next, changed: next.hash !== after });
    };
    const onChange = async () => {
      const next = await compute();
      if (next.hash !== after) void done();
    };
    const onClose = () => void done();
    const timer = setTimeout(() => void done(), timeoutMs);
    for (const e of events) changes.on(e, onChange);
    changes.on('close', onClose);
  });
}
