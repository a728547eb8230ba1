/**
 * A small HTTP/1.1 request on node:http with keep-alive connections. Used instead of the
 * global fetch where requests are frequent (agents long-poll and report, probes): fetch's
 * web streams cost about three times the CPU per request, which a hundred agents sharing a
 * machine (tests, the demo, the convergence benchmark) feel. https URLs use node:https.
 */
import http from 'node:http';
import https from 'node:https';

export interface HttpResult {
  status: number;
  body: string;
}

export interface HttpRequest {
  method?: string;
  headers?: Record<string, string>;
  body?: string;
  timeoutMs: number;
  /** A connection of its own, closed after the answer (proves the path works now, not a connection made before). */
  newConnection?: boolean;
  /** For https: the CA certificates (PEM) the server's certificate must chain to, instead of the system's. */
  ca?: string;
}

/** Keep-alive agents, one per protocol, with a socket kept per origin for the next request. */
const agents = {
  'http:': new http.Agent({ keepAlive: true, keepAliveMsecs: 10_000 }),
  'https:': new https.Agent({ keepAlive: true, keepAliveMsecs: 10_000 }),
};

/** Thrown when no answer came within the timeout. */
export class HttpTimeoutError extends Error {
  constructor(ms: number) {
    super(`no answer within ${ms / 1000} s`);
    this.name = 'TimeoutError';
  }
}

/**
 * Sends one request and reads the whole answer as text. Rejects with the socket's error
 * (ECONNREFUSED, ECONNRESET, …) or an HttpTimeoutError.
 */
/** Keep-alive agents for https with a CA of their own, by the CA's text. */
const caAgents = new Map<string, https.Agent>();

function agentFor(url: URL, req: HttpRequest): http.Agent | false {
  if (url.protocol !== 'https:') return req.newConnection ? false : agents['http:'];
  if (req.ca === undefined) return req.newConnection ? new https.Agent({ keepAlive: false }) : agents['https:'];
  if (req.newConnection) return new https.Agent({ keepAlive: false, ca: req.ca });
  let agent = caAgents.get(req.ca);
  if (!agent) caAgents.set(req.ca, (agent = new https.Agent({ keepAlive: true, keepAliveMsecs: 10_000, ca: req.ca })));
  return agent;
}

export function httpRequest(url: URL, req: HttpRequest): Promise<HttpResult> {
  const mod = url.protocol === 'https:' ? https : http;
  const agent = agentFor(url, req);
  return new Promise((resolve, reject) => {
    const headers: Record<string, string | number> = { ...req.headers };
    if (req.body !== undefined) headers['content-length'] = Buffer.byteLength(req.body);
    const r = mod.request(url, { method: req.method ?? 'GET', headers, agent }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        clearTimeout(timer);
        resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') });
      });
      res.on('error', (err) => {
        clearTimeout(timer);
        reject(err);
      });
    });
    const timer = setTimeout(() => r.destroy(new HttpTimeoutError(req.timeoutMs)), req.timeoutMs);
    r.on('error', (err) => {
      clearTimeout(timer);
      // A kept-alive connection the server had closed (it restarted, or timed the idle socket
      // out) fails before the request was read: sent again on a new connection, once (as
      // Node's documentation of reusedSocket advises).
      if (r.reusedSocket && (err as NodeJS.ErrnoException).code === 'ECONNRESET' && !req.newConnection) resolve(httpRequest(url, { ...req, newConnection: true }));
      else reject(err);
    });
    r.end(req.body);
  });
}
