/** The controller's HTTPS certificate and key from files: read at start (a bad file is a clear error), and again when they change. */
import { readFileSync, unwatchFile, watchFile } from 'node:fs';
import { createSecureContext } from 'node:tls';
import { HafenError } from '../lib/errors.js';

/** A PEM file's text; an unreadable file or one without PEM is an error naming the option. */
export function readPem(file: string, option: string): string {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new HafenError('HAFEN_CLI_BAD_OPTION', `${option}: cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  if (!text.includes('-----BEGIN ')) throw new HafenError('HAFEN_CLI_BAD_OPTION', `${option}: ${file} holds no PEM`);
  return text;
}

export function tlsFiles(files: { cert: string; key: string }): { read(): { cert: string; key: string }; watch(apply: (pair: { cert: string; key: string }) => void, warn: (line: string) => void): () => void } {
  const read = () => {
    const pair = { cert: readPem(files.cert, '--tls-cert'), key: readPem(files.key, '--tls-key') };
    try {
      createSecureContext(pair);
    } catch (err) {
      throw new HafenError('HAFEN_CLI_BAD_OPTION', `--tls-cert ${files.cert} and --tls-key ${files.key} do not make a certificate and its key: ${(err as Error).message}`);
    }
    return pair;
  };
  return {
    read,
    watch: (apply, warn) => {
      // Renewals replace the files (cert and key, one after the other): read both once either changed; a pair that does not fit yet is tried again at the next change.
      const changed = () => {
        try {
          apply(read());
          warn(`serving the renewed certificate ${files.cert}`);
        } catch (err) {
          warn(`${(err as Error).message}; still serving the previous certificate`);
        }
      };
      for (const f of [files.cert, files.key]) watchFile(f, { interval: 5000 }, changed).unref();
      return () => {
        for (const f of [files.cert, files.key]) unwatchFile(f, changed);
      };
    },
  };
}
