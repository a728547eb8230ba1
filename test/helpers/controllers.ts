/**
 * `hafen controller` as real processes on one PostgreSQL store, for tests that kill one
 * (SIGKILL: no goodbye, its connections just end) and watch another take over.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { BIN, ROOT } from './paths.js';
import { until } from './wait.js';

export interface ControllerProcess {
  url: string;
  child: ChildProcess;
  /** What it wrote to stderr so far. */
  output(): string;
  /** SIGKILL, and its exit. */
  kill(): Promise<void>;
  /** SIGTERM (a clean stop), and its exit. */
  stop(): Promise<void>;
}

export interface Health {
  ok: boolean;
  role: 'leader' | 'follower';
  term?: number;
  leader?: string | null;
  revision: number | null;
}

/** Its /healthz, or undefined while it does not answer. */
export async function healthOf(url: string): Promise<Health | undefined> {
  try {
    const res = await fetch(`${url}/healthz`, { signal: AbortSignal.timeout(2000) });
    return res.ok ? ((await res.json()) as Health) : undefined;
  } catch {
    return undefined;
  }
}

/** Starts a controller on `store` at 127.0.0.1:`port`; resolves once it answers /healthz. */
export async function spawnController(o: { store: string; data: string; port: number; secretKey: string }): Promise<ControllerProcess> {
  const url = `http://127.0.0.1:${o.port}`;
  const child = spawn(process.execPath, [BIN, 'controller', '--store', o.store, '--data', o.data, '--listen', `127.0.0.1:${o.port}`, '--quiet'], {
    cwd: ROOT,
    stdio: ['ignore', 'ignore', 'pipe'],
    env: { ...process.env, HAFEN_SECRET_KEY: o.secretKey },
  });
  let out = '';
  child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  const end = async (signal: NodeJS.Signals) => {
    if (child.exitCode === null && child.signalCode === null) child.kill(signal);
    await exited;
  };
  await until(`the controller at ${url} answering`, async () => (child.exitCode !== null || (await healthOf(url)) ? true : undefined), 30_000, 100).catch((err: Error) => {
    throw new Error(`${err.message}:\n${out}`);
  });
  if (child.exitCode !== null) throw new Error(`the controller at ${url} exited (${child.exitCode}):\n${out}`);
  return { url, child, output: () => out, kill: () => end('SIGKILL'), stop: () => end('SIGTERM') };
}

/** Waits until one of `controllers` says it leads; returns it and how long that took. */
export async function leaderAmong(controllers: readonly ControllerProcess[], ms = 20_000): Promise<{ leader: ControllerProcess; term: number; seconds: number }> {
  const started = performance.now();
  const found = await until('a leader', async () => {
    for (const c of controllers) {
      if (c.child.exitCode !== null || c.child.signalCode !== null) continue;
      const h = await healthOf(c.url);
      if (h?.role === 'leader') return { leader: c, term: h.term ?? 0 };
    }
    return undefined;
  }, ms, 50);
  return { ...found, seconds: (performance.now() - started) / 1000 };
}
