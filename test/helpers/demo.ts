/** Starting `hafen demo` from tests: the process, a promise for its "ready", and its exit. */
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { loopbackNet } from './loopback.js';
import { BIN, ROOT } from './paths.js';

/**
 * Three consecutive loopback /24s of this test's own for `hafen demo --addresses` (never the
 * default 127.0.11-13.x a demo started by hand may hold): the args to pass, and the proxies'
 * addresses (nue, vie, hel).
 */
export function demoAddresses(): { args: string[]; proxies: string[] } {
  const [a, b, c] = loopbackNet(3).split('.').map(Number) as [number, number, number];
  return { args: ['--addresses', `${a}.${b}.${c}.0/24`], proxies: [0, 1, 2].map((i) => `${a}.${b}.${c + i}.10`) };
}

export const freePort = () =>
  new Promise<number>((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });

export function demo(data: string, port: number, args: string[] = [], readyMs = 120_000): { child: ChildProcess; ready: Promise<string>; exited: Promise<number | null>; output: () => string } {
  const child = spawn(process.execPath, [BIN, 'demo', '--data', data, '--listen', `127.0.0.1:${port}`, ...args], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  const ready = new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`the demo was not ready in ${readyMs / 1000} s:\n${out}`)), readyMs);
    const on = (d: Buffer) => {
      out += d.toString();
      if (/^ready$/m.test(out)) {
        clearTimeout(timer);
        resolve(out);
      }
    };
    child.stdout!.on('data', on);
    child.stderr!.on('data', on);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`the demo exited (${code}) before it was ready:\n${out}`));
    });
  });
  // Tests that never wait for it (the demo failed elsewhere first) must not crash on the rejection.
  ready.catch(() => {});
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  return { child, ready, exited, output: () => out };
}

