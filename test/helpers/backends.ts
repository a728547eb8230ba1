/**
 * Small HTTP backends for proxy tests: each answers with its own id, so a test sees which
 * replica served a request; can be killed (listener and connections gone at once).
 */
import http from 'node:http';
import type { RouteTable } from '../../src/core/render/routes.js';
import type { AddressInfo } from 'node:net';

export interface Backend {
  id: string;
  address: string;
  port: number;
  /** Requests this backend answered (health checks on /healthz aside). */
  served: number;
  /** Headers of the last request. */
  last?: http.IncomingHttpHeaders;
  kill(): void;
  close(): Promise<void>;
}

export async function startBackend(id: string, address: string, opts: { delayMs?: number; port?: number } = {}): Promise<Backend> {
  const b: Backend = { id, address, port: 0, served: 0, kill: () => {}, close: async () => {} };
  const server = http.createServer((req, res) => {
    b.last = req.headers;
    let body = '';
    req.on('data', (d: Buffer) => (body += d.toString()));
    req.on('end', () => {
      const answer = () => {
        // Health checks are not requests served: engines check on their own clocks.
        if (req.url === '/healthz') return void res.end('ok');
        b.served++;
        res.writeHead(200, { 'content-type': 'text/plain', 'x-backend': id });
        res.end(`${id} ${req.method} ${req.url}${body ? ` ${body}` : ''}`);
      };
      // Unref: a killed backend's pending answer must not keep the test process alive.
      if (opts.delayMs) setTimeout(answer, opts.delayMs).unref();
      else answer();
    });
  });
  server.on('upgrade', (req, socket) => {
    socket.write('HTTP/1.1 101 Switching Protocols\r\nupgrade: echo\r\nconnection: upgrade\r\n\r\n');
    socket.write(`hello from ${id}\n`);
    socket.pipe(socket);
  });
  await new Promise<void>((resolve) => server.listen(opts.port ?? 0, address, () => resolve()));
  b.port = (server.address() as AddressInfo).port;
  b.kill = () => {
    server.close();
    server.closeAllConnections();
  };
  b.close = () =>
    new Promise((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    });
  return b;
}

/** A route table with one app, shop.example.com, on these backends (health checks on /healthz unless `health` is false). */
export function shopTable(replicas: { b: Backend; site: string; host?: string }[], health = true): RouteTable {
  return {
    revision: 1,
    routes: [
      {
        host: 'shop.example.com',
        pathPrefix: '/',
        app: 'shop',
        redirectHttps: false,
        ...(health ? { health: { path: '/healthz', expectStatus: 200 } } : {}),
        replicas: replicas.map(({ b, site, host }) => ({ id: b.id, site, host: host ?? `h-${b.id}`, address: b.address, port: b.port, weight: 100, state: 'active' as const })),
      },
    ],
  };
}
