/**
 * Upgrades. Only a WebSocket handshake (GET with `Upgrade: websocket`) goes to a replica as one,
 * and the connection becomes a tunnel only once that replica answered 101; any other answer is
 * passed on as an ordinary response, after which the connection closes. A request asking for any
 * other protocol (h2c, or anything a client names) is the ordinary request it also is: the server
 * side serves it without its Upgrade header on the same connection, which stays HTTP (server.ts).
 *
 * A replica that cannot be reached is replaced by the next (nothing was sent). Tunnels are
 * independent of the route table, so they survive its updates; they end when either side closes,
 * when no byte has crossed for the idle time, or when the proxy stops; `onEnd` then says how
 * long it lasted, how many bytes went each way, and why it ended (the access log and counts).
 */
import http, { STATUS_CODES, type IncomingMessage } from 'node:http';
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { clientHeaders } from './forward.js';
import type { ReplicaState } from './replica.js';

/** A request that asks for a WebSocket (RFC 6455 §4.1: GET, Upgrade naming websocket). */
export function isWebSocket(req: IncomingMessage): boolean {
  return req.method === 'GET' && (req.headers.upgrade ?? '').split(',').some((p) => p.trim().toLowerCase() === 'websocket');
}

export interface TunnelEnd {
  /** 101 when a tunnel was open; otherwise the status the client got. */
  status: number;
  replica?: ReplicaState;
  attempts: number;
  /** Bytes from the client and to it, handshake included. */
  fromClient: number;
  toClient: number;
  /** client, replica, idle, stop; or why no tunnel was opened. */
  end: string;
}

export interface TunnelOptions {
  /** The next replica to try, or undefined when none is left. */
  next(): ReplicaState | undefined;
  /** Headers for the replica (forwarding headers set, hop-by-hop ones gone, Upgrade kept). */
  headers: Record<string, string | string[]>;
  connectTimeoutMs: number;
  /** Longest wait for the replica's answer to the handshake. */
  responseTimeoutMs: number;
  /** A tunnel over which no byte went either way for this long is closed. */
  idleTimeoutMs: number;
  maxAttempts: number;
  /** A replica could not be reached. */
  onConnectFailure(replica: ReplicaState): void;
  /** The exchange began; `cut` ends it whatever its stage (the proxy stops). */
  onStart(cut: () => void): void;
  /** The replica switched protocols: the tunnel is open. */
  onOpen(): void;
  /** Once, when the exchange is over (tunnel closed, or an ordinary answer sent). */
  onEnd(e: TunnelEnd): void;
}

function answer(socket: Duplex, status: number, extra = ''): void {
  socket.end(`HTTP/1.1 ${status} ${STATUS_CODES[status] ?? 'Error'}\r\n${extra}connection: close\r\ncontent-length: 0\r\n\r\n`);
}

