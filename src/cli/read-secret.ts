/**
 * Secret input for the CLI (secret values, passwords): from stdin (hidden when typed at a
 * terminal) or a file, never from the command line, where it would show in `ps` and the shell
 * history.
 */
import { readFileSync } from 'node:fs';
import { HafenError } from '../lib/errors.js';
import type { CliIo } from './io.js';

/** Reads one line from a terminal without echoing it. */
function readHidden(prompt: string, io: CliIo): Promise<string> {
  return new Promise((resolve, reject) => {
    const stdin = process.stdin;
    io.stderr(prompt);
    stdin.setRawMode(true);
    stdin.resume();
    let value = '';
    const done = (err?: Error) => {
      stdin.setRawMode(false);
      stdin.pause();
      stdin.off('data', onData);
      io.stderr('\n');
      if (err) reject(err);
      else resolve(value);
    };
    const onData = (chunk: Buffer) => {
      for (const ch of chunk.toString('utf8')) {
        if (ch === '\r' || ch === '\n') return done();
        if (ch === '\u0003') return done(new HafenError('HAFEN_CLI_CANCELLED', 'cancelled; nothing was stored'));
        if (ch === '\u007f' || ch === '\b') value = value.slice(0, -1);
        else value += ch;
      }
    };
    stdin.on('data', onData);
  });
}

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

/** A secret value: from a file, a hidden prompt, or piped stdin; one trailing newline is dropped. */
export async function readValue(what: string, fromFile: string | undefined, io: CliIo): Promise<string> {
  let raw: string;
  if (fromFile !== undefined) {
    try {
      raw = readFileSync(fromFile, 'utf8');
    } catch (err) {
      throw new HafenError('HAFEN_CLI_SECRET_UNREADABLE', `cannot read ${fromFile}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
    }
  } else if (process.stdin.isTTY) {
    raw = await readHidden(`${what} (not shown): `, io);
  } else {
    raw = await readStdin();
  }
  return raw.replace(/\r?\n$/, '');
}
