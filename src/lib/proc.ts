/**
 * Process trees on Linux, read from /proc: a process and everything it started (children
 * that moved into their own process group or session included, which `kill(-pgid)` misses).
 */
import { readdirSync, readFileSync } from 'node:fs';

/** State, parent and start time (clock ticks after boot) of `pid` from /proc, or undefined when it is gone (or not Linux). */
function stat(pid: number): { state: string; ppid: number; started: string } | undefined {
  try {
    // /proc/PID/stat: "pid (comm) state ppid ..."; comm may hold spaces and parentheses.
    const text = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const rest = text.slice(text.lastIndexOf(')') + 2).split(' ');
    return { state: rest[0]!, ppid: Number(rest[1]), started: rest[19]! };
  } catch {
    return undefined;
  }
}

/** `root` and all its descendants that run now, parents before children. */
export function processTree(root: number): number[] {
  const children = new Map<number, number[]>();
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    const pid = Number(name);
    const ppid = stat(pid)?.ppid;
    if (ppid !== undefined) children.set(ppid, [...(children.get(ppid) ?? []), pid]);
  }
  const out: number[] = [];
  const queue = alive(root) ? [root] : [];
  while (queue.length > 0) {
    const pid = queue.shift()!;
    out.push(pid);
    queue.push(...(children.get(pid) ?? []));
  }
  return out;
}

/** Whether a process with this pid runs: exists and is not a zombie waiting to be reaped. */
export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  return stat(pid)?.state !== 'Z';
}

/** Sends `signal` to each pid that still exists; returns the pids it reached. */
export function signalAll(pids: readonly number[], signal: NodeJS.Signals): number[] {
  return pids.filter((pid) => {
    try {
      process.kill(pid, signal);
      return true;
    } catch {
      return false;
    }
  });
}

/** Who each pid is now (its start time), so a pid taken over by a new process is told apart. */
export function identify(pids: readonly number[]): Map<number, string> {
  return new Map(pids.flatMap((pid) => {
    const started = stat(pid)?.started;
    return started === undefined ? [] : [[pid, started] as const];
  }));
}

/** The processes of `known` that still run as the same process (not a new one with a reused pid). */
export function stillRunning(known: ReadonlyMap<number, string>): number[] {
  return [...known].filter(([pid, started]) => alive(pid) && stat(pid)?.started === started).map(([pid]) => pid);
}
