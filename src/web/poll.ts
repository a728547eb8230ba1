/**
 * Data for a page: loaded at once, then every POLL_MS while the page is shown. A refused token
 * (revoked, or a session that ended) logs out and shows the login page; other errors are shown
 * above the last data, which stays.
 */
import { useEffect, useState } from 'preact/hooks';
import type { HafenClient } from '../client/client.js';
import { client, isAuthError, logout } from './session.js';

export const POLL_MS = 10_000;

export interface Polled<T> {
  data?: T;
  error?: string;
}

export function usePoll<T>(load: (c: HafenClient) => Promise<T>, deps: readonly unknown[] = [], every = POLL_MS): Polled<T> {
  const [state, setState] = useState<Polled<T>>({});
  useEffect(() => {
    let alive = true;
    const run = async () => {
      try {
        const data = await load(client());
        if (alive) setState({ data });
      } catch (err) {
        if (!alive) return;
        if (isAuthError(err)) {
          await logout();
          location.hash = '#/login';
          return;
        }
        setState((s) => ({ ...s, error: (err as Error).message }));
      }
    };
    void run();
    const timer = setInterval(() => void run(), every);
    return () => {
      alive = false;
      clearInterval(timer);
    };
  }, deps);
  return state;
}
