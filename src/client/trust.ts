/**
 * Which controllers a process trusts over https (node only; the dashboard has its browser's):
 * the CA file given with --ca, else $HAFEN_CA, else the system's CA store.
 */
import { readFileSync } from 'node:fs';
import { HafenError } from '../lib/errors.js';
import type { TransportOptions } from './controllers.js';

export function controllerTrust(caFile: string | undefined, env: NodeJS.ProcessEnv = process.env): TransportOptions {
  const file = caFile ?? env.HAFEN_CA;
  if (!file) return {};
  let ca: string;
  try {
    ca = readFileSync(file, 'utf8');
  } catch (err) {
    throw new HafenError('HAFEN_CLI_BAD_OPTION', `cannot read the CA file ${file} (--ca or HAFEN_CA): ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  if (!ca.includes('-----BEGIN CERTIFICATE-----')) throw new HafenError('HAFEN_CLI_BAD_OPTION', `the CA file ${file} (--ca or HAFEN_CA) holds no PEM certificate`);
  return { ca };
}
