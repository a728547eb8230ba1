/**
 * Which controllers a process trusts (node only; the dashboard has its browser's): over https,
 * those whose certificate chains to the CA file given with --ca, else $HAFEN_CA, else the
 * system's CA store; over plain HTTP, only one on this machine unless --allow-plain-http
 * (lib/plain-http.ts).
 */
import { readFileSync } from 'node:fs';
import { HafenError } from '../lib/errors.js';
import { plainHttpAllowed, refusePlainHttpUrls } from '../lib/plain-http.js';
import type { TransportOptions } from './controllers.js';

export interface TrustOptions {
  /** --ca: the CA file an https controller's certificate must chain to. */
  ca?: string | undefined;
  /** --allow-plain-http. */
  allowPlainHttp?: boolean | undefined;
}

/**
 * Checks the controller URLs (comma-separated, from `where`: the option or variable named in
 * errors) and reads the CA to verify them with.
 */
export function controllerTrust(controllers: string, where: string, opts: TrustOptions, env: NodeJS.ProcessEnv = process.env): TransportOptions {
  const urls = controllers.split(',').map((u) => u.trim()).filter(Boolean);
  refusePlainHttpUrls(urls, where, plainHttpAllowed(opts.allowPlainHttp, env));
  const file = opts.ca ?? env.HAFEN_CA;
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
