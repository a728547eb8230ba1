/**
 * Small HTTP backends for proxy tests: each answers with its own id, so a test sees which
 * replica served a request; can be killed (listener and connections gone at once).
 */
import { createHash } from 'node:crypto';
import http from 'node:http';
import type { RouteTable } from '../../src/core/render/routes.js';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';

export interface Backend {
  id: string;
  address: string;
  port: number;
  /** Requests this backend answered (health checks on /healthz aside). */
  served: number;
  /** Headers of the last request (health checks aside). */
  last?: http.IncomingHttpHeaders;
  kill(): void;
  close(): Promise<void>;
}

export async function startBackend(id: string, address: string, opts: { delayMs?: number; port?: number } = {}): Promise<Backend> {
  const b: Backend = { id, address, port: 0, served: 0, kill: () => {}, close: async () => {} };
  const server = http.createServer((req, res) => {
    if (req.url !== '/healthz') b.last = req.headers;
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
      // Unref: a killed backend's pending answer must not keep the test process alive. Health
      // checks are answered at once: a slow app, not a hung one.
      if (opts.delayMs && req.url !== '/healthz') setTimeout(answer, opts.delayMs).unref();
      else answer();
    });
  });
  // A WebSocket handshake to /ws is accepted (then everything is echoed); to /ws-refused it is
  // answered 403 and the connection echoes anyway, as a careless server would. Any other upgrade
  // is answered as an ordinary request and the connection then echoes: an engine that passed it
  // on as an upgrade would show that echo where the next request's answer should be.
  server.on('upgrade', (req: http.IncomingMessage, socket: Duplex) => {
    b.last = req.headers;
    const websocket = req.headers.upgrade?.toLowerCase() === 'websocket';
    socket.on('error', () => socket.destroy());
    if (websocket && req.url === '/ws') {
      // RFC 6455 §4.2.2: the key's answer, which HAProxy checks.
      const accept = createHash('sha1').update(`${req.headers['sec-websocket-key'] ?? ''}258EAFA5-E914-47DA-95CA-C5AB0DC85B11`).digest('base64');
      socket.write(`HTTP/1.1 101 Switching Protocols\r\nupgrade: websocket\r\nconnection: upgrade\r\nsec-websocket-accept: ${accept}\r\n\r\n`);
      socket.write(`hello from ${id}\n`);
    } else {
      const body = websocket ? 'no websocket here' : `${id} ${req.method} ${req.url} (upgrade ignored)`;
      socket.write(`HTTP/1.1 ${websocket ? '403 Forbidden' : '200 OK'}\r\ncontent-type: text/plain\r\ncontent-length: ${body.length}\r\n\r\n${body}`);
    }
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
