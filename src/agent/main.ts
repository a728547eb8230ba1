/** `hafen agent`: joins the controller once, then keeps this host's units as desired. */
import { join } from 'node:path';
import { Command } from 'commander';
import { HafenClient } from '../client/client.js';
import { hostCredential } from '../client/credential.js';
import type { TransportOptions } from '../client/controllers.js';
import { controllerTrust } from '../client/trust.js';
import { ALLOW_PLAIN_HTTP_HELP } from '../lib/plain-http.js';
import { parseArgs, serveUntilSignalled } from '../lib/daemon.js';
import { dirWithMode } from '../lib/fs.js';
import { Agent } from './agent.js';
import { startProber } from './prober/main.js';
import { blobCache } from './blob-cache.js';
import { ComposeDriver } from './drivers/compose.js';
import type { Driver } from './drivers/driver.js';
import { PostgresDriver } from './drivers/postgres.js';
import { ProcessDriver } from './drivers/process.js';

export const AGENT_DRIVERS = ['process', 'compose', 'postgres'] as const;
export type AgentDriverKind = (typeof AGENT_DRIVERS)[number];

export interface AgentStartOptions {
  controller: string;
  /** How an https controller is trusted (client/trust.ts). */
  trust?: TransportOptions;
  data: string;
  joinToken?: string;
  driver: AgentDriverKind;
  address?: string;
  /** On a backup host: the restic user's authorized_keys file the agent keeps. */
  authorizedKeys?: string;
  moveAuthorizedKeys?: string;
  /** Where restores and restore drills put their files. */
  scratchDir?: string;
  /** On a backup host: the directory holding the repositories (its disk's free space is reported). */
  repositories?: string;
  /** Apply the host's firewall with commit-confirm. */
  firewall?: boolean;
  log?: (line: string) => void;
}

export async function startAgent(opts: AgentStartOptions): Promise<{ host: string; agent: Agent }> {
  // Searchable, not listable, by other users: PostgreSQL's user reaches its clusters and the move
  // user the volumes it copies through them; what lies here is 0600 or in 0700 directories.
  dirWithMode(opts.data, 0o711);
  const trust = opts.trust ?? {};
  const { host, credential: cred } = await hostCredential(opts.controller, opts.data, opts.joinToken, 'agent', trust);
  const stateDir = join(opts.data, 'state');
  dirWithMode(stateDir, 0o711);
  dirWithMode(join(stateDir, 'blobs'), 0o700);
  const client = new HafenClient(opts.controller, cred, trust);
  const blobs = blobCache(join(stateDir, 'blobs'), (digest) => client.agentBlob(digest));
  const driver: Driver =
    opts.driver === 'compose'
      ? await ComposeDriver.open({ stateDir, blobs, ...(opts.log ? { log: opts.log } : {}) })
      : opts.driver === 'postgres'
        ? PostgresDriver.open({ stateDir, ...(opts.address ? { address: opts.address } : {}), ...(opts.log ? { log: opts.log } : {}) })
        : ProcessDriver.open({ stateDir });
  const agent = new Agent({
    client,
    driver,
    stateDir,
    host,
    ...(opts.address ? { address: opts.address } : {}),
    ...(opts.authorizedKeys ? { authorizedKeys: opts.authorizedKeys } : {}),
    ...(opts.moveAuthorizedKeys ? { moveAuthorizedKeys: opts.moveAuthorizedKeys } : {}),
    ...(opts.scratchDir ? { scratchDir: opts.scratchDir } : {}),
    ...(opts.repositories ? { repositories: opts.repositories } : {}),
    ...(opts.firewall ? { firewall: true } : {}),
    ...(opts.log ? { log: opts.log } : {}),
  });
  await agent.start();
  return { host, agent };
}

