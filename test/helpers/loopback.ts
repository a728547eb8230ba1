/**
 * Loopback address blocks for tests. On Linux all of 127.0.0.0/8 is local, so every test that
 * runs hosts, proxies or backends on "their own" addresses takes a /24 of it here: chosen at
 * random per run, outside 127.0.0.0/16 (where `hafen demo` and most services listen), and held
 * with a lock file so that two tests — in one `npm test` run or two runs side by side — never
 * get the same block. A lock whose process is gone (a test killed) is taken over.
 */
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { alive, identify } from '../../src/lib/proc.js';

const LOCKS = join(tmpdir(), 'hafen-test-loopback');
const held = new Set<string>();

/** This process and its start time, so a lock of a dead test whose pid came back is told apart. */
const ME = `${process.pid} ${identify([process.pid]).get(process.pid) ?? ''}`;

function ownerGone(file: string): boolean {
  try {
    const [pid, started] = readFileSync(file, 'utf8').trim().split(' ');
    if (!alive(Number(pid))) return true;
    return started !== undefined && started !== '' && identify([Number(pid)]).get(Number(pid)) !== started;
  } catch {
    return true;
  }
}

/** Takes the /24 `net` ("127.A.B") for this process if no running process holds it; false otherwise. */
export function holdNet(net: string): boolean {
  mkdirSync(LOCKS, { recursive: true });
  if (held.has(net)) return true;
  if (!take(net)) return false;
  held.add(net);
  return true;
}

function take(net: string): boolean {
  const file = join(LOCKS, net);
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      writeFileSync(file, ME, { flag: 'wx' });
      return true;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST' || attempt > 0 || !ownerGone(file)) return false;
      // A dead test's lock: remove it and race for it like for a free one.
      rmSync(file, { force: true });
    }
  }
  return false;
}

process.once('exit', () => {
  for (const net of held) rmSync(join(LOCKS, net), { force: true });
});

/**
 * A /24 of loopback addresses held by this process until it exits, as its first three octets
 * ("127.A.B"): `${net}.1`, `${net}.10`, ... are the test's own. With `count` above 1, the first
 * of that many consecutive /24s (127.A.B, 127.A.B+1, ...), all held.
 */
export function loopbackNet(count = 1): string {
  mkdirSync(LOCKS, { recursive: true });
  for (let i = 0; i < 1000; i++) {
    // 127.64.0.0 – 127.254.255.0: far from 127.0.x.x (the demo's default and common services).
    const a = 64 + Math.floor(Math.random() * 191);
    const b = Math.floor(Math.random() * (257 - count));
    const nets = Array.from({ length: count }, (_, k) => `127.${a}.${b + k}`);
    if (nets.some((n) => held.has(n))) continue;
    const got: string[] = [];
    for (const n of nets) {
      if (!take(n)) break;
      got.push(n);
    }
    if (got.length === count) {
      for (const n of got) held.add(n);
      return nets[0]!;
    }
    for (const n of got) rmSync(join(LOCKS, n), { force: true });
  }
  throw new Error(`no ${count} free consecutive loopback /24s found under ${LOCKS}`);
}
