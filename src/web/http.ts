/**
 * lib/http.ts for the browser: the same interface on fetch, so the dashboard uses the typed
 * client (src/client) as the CLI does. vite.config.ts puts this module in lib/http's place in
 * the dashboard's bundle; Node code never imports it.
 */
// Types only (erased from the bundle, so node:http never comes with them).
import type { HttpRequest, HttpResult } from '../lib/http.js';

export type { HttpRequest, HttpResult };

export class HttpTimeoutError extends Error {
  constructor(ms: number) {
    super(`no answer within ${ms / 1000} s`);
    this.name = 'TimeoutError';
  }
}

export async function httpRequest(url: URL, req: HttpRequest): Promise<HttpResult> {
  try {
    const res = await fetch(url, { method: req.method ?? 'GET', headers: req.headers ?? {}, ...(req.body !== undefined ? { body: req.body } : {}), signal: AbortSignal.timeout(req.timeoutMs) });
    return { status: res.status, body: await res.text() };
  } catch (err) {
    if ((err as Error).name === 'TimeoutError') throw new HttpTimeoutError(req.timeoutMs);
    throw err;
  }
}