export function openTunnel(req: IncomingMessage, socket: Duplex, head: Buffer, o: TunnelOptions): void {
  let attempts = 0;
  let ended = false;
  const client = socket as Socket;
  const finish = (e: Omit<TunnelEnd, 'attempts' | 'fromClient' | 'toClient'>) => {
    if (ended) return;
    ended = true;
    o.onEnd({ ...e, attempts, fromClient: client.bytesRead ?? 0, toClient: client.bytesWritten ?? 0 });
  };
  const refuse = (status: number, end: string, replica?: ReplicaState, extra = '') => {
    answer(socket, status, extra);
    finish({ status, end, ...(replica ? { replica } : {}) });
  };
  socket.once('error', () => socket.destroy());
  // Read while the replica decides: a client that leaves is noticed, and what it sent early goes on after the switch.
  const early: Buffer[] = [];
  const keep = (d: Buffer) => early.push(d);
  socket.on('data', keep);
  socket.resume();
  // A client that ends its side before the switch has left (the server's sockets allow half-open connections).
  const left = () => socket.destroy();
  socket.once('end', left);
  let why = '';
  let current: http.ClientRequest | undefined;
  o.onStart(() => {
    why ||= 'stop';
    current?.destroy();
    socket.destroy();
  });
  const tryNext = () => {
    const replica = o.next();
    if (!replica) return refuse(attempts === 0 ? 503 : 502, attempts === 0 ? 'no healthy replica' : 'no replica could be reached', undefined, attempts === 0 ? 'retry-after: 5\r\n' : '');
    attempts++;
    let connected = false;
    const up = http.request({ host: replica.spec.address, port: replica.spec.port, method: req.method, path: req.url, headers: o.headers, agent: false, setHost: false });
    current = up;
    const fail = (code: string) => Object.assign(new Error(code), { code });
    let timer = setTimeout(() => up.destroy(fail('UND_ERR_CONNECT_TIMEOUT')), o.connectTimeoutMs);
    up.once('socket', (s) =>
      s.once('connect', () => {
        connected = true;
        clearTimeout(timer);
        timer = setTimeout(() => up.destroy(fail('UND_ERR_HEADERS_TIMEOUT')), o.responseTimeoutMs);
      }),
    );
    // The client gone before the replica answered: nothing to pass on, and the replica's connection goes too.
    const clientGone = () => {
      clearTimeout(timer);
      up.destroy();
      finish({ status: 0, end: why === 'stop' ? 'the proxy stopped' : 'the client closed the connection', replica });
    };
    socket.once('close', clientGone);
    up.once('error', (err: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      socket.off('close', clientGone);
      if (ended || socket.destroyed) return;
      if (connected) return refuse(err.code === 'UND_ERR_HEADERS_TIMEOUT' ? 504 : 502, `the replica failed (${err.code ?? err.message})`, replica);
      o.onConnectFailure(replica);
      if (attempts < o.maxAttempts) tryNext();
      else refuse(502, `no replica could be reached (${err.code ?? err.message})`, replica);
    });
    // Not a switch: an ordinary answer, passed on as one; the connection closes after it.
    up.once('response', (res) => {
      clearTimeout(timer);
      socket.off('close', clientGone);
      socket.off('data', keep);
      socket.off('end', left);
      if (socket.destroyed) return clientGone();
      const out = new http.ServerResponse(req);
      out.assignSocket(client);
      out.shouldKeepAlive = false;
      out.writeHead(res.statusCode ?? 502, clientHeaders(res.rawHeaders));
      res.pipe(out);
      res.once('error', () => socket.destroy());
      socket.once('close', () => {
        res.destroy();
        finish({ status: res.statusCode ?? 502, end: 'the client closed the connection', replica });
      });
      out.once('finish', () => {
        out.detachSocket(client);
        socket.end();
        finish({ status: res.statusCode ?? 502, end: 'the replica did not switch protocols', replica });
      });
    });
    up.once('upgrade', (res, upstream: Socket, upHead: Buffer) => {
      clearTimeout(timer);
      socket.off('close', clientGone);
      socket.off('data', keep);
      socket.off('end', left);
      if (socket.destroyed) {
        upstream.destroy();
        return clientGone();
      }
      const lines = [`HTTP/1.1 101 ${res.statusMessage || 'Switching Protocols'}`];
      for (let i = 0; i < res.rawHeaders.length; i += 2) lines.push(`${res.rawHeaders[i]}: ${res.rawHeaders[i + 1]}`);
      socket.write(`${lines.join('\r\n')}\r\n\r\n`);
      if (upHead.length) socket.write(upHead);
      if (head.length) upstream.write(head);
      for (const d of early) upstream.write(d);
      const close = (reason: string) => {
        why ||= reason;
        upstream.destroy();
        socket.destroy();
      };
      client.setTimeout(o.idleTimeoutMs, () => close('idle'));
      upstream.pipe(socket);
      socket.pipe(upstream);
      upstream.once('close', () => close('replica'));
      upstream.once('error', () => close('replica'));
      socket.once('close', () => {
        close('client');
        finish({ status: 101, end: why, replica });
      });
      current = undefined;
      o.onStart(() => close('stop'));
      o.onOpen();
    });
    up.end();
  };
  tryNext();
}
