/** Waiting in tests: for a time, or until something holds. */

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Calls `fn` every `stepMs` until it returns something other than undefined (a throw counts as
 * not yet) and returns that; fails naming `what` after `ms`.
 */
export async function until<T>(what: string, fn: () => Promise<T | undefined>, ms = 20_000, stepMs = 50): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await fn().catch(() => undefined);
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(stepMs);
  }
}
