/**
 * The proxy's listening side: node:http with limits against slow and greedy clients
 * (header size and time, request time, connections overall and per client address), the
 * upgrade path, and a clean stop that lets requests in flight finish.
 */
import http from 'node:http';
import https from 'node:https';
import type { AddressInfo, Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import type { RouteTable } from '../core/render/routes.js';
import type { CertStore } from './certs.js';
import { CLOSE_GRACE_MS, Proxy, type ProxyOptions } from './proxy.js';
import { isWebSocket } from './upgrade.js';

export interface ServerLimits {
  /** Largest request head in bytes (default 16 KiB). */
  maxHeaderBytes: number;
  /** Time a client gets to send the request head (default 10 s). */
  headersTimeoutMs: number;
  /** Time a client gets to send the whole request (default 60 s). */
  requestTimeoutMs: number;
  /** Idle keep-alive connections are closed after this (default 60 s). */
  keepAliveTimeoutMs: number;
  /** A WebSocket tunnel over which nothing crossed for this long is closed (default 1 h). */
  tunnelIdleTimeoutMs: number;
  maxConnections: number;
  maxConnectionsPerClient: number;
}

export const DEFAULT_LIMITS: ServerLimits = {
  maxHeaderBytes: 16 * 1024,
  headersTimeoutMs: 10_000,
  requestTimeoutMs: 60_000,
  keepAliveTimeoutMs: 60_000,
  tunnelIdleTimeoutMs: 3_600_000,
  maxConnections: 20_000,
  maxConnectionsPerClient: 500,
};

export interface ProxyServer {
  url: string;
  /** The HTTPS address, when certificates were given. */
  tlsUrl?: string;
  proxy: Proxy;
  server: http.Server;
  update(table: RouteTable): void;
  close(): Promise<void>;
}

/** Connections handed back to the HTTP server after a request that asked for an upgrade it does not get (counted once). */
const handedBack = new WeakSet<Duplex>();
export const isHandedBack = (socket: Duplex): boolean => handedBack.has(socket);

/**
 * A request that asks to upgrade to anything but a WebSocket is served as the ordinary request it
 * also is: its head goes back, without Upgrade and the Connection token naming it, in front of
 * what the client sent after it, and the server reads the connection as HTTP again (keep-alive,
 * limits and all). Node hands every request with an Upgrade header to the 'upgrade' event once
 * one is listened for, so this is the way back.
 */
function serveAsHttp(server: http.Server, req: http.IncomingMessage, socket: Duplex, head: Buffer): void {
  const lines = [`${req.method} ${req.url} HTTP/${req.httpVersion}`];
  for (let i = 0; i < req.rawHeaders.length; i += 2) {
    const name = req.rawHeaders[i]!;
    const lower = name.toLowerCase();
    if (lower === 'upgrade') continue;
    let value = req.rawHeaders[i + 1]!;
    if (lower === 'connection') {
      value = value.split(',').map((t) => t.trim()).filter((t) => t && t.toLowerCase() !== 'upgrade').join(', ');
      if (!value) continue;
    }
    lines.push(`${name}: ${value}`);
  }
  handedBack.add(socket);
  socket.unshift(Buffer.concat([Buffer.from(`${lines.join('\r\n')}\r\n\r\n`, 'latin1'), head]));
  server.emit(server instanceof https.Server ? 'secureConnection' : 'connection', socket);
}

/** Limits, the per-client connection count, upgrades and malformed requests: the same for HTTP and HTTPS. */
function configure(server: http.Server, proxy: Proxy, limits: ServerLimits, perClient: Map<string, number>): void {
  server.maxConnections = limits.maxConnections;
  server.on(server instanceof https.Server ? 'secureConnection' : 'connection', (socket: Socket) => {
    if (handedBack.has(socket)) return;
    const ip = socket.remoteAddress ?? '';
    const n = (perClient.get(ip) ?? 0) + 1;
    if (n > limits.maxConnectionsPerClient) {
      socket.destroy();
      return;
    }
    perClient.set(ip, n);
    socket.once('close', () => {
      const left = (perClient.get(ip) ?? 1) - 1;
      if (left <= 0) perClient.delete(ip);
      else perClient.set(ip, left);
    });
  });
  server.on('upgrade', (req: http.IncomingMessage, socket: Duplex, head: Buffer) => (isWebSocket(req) ? proxy.upgrade(req, socket, head) : serveAsHttp(server, req, socket, head)));
  // CONNECT would make the proxy a tunnel to anywhere: answered, never left hanging.
  server.on('connect', (_req, socket) => {
    socket.end('HTTP/1.1 405 Method Not Allowed\r\nallow: GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS\r\nconnection: close\r\ncontent-length: 0\r\n\r\n');
  });
  server.on('clientError', (err: NodeJS.ErrnoException, socket) => {
    if (!socket.writable) return socket.destroy();
    const status = err.code === 'HPE_HEADER_OVERFLOW' ? '431 Request Header Fields Too Large' : err.code === 'ERR_HTTP_REQUEST_TIMEOUT' ? '408 Request Timeout' : '400 Bad Request';
    socket.end(`HTTP/1.1 ${status}\r\nconnection: close\r\ncontent-length: 0\r\n\r\n`);
  });
}

function listen(server: http.Server, at: { host: string; port: number }): Promise<string> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    // A deep accept queue: a burst of new connections (a reconnecting load balancer, a
    // failover) must not overflow Node's default of 511 and wait a second for SYN retries.
    server.listen({ port: at.port, host: at.host, backlog: 4096 }, () => {
      const addr = server.address() as AddressInfo;
      resolve(`${addr.address.includes(':') ? `[${addr.address}]` : addr.address}:${addr.port}`);
    });
  });
}

