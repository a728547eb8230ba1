/** A TCP relay on loopback that can go silent: bytes and closes stop passing either way, as when a network drops packets. */
import net from 'node:net';

export interface TcpRelay {
  port: number;
  /** From now on nothing passes (connections stay open at both ends). */
  blackhole(): void;
  close(): Promise<void>;
}

export async function tcpRelay(target: { host: string; port: number }): Promise<TcpRelay> {
  let silent = false;
  const sockets = new Set<net.Socket>();
  const server = net.createServer((client) => {
    const upstream = net.connect(target.port, target.host);
    for (const [from, to] of [[client, upstream], [upstream, client]] as const) {
      sockets.add(from);
      from.on('data', (d) => {
        if (!silent) to.write(d);
      });
      from.on('end', () => {
        if (!silent) to.end();
      });
      from.on('error', () => {
        if (!silent) to.destroy();
      });
    }
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    port: (server.address() as net.AddressInfo).port,
    blackhole: () => void (silent = true),
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise((r) => server.close(r));
    },
  };
}
