import { InvalidArgumentError } from 'commander';
import { forTerminal } from '../lib/terminal-text.js';

/** Where a command writes, so tests can run commands in-process and read what they printed. */
export interface CliIo {
  stdout(text: string): void;
  stderr(text: string): void;
}

/** The terminal's: text from hosts, tokens and alerts cannot act on it (control characters escaped: lib/terminal-text.ts). */
export const processIo: CliIo = {
  stdout: (text) => void process.stdout.write(forTerminal(text)),
  stderr: (text) => void process.stderr.write(forTerminal(text)),
};

/** Exit statuses shared by all commands. */
export const EXIT = {
  ok: 0,
  /** Invalid input: the fleet or an option has problems. */
  invalid: 1,
  /** An input could not be read at all. */
  unreadable: 2,
  /** The command line is wrong: an unknown command or option, a missing argument, a bad option value. */
  usage: 2,
} as const;

export type OutputFormat = 'text' | 'json';

export function parseFormat(value: string): OutputFormat {
  if (value !== 'text' && value !== 'json') throw new InvalidArgumentError(`--format must be "text" or "json", not "${value}"`);
  return value;
}

/** An option parser that takes one of `values` and otherwise names them all (commander: exit status 2). */
export function oneOf<T extends string>(option: string, values: readonly T[]): (value: string) => T {
  return (value) => {
    if (!(values as readonly string[]).includes(value)) throw new InvalidArgumentError(`${option} must be one of ${values.join(', ')}, not "${value}"`);
    return value as T;
  };
}

/** An option parser for a whole number of at least `min`. */
export function wholeAtLeast(option: string, min: number): (value: string) => number {
  return (value) => {
    const n = Number(value);
    if (!/^\d+$/.test(value.trim()) || !Number.isSafeInteger(n) || n < min) throw new InvalidArgumentError(`${option} must be a whole number of at least ${min}, not "${value}"`);
    return n;
  };
}

/**
 * A reader that goes away early (`hafen plan FLEET | head`) is not an error: the command ends
 * quietly with status 0 instead of an EPIPE stack trace. For the real process streams only.
 */
export function endQuietlyWhenOutputCloses(streams: readonly NodeJS.WriteStream[] = [process.stdout, process.stderr]): void {
  for (const s of streams) {
    s.on('error', (err: NodeJS.ErrnoException) => {
      if (err.code === 'EPIPE') process.exit(0);
      throw err;
    });
  }
}

export function json(value: unknown): string {
  return `${JSON.stringify(value, null, 2)}\n`;
}
