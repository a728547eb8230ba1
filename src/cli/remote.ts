/** Commands that talk to a controller: where it is and which token to use. */
import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { HafenClient } from '../client/client.js';
import { controllerTrust } from '../client/trust.js';
import { HafenError } from '../lib/errors.js';
import { ALLOW_PLAIN_HTTP_HELP } from '../lib/plain-http.js';

export interface RemoteOptions {
  controller?: string;
  tokenFile?: string;
  /** The CA file of an https controller's certificate. */
  ca?: string;
  /** Plain http:// to a controller on another machine. */
  allowPlainHttp?: boolean;
}

export const DEFAULT_CONTROLLER = 'http://127.0.0.1:7400';

/** Adds --controller, --token-file, --ca and --allow-plain-http to a command. */
export function remoteOptions(cmd: Command): Command {
  return cmd
    .option('--controller <urls>', `controller URL, or several comma-separated tried in order (default: $HAFEN_CONTROLLER or ${DEFAULT_CONTROLLER})`)
    .option('--token-file <file>', 'file holding the API token; without it the token is $HAFEN_TOKEN (there is no default file)')
    .option('--ca <file>', 'the CA certificate(s), PEM, that an https controller\'s certificate must chain to (default: $HAFEN_CA, else the system\'s CA store)')
    .option('--allow-plain-http', ALLOW_PLAIN_HTTP_HELP);
}

/** A client from the options and the environment; the token never comes from argv (it would show in ps). */
export function remoteClient(opts: RemoteOptions, env: NodeJS.ProcessEnv = process.env): HafenClient {
  const url = opts.controller ?? env.HAFEN_CONTROLLER ?? DEFAULT_CONTROLLER;
  let token = env.HAFEN_TOKEN;
  if (opts.tokenFile) {
    try {
      token = readFileSync(opts.tokenFile, 'utf8').trim();
    } catch (err) {
      throw new HafenError('HAFEN_CLI_TOKEN_UNREADABLE', `cannot read the token file ${opts.tokenFile}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
    }
  }
  if (!token) throw new HafenError('HAFEN_CLI_NO_TOKEN', 'no API token: set HAFEN_TOKEN or pass --token-file (the controller writes admin.token into its data directory on first start)');
  const where = opts.controller !== undefined ? '--controller' : env.HAFEN_CONTROLLER !== undefined ? '$HAFEN_CONTROLLER' : 'the default controller';
  return new HafenClient(url, token, controllerTrust(url, where, opts, env));
}