export async function startProxyServer(
  options: ProxyOptions & { listen: { host: string; port: number }; limits?: Partial<ServerLimits>; table?: RouteTable; tls?: { listen: { host: string; port: number }; certs: CertStore } },
): Promise<ProxyServer> {
  const limits = { ...DEFAULT_LIMITS, ...options.limits };
  const proxy = new Proxy({ tunnelIdleTimeoutMs: limits.tunnelIdleTimeoutMs, ...options });
  if (options.table) proxy.update(options.table);
  const serverOptions: http.ServerOptions = {
    maxHeaderSize: limits.maxHeaderBytes,
    headersTimeout: limits.headersTimeoutMs,
    requestTimeout: limits.requestTimeoutMs,
    keepAliveTimeout: limits.keepAliveTimeoutMs,
    // Strict parsing (Node's default): requests with both Content-Length and
    // Transfer-Encoding, obs-fold, bare LF and other smuggling shapes get a 400.
    insecureHTTPParser: false,
  };
  const handler = (req: http.IncomingMessage, res: http.ServerResponse) => void proxy.handle(req, res);
  const perClient = new Map<string, number>();
  const server = http.createServer(serverOptions, handler);
  configure(server, proxy, limits, perClient);
  const address = await listen(server, options.listen);
  let secure: https.Server | undefined;
  let tlsUrl: string | undefined;
  if (options.tls) {
    const certs = options.tls.certs;
    secure = https.createServer(
      {
        ...serverOptions,
        // A name without a certificate fails the handshake (no default certificate to leak other names).
        SNICallback: (name, cb) => {
          const ctx = certs.context(name);
          cb(ctx ? null : new Error(`no certificate for ${name}`), ctx);
        },
        minVersion: 'TLSv1.2',
      },
      handler,
    );
    configure(secure, proxy, limits, perClient);
    tlsUrl = `https://${await listen(secure, options.tls.listen)}`;
  }
  return {
    url: `http://${address}`,
    ...(tlsUrl ? { tlsUrl } : {}),
    proxy,
    server,
    update: (t) => proxy.update(t),
    close: async () => {
      // Requests in flight get a grace to finish; then their connections are cut (proxy.ts CLOSE_GRACE_MS).
      const stop = (srv: http.Server) =>
        new Promise<void>((resolve) => {
          const cut = setTimeout(() => srv.closeAllConnections(), CLOSE_GRACE_MS);
          srv.close(() => {
            clearTimeout(cut);
            resolve();
          });
          srv.closeIdleConnections();
        });
      await Promise.all([stop(server), ...(secure ? [stop(secure)] : []), proxy.close()]);
    },
  };
}
