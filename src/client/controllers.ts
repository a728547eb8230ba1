/**
 * The controllers a client talks to: one URL, or several (`http://a:7400,http://b:7400`). A
 * request goes to the one in use; when it cannot be reached, to the next (in the order given,
 * round), and the one that answers is kept. A request that may have arrived (a connection
 * broken after sending, no answer in time) goes to another controller only when it is safe to
 * repeat (GET); so does one that a controller could not pass on to a leader (503
 * HAFEN_CONTROLLER_NO_LEADER: it went nowhere). Answers are decoded here: JSON, and the
 * controller's errors as HafenErrors.
 */
import { HafenError } from '../lib/errors.js';
import { httpRequest, HttpTimeoutError, type HttpResult } from '../lib/http.js';

/** Socket errors that mean the request never reached the controller: safe to send to another. */
export const NOT_SENT = new Set(['ECONNREFUSED', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN', 'EADDRNOTAVAIL']);

/** How the controllers are reached: over https, the CA their certificates chain to (default: the system's). */
export interface TransportOptions {
  ca?: string;
}

export class Controllers {
  readonly urls: readonly string[];
  /** The controller that answered last (tried first next time). */
  private at = 0;

  constructor(
    controllers: string,
    private readonly token?: string,
    private readonly options: TransportOptions = {},
  ) {
    this.urls = controllers.split(',').map((u) => u.trim()).filter(Boolean);
    if (this.urls.length === 0) throw new HafenError('HAFEN_CLI_BAD_OPTION', 'no controller URL given');
  }

  get baseUrl(): string {
    return this.urls[this.at]!;
  }

  /** The CA an https controller's certificate must chain to, when not the system's. */
  get ca(): string | undefined {
    return this.options.ca;
  }

  async call<T>(method: string, path: string, body: unknown, timeoutMs: number): Promise<T> {
    const res = await this.send(method, path, body, timeoutMs);
    if (res.status === 204) return undefined as T;
    let data: unknown;
    try {
      data = res.body ? JSON.parse(res.body) : undefined;
    } catch {
      throw new HafenError('HAFEN_CLIENT_BAD_RESPONSE', `the controller answered ${res.status} with something that is not JSON`, { retryable: res.status >= 500 });
    }
    if (res.status < 200 || res.status >= 300) {
      const e = (data as { error?: { code?: string; message?: string; retryable?: boolean; details?: unknown } } | undefined)?.error;
      throw HafenError.answered(e?.code ?? `HAFEN_HTTP_${res.status}`, e?.message ?? `the controller answered ${res.status}`, { retryable: e?.retryable ?? res.status >= 500, details: e?.details });
    }
    return data as T;
  }

  private async send(method: string, path: string, body: unknown, timeoutMs: number): Promise<HttpResult> {
    const failures: string[] = [];
    for (let i = 0; ; i++) {
      const index = (this.at + i) % this.urls.length;
      const url = this.urls[index]!;
      try {
        const res = await httpRequest(new URL(path, url), {
          method,
          headers: { ...(body !== undefined ? { 'content-type': 'application/json' } : {}), ...(this.token ? { authorization: `Bearer ${this.token}` } : {}) },
          ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
          timeoutMs,
          ...(this.options.ca !== undefined ? { ca: this.options.ca } : {}),
        });
        // A controller that does not lead and has none to pass the request on to: it went nowhere.
        if (res.status === 503 && i < this.urls.length - 1 && res.body.includes('"HAFEN_CONTROLLER_NO_LEADER"')) {
          failures.push(`${url}: no leader to pass it on to`);
          continue;
        }
        this.at = index;
        return res;
      } catch (err) {
        failures.push(`${url}: ${err instanceof HttpTimeoutError ? err.message : (err as Error).message}`);
        const next = method === 'GET' || NOT_SENT.has((err as NodeJS.ErrnoException).code ?? '');
        if (!next || i === this.urls.length - 1) {
          throw new HafenError('HAFEN_CLIENT_UNREACHABLE', `cannot reach the controller at ${failures.join('; ')}`, { retryable: true, cause: err });
        }
      }
    }
  }
}
