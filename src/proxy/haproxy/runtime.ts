/**
 * HAProxy's Runtime API over its UNIX socket: one command per connection (non-interactive
 * mode), the answer read until HAProxy closes. Errors are HAProxy's own words.
 */
import net from 'node:net';
import { HafenError } from '../../lib/errors.js';

export function runtimeCommand(socket: string, command: string, timeoutMs = 5000): Promise<string> {
  return new Promise((resolve, reject) => {
    const c = net.connect(socket);
    let out = '';
    const timer = setTimeout(() => {
      c.destroy();
      reject(new HafenError('HAFEN_HAPROXY_TIMEOUT', `HAProxy did not answer "${command.split(' ')[0]}" within ${timeoutMs} ms on ${socket}`, { retryable: true }));
    }, timeoutMs);
    c.on('connect', () => c.end(`${command}\n`));
    c.on('data', (d) => (out += d.toString()));
    c.on('error', (err) => {
      clearTimeout(timer);
      reject(new HafenError('HAFEN_HAPROXY_UNREACHABLE', `cannot reach HAProxy's runtime socket ${socket}: ${(err as NodeJS.ErrnoException).code ?? err.message}`, { retryable: true }));
    });
    c.on('close', () => {
      clearTimeout(timer);
      resolve(out);
    });
  });
}

/** One row of `show stat` (CSV with a "# " header). */
export type StatRow = Record<string, string>;

export function parseStat(csv: string): StatRow[] {
  const lines = csv.split('\n').filter((l) => l.trim() !== '');
  const head = lines.shift();
  if (!head?.startsWith('# ')) return [];
  const names = head.slice(2).split(',');
  return lines.map((l) => {
    const cells = l.split(',');
    return Object.fromEntries(names.map((n, i) => [n, cells[i] ?? '']));
  });
}
