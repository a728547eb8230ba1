/** Paths and helpers shared by integration and system tests. */
import { spawn, spawnSync } from 'node:child_process';
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const BIN = join(ROOT, 'bin', 'hafen.js');
export const EXAMPLES = join(ROOT, 'examples');
export const FIXTURES = join(ROOT, 'test', 'fixtures');

export interface Run {
  status: number;
  stdout: string;
  stderr: string;
}

/** Runs the built `hafen` binary as a user would (npm test builds it first). */
export function hafen(args: string[], opts: { cwd?: string } = {}): Run {
  const res = spawnSync(process.execPath, [BIN, ...args], { cwd: opts.cwd ?? ROOT, encoding: 'utf8', timeout: 60_000 });
  if (res.error) throw res.error;
  return { status: res.status ?? -1, stdout: res.stdout, stderr: res.stderr };
}

/** Like `hafen`, without blocking the event loop (for tests that serve the controller in-process). */
export function hafenAsync(args: string[], opts: { cwd?: string; env?: NodeJS.ProcessEnv; input?: string } = {}): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], { cwd: opts.cwd ?? ROOT, env: opts.env ?? process.env });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.stdin.end(opts.input ?? '');
    child.on('close', (code) => resolve({ status: code ?? -1, stdout, stderr }));
  });
}

/** Every .yaml file below a directory, sorted. */
export function yamlFiles(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir).sort()) {
    const full = join(dir, name);
    if (statSync(full).isDirectory()) out.push(...yamlFiles(full));
    else if (/\.ya?ml$/.test(name)) out.push(full);
  }
  return out;
}

export function read(path: string): string {
  return readFileSync(path, 'utf8');
}

/** Fails when output looks like a stack trace: users get messages, not traces. */
export function assertNoStackTrace(text: string): void {
  if (/^\s+at .+:\d+:\d+\)?$/m.test(text) || /internal error/.test(text)) {
    throw new Error(`output contains a stack trace:\n${text}`);
  }
}