export async function runAgent(argv: string[]): Promise<number> {
  const program = new Command('hafen agent')
    .description('Run the hafen agent of this host.')
    .requiredOption('--controller <urls>', 'controller URL, e.g. https://ctl.mgmt.example:7400 (plain http:// only on loopback unless --allow-plain-http); several comma-separated are tried in order, the one that answers is kept')
    .option('--data <dir>', 'agent data directory (credential, last desired state, logs)', '.hafen-agent')
    .option('--join-token <token>', 'one-time token from "hafen host join HOST" (first start only; or HAFEN_JOIN_TOKEN)')
    .option('--ca <file>', 'the CA certificate(s), PEM, that an https controller\'s certificate must chain to (default: $HAFEN_CA, else the system\'s CA store)')
    .option('--allow-plain-http', ALLOW_PLAIN_HTTP_HELP)
    .option('--driver <driver>', "runtime driver: process, compose, or postgres (hosts with runtime postgres: Debian's PostgreSQL server runs each replica, streaming between sites; the servers listen on --address)", 'process')
    .option('--address <ip>', 'this host\'s address: processes listen on it (HAFEN_ADDRESS), compose projects publish their ports on it')
    .option('--authorized-keys <file>', 'on a backup host: the authorized_keys file of the user restic signs in as (e.g. /srv/restic/.ssh/authorized_keys); the agent keeps it to the keys of the agents backing up here, each limited to sftp')
    .option('--move-authorized-keys <file>', "the authorized_keys file sshd reads for the move user (policies.migrations.cutover.user, e.g. AuthorizedKeysFile .ssh/authorized_keys /var/lib/hafen/move_keys); while an app moves away from this host, the agent keeps it to the target agent's keys, each read-only to one volume (rrsync) and from the target's address only")
    .option('--firewall', 'apply this host\'s firewall from the fleet (nftables table inet hafen; needs root and nft): after each change the agent must reach the controller over a new connection within siteTemplate.firewallConfirm (60 s) or it restores the previous ruleset by itself')
    .option('--repositories <dir>', 'on a backup host: the directory holding the restic repositories (e.g. /srv/restic); the agent reports its disk\'s size and free space, and the controller alerts when it is nearly full (backup-space)')
    .option('--scratch <dir>', 'where restores and restore drills put their files (default DATA/state/restores; drills remove theirs, restores stay for you to use)')
    .option('--probe', 'also probe every check of the fleet from this host\'s site (as hafen prober does), from --address when given')
    .option('--stop-units-on-exit', 'stop every unit when the agent stops (demos and tests; normally units keep running without their agent)');
  const early = parseArgs(program, argv);
  if (early !== undefined) return early;
  const o = program.opts<{ controller: string; data: string; joinToken?: string; ca?: string; allowPlainHttp?: boolean; driver: string; address?: string; authorizedKeys?: string; moveAuthorizedKeys?: string; repositories?: string; firewall?: boolean; scratch?: string; probe?: boolean; stopUnitsOnExit?: boolean }>();
  if (!(AGENT_DRIVERS as readonly string[]).includes(o.driver)) {
    process.stderr.write(`error: --driver must be ${AGENT_DRIVERS.join(', ')}, not "${o.driver}"\n`);
    return 1;
  }
  const joinToken = o.joinToken ?? process.env.HAFEN_JOIN_TOKEN;
  return serveUntilSignalled(async () => {
    const log = (l: string) => process.stderr.write(`${new Date().toISOString()} ${l}\n`);
    const trust = controllerTrust(o.controller, '--controller', o);
    const { host, agent } = await startAgent({ controller: o.controller, trust, data: o.data, driver: o.driver as AgentDriverKind, ...(joinToken ? { joinToken } : {}), ...(o.address ? { address: o.address } : {}), ...(o.authorizedKeys ? { authorizedKeys: o.authorizedKeys } : {}), ...(o.moveAuthorizedKeys ? { moveAuthorizedKeys: o.moveAuthorizedKeys } : {}), ...(o.scratch ? { scratchDir: o.scratch } : {}), ...(o.repositories ? { repositories: o.repositories } : {}), ...(o.firewall ? { firewall: true } : {}), log });
    process.stderr.write(`hafen agent for host ${host} following ${o.controller}${o.probe ? ', probing' : ''}\n`);
    // The prober shares the agent's credential (redeemed above) and data directory.
    const prober = o.probe ? (await startProber({ controller: o.controller, trust, data: o.data, ...(o.address ? { source: o.address } : {}), log })).follower : undefined;
    return {
      stop: async () => {
        await prober?.stop();
        await agent.stop();
        if (o.stopUnitsOnExit) await agent.stopUnits();
      },
    };
  });
}
