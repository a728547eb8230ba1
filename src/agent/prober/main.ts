/**
 * `hafen prober`: probes every check of the fleet from this host's site and delivers the
 * results to the controller. Runs with the credential of the host it is on (shared with the
 * host's agent through --data), or inside the agent with `hafen agent --probe`.
 */
import { Command } from 'commander';
import { HafenClient } from '../../client/client.js';
import { hostCredential } from '../../client/credential.js';
import { parseArgs, serveUntilSignalled } from '../../lib/daemon.js';
import type { TransportOptions } from '../../client/controllers.js';
import { controllerTrust } from '../../client/trust.js';
import { ALLOW_PLAIN_HTTP_HELP } from '../../lib/plain-http.js';
import { ProberFollower } from './follow.js';

export interface ProberStartOptions {
  controller: string;
  /** How an https controller is trusted (client/trust.ts). */
  trust?: TransportOptions;
  data: string;
  joinToken?: string;
  /** Source address of the probes (default: the system's choice). */
  source?: string;
  concurrency?: number;
  log?: (line: string) => void;
}

export async function startProber(o: ProberStartOptions): Promise<{ host: string; follower: ProberFollower }> {
  const { host, credential } = await hostCredential(o.controller, o.data, o.joinToken, 'prober', o.trust);
  const follower = new ProberFollower(new HafenClient(o.controller, credential, o.trust), o.log ?? (() => {}), {
    ...(o.source ? { localAddress: o.source } : {}),
    ...(o.concurrency ? { concurrency: o.concurrency } : {}),
  });
  follower.start();
  return { host, follower };
}

export async function runProber(argv: string[]): Promise<number> {
  const program = new Command('hafen prober')
    .description('Probe every check of the fleet from this host\'s site and report to the controller.')
    .requiredOption('--controller <urls>', 'controller URL, e.g. https://ctl.mgmt.example:7400 (plain http:// only on loopback unless --allow-plain-http); several comma-separated are tried in order, the one that answers is kept')
    .option('--data <dir>', 'data directory holding the host credential (the agent\'s works)', '.hafen-agent')
    .option('--join-token <token>', 'one-time token from "hafen host join HOST", when the host has no credential yet (or HAFEN_JOIN_TOKEN)')
    .option('--ca <file>', 'the CA certificate(s), PEM, that an https controller\'s certificate must chain to (default: $HAFEN_CA, else the system\'s CA store)')
    .option('--allow-plain-http', ALLOW_PLAIN_HTTP_HELP)
    .option('--source <ip>', 'source address of the probes: the host\'s own address')
    .option('--concurrency <n>', 'probes running at once at most', '1000');
  const early = parseArgs(program, argv);
  if (early !== undefined) return early;
  const o = program.opts<{ controller: string; data: string; joinToken?: string; ca?: string; allowPlainHttp?: boolean; source?: string; concurrency: string }>();
  const concurrency = Number(o.concurrency);
  if (!Number.isInteger(concurrency) || concurrency < 1) {
    process.stderr.write(`error: --concurrency must be a whole number of at least 1, not "${o.concurrency}"\n`);
    return 1;
  }
  const joinToken = o.joinToken ?? process.env.HAFEN_JOIN_TOKEN;
  return serveUntilSignalled(async () => {
    const log = (l: string) => process.stderr.write(`${new Date().toISOString()} ${l}\n`);
    const { host, follower } = await startProber({ controller: o.controller, trust: controllerTrust(o.controller, '--controller', o), data: o.data, concurrency, ...(joinToken ? { joinToken } : {}), ...(o.source ? { source: o.source } : {}), log });
    process.stderr.write(`hafen prober on host ${host} following ${o.controller}\n`);
    return { stop: () => follower.stop() };
  });
}
