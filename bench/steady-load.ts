/**
 * A constant-rate load generator for latency: opens every connection first (and sends one
 * warm-up request on each), then sends at a fixed rate spread evenly over the connections,
 * measuring each request from the moment it was meant to be sent (so a slow answer that
 * delays the next send counts against the target, not the generator). Raw sockets and a
 * pre-built request keep the generator's own cost low. A connection is sent to only when its
 * previous answer is complete (HTTP/1.1 without pipelining); when it is still busy, the send
 * waits and the wait counts.
 *
 * A warm-up at the same rate (`warmupSeconds`, not measured) comes first, so that what is
 * measured is the steady state of every target alike: JIT-compiled code, pools filled, the
 * start burst's garbage collected.
 *
 * Used by bench/proxy.ts: steadyLoad({ port, host, rate: 2000, connections: 1000, seconds: 10, warmupSeconds: 3 }).
 */
import net from 'node:net';

export interface SteadyResult {
  sent: number;
  answered: number;
  errors: number;
  p50: number;
  p90: number;
  p99: number;
  max: number;
}

interface Conn {
  socket: net.Socket;
  buffer: Buffer;
  /** Intended send times of requests not yet answered, oldest first. */
  queue: number[];
  busy: boolean;
  waiting: number;
}

function quantile(sorted: number[], q: number): number {
  return sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * q))]! : NaN;
}

/** Length of a complete HTTP response at the start of `buf` (Content-Length bodies), or 0 when incomplete. */
function responseLength(buf: Buffer): number {
  const end = buf.indexOf('\r\n\r\n');
  if (end < 0) return 0;
  const head = buf.subarray(0, end).toString('latin1');
  const m = /\r\ncontent-length:\s*(\d+)/i.exec(head);
  const total = end + 4 + (m ? Number(m[1]) : 0);
  return buf.length >= total ? total : 0;
}

export async function steadyLoad(o: { port: number; address?: string; host: string; rate: number; connections: number; seconds: number; warmupSeconds?: number }): Promise<SteadyResult> {
  const request = Buffer.from(`GET / HTTP/1.1\r\nHost: ${o.host}\r\n\r\n`);
  const latencies: number[] = [];
  let errors = 0;
  let sent = 0;
  let warm = 0;
  let measureFrom = Infinity;
  const conns: Conn[] = [];
  const send = (c: Conn) => {
    c.busy = true;
    c.socket.write(request);
  };
  // Open every connection and let each answer one request before the clock starts.
  await Promise.all(
    Array.from({ length: o.connections }, () => {
      return new Promise<void>((resolve, reject) => {
        const c: Conn = { socket: net.connect(o.port, o.address ?? '127.0.0.1'), buffer: Buffer.alloc(0), queue: [], busy: false, waiting: 0 };
        let warmed = false;
        c.socket.setNoDelay(true);
        c.socket.on('error', (err) => (warmed ? errors++ : reject(err)));
        c.socket.on('data', (d: Buffer) => {
          c.buffer = c.buffer.length ? Buffer.concat([c.buffer, d]) : d;
          for (let len = responseLength(c.buffer); len > 0; len = responseLength(c.buffer)) {
            c.buffer = c.buffer.subarray(len);
            c.busy = false;
            if (!warmed) {
              warmed = true;
              resolve();
              continue;
            }
            const intended = c.queue.shift();
            if (intended !== undefined && intended >= measureFrom) latencies.push(performance.now() - intended);
            else if (intended !== undefined) warm++;
            if (c.waiting > 0) {
              c.waiting--;
              send(c);
            }
          }
        });
        c.socket.once('connect', () => send(c));
        conns.push(c);
      });
    }),
  );
  // Fixed schedule: request k goes to connection k mod n at start + k / rate.
  const start = performance.now() + 50;
  const warmup = Math.round(o.rate * (o.warmupSeconds ?? 0));
  const total = warmup + Math.round(o.rate * o.seconds);
  measureFrom = start + (warmup * 1000) / o.rate;
  await new Promise<void>((resolve) => {
    let k = 0;
    const tick = () => {
      const now = performance.now();
      while (k < total && start + (k * 1000) / o.rate <= now) {
        const c = conns[k % conns.length]!;
        c.queue.push(start + (k * 1000) / o.rate);
        if (k >= warmup) sent++;
        if (c.busy) c.waiting++;
        else send(c);
        k++;
      }
      // A timer, not a busy loop: the generator shares the machine with what it measures.
      if (k < total) setTimeout(tick, 1);
      else resolve();
    };
    tick();
  });
  // Let the last answers arrive.
  const deadline = performance.now() + 5000;
  while (warm + latencies.length + errors < total && performance.now() < deadline) await new Promise((r) => setTimeout(r, 20));
  for (const c of conns) c.socket.destroy();
  const sorted = latencies.sort((a, b) => a - b);
  return { sent, answered: sorted.length, errors: errors + (sent - sorted.length), p50: quantile(sorted, 0.5), p90: quantile(sorted, 0.9), p99: quantile(sorted, 0.99), max: sorted[sorted.length - 1] ?? NaN };
}
