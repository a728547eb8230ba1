/**
 * The dashboard's login: an API token, kept in this tab's sessionStorage only (gone with the
 * tab), checked against the controller before it is kept. The token's role decides what the
 * API answers; the dashboard shows what it is given.
 */
import { HafenClient } from '../client/client.js';

const KEY = 'hafen.token';

export const savedToken = (): string | undefined => sessionStorage.getItem(KEY) ?? undefined;

export function client(token = savedToken()): HafenClient {
  return new HafenClient(location.origin, token);
}

/** Checks the token with a request a viewer may make; keeps it when it works, else says why. */
export async function login(token: string): Promise<string | undefined> {
  const t = token.trim();
  if (!t) return 'enter an API token';
  try {
    await client(t).status();
  } catch (err) {
    return (err as Error).message;
  }
  sessionStorage.setItem(KEY, t);
  return undefined;
}

export function logout(): void {
  sessionStorage.removeItem(KEY);
}
