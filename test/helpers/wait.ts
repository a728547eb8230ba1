/** Waiting in tests: for a time, or until something holds. */
import { AssertionError } from 'node:assert';

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Calls `fn` every `stepMs` until it returns something other than undefined and returns that;
 * fails naming `what` after `ms`.
 *
 * A failed assertion inside `fn` (node:assert's AssertionError) means the awaited state can no
 * longer come — e.g. `assert.notEqual(state, 'rolled-back')` while waiting for `done` — and
 * fails at once with its own message. Any other error (a server not listening yet, a refused
 * connection) counts as "not yet"; the last one is named if time runs out.
 */
export async function until<T>(what: string, fn: () => Promise<T | undefined>, ms = 20_000, stepMs = 50): Promise<T> {
  const deadline = Date.now() + ms;
  let last: unknown;
  for (;;) {
    let v: T | undefined;
    try {
      v = await fn();
    } catch (err) {
      if (err instanceof AssertionError) {
        err.message = `while waiting for ${what}: ${err.message}`;
        throw err;
      }
      last = err;
      v = undefined;
    }
    if (v !== undefined) return v;
    if (Date.now() > deadline) {
      const why = last === undefined ? '' : ` (last error: ${last instanceof Error ? last.message : String(last)})`;
      throw new Error(`timed out after ${ms} ms waiting for ${what}${why}`);
    }
    await sleep(stepMs);
  }
}
