/** `hafen firewall reapply`: have agents apply their host's firewall again (a drifted table, or a ruleset they rolled back). */
import type { Command } from 'commander';
import type { HafenClient, StatusResponse } from '../client/client.js';
import { EXIT, json, parseFormat, type CliIo, type OutputFormat } from './io.js';
import { remoteClient, remoteOptions, type RemoteOptions } from './remote.js';

type HostRow = StatusResponse['hosts'][number];

interface ReapplyOptions extends RemoteOptions {
  drifted?: boolean;
  site?: string;
  wait: boolean;
  format: OutputFormat;
}

/** Hosts whose agent reports the ruleset they should run as drifted, rolled back or refused. */
const needsIt = (h: HostRow) => {
  const fw = h.firewall.reported;
  return fw !== null && fw.hash === h.firewall.desiredHash && (fw.drifted === true || fw.state === 'rolled-back' || fw.state === 'failed');
};

export function registerFirewall(program: Command, io: CliIo, setExit: (code: number) => void): void {
  const cmd = program.command('firewall').description("Hosts' firewalls as their agents run them (the rulesets themselves: hafen site firewall).");
  remoteOptions(
    cmd
      .command('reapply')
      .description('Have the agents of these hosts apply their firewall again, with commit-confirm: a table changed by hand (drifted), or a ruleset the agent rolled back once the cause is mended. Waits for each outcome unless --no-wait.')
      .argument('[hosts...]', 'host names')
      .option('--drifted', 'every host whose agent reports its firewall drifted, rolled back or refused')
      .option('--site <site>', 'with --drifted: only hosts of this site')
      .option('--no-wait', 'ask and return without waiting for the outcome')
      .option('--format <format>', 'output format: text or json', parseFormat, 'text' as OutputFormat),
  ).action(async (hosts: string[], opts: ReapplyOptions) => {
    if ((hosts.length > 0) === Boolean(opts.drifted)) {
      io.stderr('error: name hosts or pass --drifted (one of the two)\n');
      return setExit(EXIT.invalid);
    }
    const client = remoteClient(opts);
    const status = await client.status();
    const targets = opts.drifted ? status.hosts.filter((h) => needsIt(h) && (!opts.site || h.site === opts.site)).map((h) => h.host) : hosts;
    const asked: { host: string; hash: string; generation: number }[] = [];
    for (const host of targets) {
      asked.push(await client.reapplyFirewall(host));
      if (opts.format === 'text') io.stderr(`asked ${host} to apply ruleset ${asked.at(-1)!.hash.slice(0, 12)} again\n`);
    }
    const outcomes = opts.wait ? await waitForOutcomes(client, asked) : [];
    if (opts.format === 'json') io.stdout(json({ asked, outcomes }));
    else if (targets.length === 0) io.stdout('no host needs it: no agent reports its firewall drifted, rolled back or refused\n');
    else for (const o of outcomes) io.stdout(`${o.host.padEnd(24)} ${o.state}${o.detail ? `: ${o.detail}` : ''}\n`);
    setExit(outcomes.some((o) => o.state !== 'confirmed') ? EXIT.invalid : EXIT.ok);
  });
}

/** Polls the status until each host reports an outcome for its new generation (confirmed, rolled back, refused) or 2 minutes pass. */
async function waitForOutcomes(client: HafenClient, asked: readonly { host: string; generation: number }[]): Promise<{ host: string; state: string; detail?: string }[]> {
  const deadline = Date.now() + 120_000;
  for (;;) {
    const rows = new Map((await client.status()).hosts.map((h) => [h.host, h]));
    const out = asked.map((a) => {
      const fw = rows.get(a.host)?.firewall.reported;
      const settled = fw && fw.generation === a.generation && fw.state !== 'confirming';
      return settled ? { host: a.host, state: fw.state, ...(fw.error ? { detail: fw.error } : {}) } : { host: a.host, state: 'waiting', detail: 'no outcome from its agent yet (is it running with --firewall?)' };
    });
    if (out.every((o) => o.state !== 'waiting') || Date.now() > deadline) return out;
    await new Promise((r) => setTimeout(r, 1000));
  }
}
