/** Shared by the long-running processes (controller, agent): parse argv, run until a signal. */
import { CommanderError, type Command } from 'commander';
import { HafenError } from './errors.js';

/** Parses a HOST:PORT option ("[::1]:80" too); `example` shows the right form in the error. */
export function parseHostPort(value: string, option: string, example: string): { host: string; port: number } {
  const m = /^(.*):(\d+)$/.exec(value);
  if (!m) throw new HafenError('HAFEN_CLI_BAD_OPTION', `${option} must be HOST:PORT, like ${example}, not "${value}"`);
  return { host: m[1]!.replace(/^\[|\]$/g, ''), port: Number(m[2]) };
}

/** Parses `argv` (without the program name); returns an exit status when it should not go on (help, usage error). */
export function parseArgs(program: Command, argv: string[]): number | undefined {
  try {
    program.exitOverride().parse(argv, { from: 'user' });
    return undefined;
  } catch (err) {
    return err instanceof CommanderError && err.exitCode === 0 ? 0 : 1;
  }
}

/**
 * Starts a service and keeps the process alive until SIGTERM or SIGINT, then stops it and
 * exits 0. A start failure prints its message (with its code) and resolves to 1. The signal
 * handlers are in place before the start: a signal while it starts (an agent starting the
 * units of its cached state, say) lets the start finish and then stops what it started,
 * instead of killing the process with its work half done.
 */
export async function serveUntilSignalled(start: () => Promise<{ stop(): Promise<void> }>): Promise<number> {
  let service: { stop(): Promise<void> } | undefined;
  let signalled = false;
  const stop = async () => {
    await service?.stop();
    process.exit(0);
  };
  const onSignal = () => {
    if (signalled) return;
    signalled = true;
    if (service) void stop();
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
  try {
    service = await start();
  } catch (err) {
    process.off('SIGTERM', onSignal);
    process.off('SIGINT', onSignal);
    process.stderr.write(`error: ${(err as Error).message}${err instanceof HafenError ? ` [${err.code}]` : ''}\n`);
    return 1;
  }
  if (signalled) await stop();
  return await new Promise<number>(() => {});
}
