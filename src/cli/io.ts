import { InvalidArgumentError } from 'commander';

/** Where a command writes, so tests can run commands in-process and read what they printed. */
export interface CliIo {
  stdout(text: string): void;
  stderr(text: string): void;
}

export const processIo: CliIo = {
  stdout: (text) => void process.stdout.write(text),
  stderr: (text) => void process.stderr.write(text),
};

/** Exit statuses shared by all commands. */
export const EXIT = {
  ok: 0,
  /** Invalid input: the fleet or an option has problems. */
  invalid: 1,
  /** An input could not be read at all. */
  unreadable: 2,
} as const;

export type OutputFormat = 'text' | 'json';

export function parseFormat(value: string): OutputFormat {
  if (value !== 'text' && value !== 'json') throw new InvalidArgumentError(`--format must be "text" or "json", not "${value}"`);
  return value;
}

export function json(value: unknown): string {
  return `${JSON.stringify(value, null, 2)}\n`;
}
