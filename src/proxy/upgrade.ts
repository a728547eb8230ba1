/**
 * WebSocket and other upgrades: a raw tunnel from the client to one replica. A replica that
 * cannot be reached is replaced by the next (nothing was sent); once the handshake is on its
 * way, the tunnel belongs to the client and is never replayed. Tunnels are independent of the
 * route table, so they survive its updates.
 */
import type { IncomingMessage } from 'node:http';
import net from 'node:net';
import type { Duplex } from 'node:stream';
import type { ReplicaState } from './replica.js';

export interface TunnelOptions {
  /** The next replica to try, or undefined when none is left. */
  next(): ReplicaState | undefined;
  /** Headers for the replica (forwarding headers set, hop-by-hop ones gone, Upgrade kept). */
  headers: Record<string, string | string[]>;
  connectTimeoutMs: number;
  maxAttempts: number;
  /** A replica could not be reached. */
  onConnectFailure(replica: ReplicaState): void;
}

const answer = (socket: Duplex, status: string, extra = '') => socket.end(`HTTP/1.1 ${status}\r\n${extra}connection: close\r\ncontent-length: 0\r\n\r\n`);

export function openTunnel(req: IncomingMessage, socket: Duplex, head: Buffer, o: TunnelOptions): void {
  let attempts = 0;
  const tryNext = () => {
    const replica = o.next();
    if (!replica) return void answer(socket, '503 Service Unavailable', 'retry-after: 5\r\n');
    attempts++;
    const up = net.connect({ host: replica.spec.address, port: replica.spec.port });
    up.setTimeout(o.connectTimeoutMs, () => up.destroy(Object.assign(new Error('connect timeout'), { code: 'UND_ERR_CONNECT_TIMEOUT' })));
    up.once('error', () => {
      if (up.bytesWritten > 0) return void socket.destroy();
      o.onConnectFailure(replica);
      if (attempts < o.maxAttempts) tryNext();
      else answer(socket, '502 Bad Gateway');
    });
    up.once('connect', () => {
      up.setTimeout(0);
      const lines = [`${req.method} ${req.url} HTTP/1.1`];
      for (const [k, v] of Object.entries(o.headers)) for (const one of Array.isArray(v) ? v : [v]) lines.push(`${k}: ${one}`);
      up.write(`${lines.join('\r\n')}\r\n\r\n`);
      if (head.length) up.write(head);
      up.pipe(socket);
      socket.pipe(up);
      up.once('close', () => socket.destroy());
      socket.once('close', () => up.destroy());
      socket.once('error', () => up.destroy());
    });
  };
  tryNext();
}
