/**
 * The dashboard's login: an API token, or a user's name and password traded for a session token
 * (POST /v1/login); either is checked (GET /v1/whoami) before it is kept, and kept in this tab's
 * sessionStorage only (gone with the tab). The caller's role and customer scope decide which
 * pages the dashboard offers; the API decides what it answers.
 */
import { HafenClient, type Caller } from '../client/client.js';

const KEY = 'hafen.token';
const WHO = 'hafen.caller';

export const savedToken = (): string | undefined => sessionStorage.getItem(KEY) ?? undefined;

export function savedCaller(): Caller | undefined {
  const raw = sessionStorage.getItem(WHO);
  return raw ? (JSON.parse(raw) as Caller) : undefined;
}

export function client(token = savedToken()): HafenClient {
  return new HafenClient(location.origin, token);
}

async function keep(token: string): Promise<void> {
  const who = await client(token).whoami();
  sessionStorage.setItem(KEY, token);
  sessionStorage.setItem(WHO, JSON.stringify(who));
}

/** Keeps the token when the controller knows it; else says why. */
export async function login(token: string): Promise<string | undefined> {
  const t = token.trim();
  if (!t) return 'enter an API token';
  try {
    await keep(t);
  } catch (err) {
    return (err as Error).message;
  }
  return undefined;
}

/** Logs a user in with name and password; says why not when it fails. */
export async function loginUser(name: string, password: string): Promise<string | undefined> {
  if (!name.trim() || !password) return 'enter a name and a password';
  try {
    await keep((await client(undefined).login(name.trim(), password)).token);
  } catch (err) {
    return (err as Error).message;
  }
  return undefined;
}

/** Forgets the token; a login session also ends at the controller. */
export async function logout(): Promise<void> {
  const session = savedCaller()?.expiresAt !== undefined;
  const c = client();
  sessionStorage.removeItem(KEY);
  sessionStorage.removeItem(WHO);
  if (session) await c.logout().catch(() => undefined);
}

/** Errors that mean the token no longer works: back to the login page. */
export const isAuthError = (err: unknown): boolean => /^HAFEN_AUTH_(MISSING|INVALID|EXPIRED)$/.test((err as { code?: string }).code ?? '');
