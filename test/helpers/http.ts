/** HTTP requests from tests. */
import http from 'node:http';

/** The body of GET / at addr:port (a second at most). */
export const fetchText = (addr: string, port: number): Promise<string> => fetch(`http://${addr}:${port}/`, { signal: AbortSignal.timeout(1000) }).then((r) => r.text());

/** A request (GET unless `send` says otherwise) with any Host header (fetch would not send one of its own), on a fresh connection. */
export function getWithHost(
  url: string,
  host: string,
  path = '/',
  headers: Record<string, string> = {},
  send: { method?: string; body?: string; timeoutMs?: number } = {},
): Promise<{ status: number; body: string; headers: http.IncomingHttpHeaders }> {
  return new Promise((resolve, reject) => {
    const req = http.request(`${url}${path}`, { method: send.method ?? 'GET', headers: { ...headers, host }, agent: false, timeout: send.timeoutMs ?? 5000 }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body, headers: res.headers }));
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', reject);
    req.end(send.body);
  });
}
