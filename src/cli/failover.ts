/**
 * `hafen failover APP --to SITE`: a planned switchover of a standby app to its standby at a
 * site, with no data lost: the writer stops, one final copy reaches the standby, the standby
 * writes (controller/standbys.ts). Waits and tells each step unless --no-wait; exit 1 when the
 * switchover is refused or given up (the old writer writes again).
 */
import type { Command } from 'commander';
import type { StandbyAppView } from '../core/standby/view.js';
import { EXIT, json, parseFormat, wholeAtLeast, type CliIo, type OutputFormat } from './io.js';
import { remoteClient, remoteOptions, type RemoteOptions } from './remote.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export function registerFailover(program: Command, io: CliIo, setExit: (code: number) => void): void {
  remoteOptions(
    program
      .command('failover')
      .argument('<app>', 'a standby app (redundancy.mode: standby)')
      .description('Switch a standby app over to its standby at another site with no data lost: the writer stops, a final copy reaches the standby, the standby writes (seconds without a writer). A lost site fails over by itself; this is the planned way.')
      .requiredOption('--to <site>', 'the site whose standby takes over')
      .option('--no-wait', 'return once the switchover has started')
      .option('--timeout <seconds>', 'how long to wait for it (default 660: the controller gives up a final copy after 10 min)', wholeAtLeast('--timeout', 1), 660)
      .option('--format <format>', 'output format: text or json', parseFormat, 'text' as OutputFormat),
  ).action(async (app: string, opts: RemoteOptions & { to: string; wait: boolean; timeout: number; format: OutputFormat }) => {
    const client = remoteClient(opts);
    const started = Date.now();
    const { switchover } = await client.failover(app, opts.to);
    const say = (line: string) => {
      if (opts.format === 'text') io.stdout(`${line}\n`);
    };
    say(`${app}: switching over to ${opts.to} in term ${switchover.term}: its writer stops`);
    if (!opts.wait) {
      if (opts.format === 'json') io.stdout(json({ switchover }));
      setExit(EXIT.ok);
      return;
    }
    // The same term with a writer: done; a newer term: given up (the old writer writes again).
    let outcome: 'done' | 'given up' | 'waiting' = 'waiting';
    let view: StandbyAppView | undefined;
    let said = false;
    while (Date.now() - started < opts.timeout * 1000) {
      await sleep(250);
      view = (await client.standbys()).standbys.find((v) => v.app === app);
      if (!view) break;
      if (view.term === switchover.term && view.active) outcome = 'done';
      else if (view.term > switchover.term) outcome = 'given up';
      if (outcome !== 'waiting') break;
      const copying = view.standbys.find((c) => c.unit === view!.switching?.to);
      if (!said && copying && copying.host) {
        said = true;
        say(`${app}: waiting for the writer to stop and the final copy to reach ${copying.host}`);
      }
    }
    const seconds = Math.round((Date.now() - started) / 100) / 10;
    const ok = outcome === 'done' && view?.active !== null && view?.active.site === opts.to;
    if (opts.format === 'json') io.stdout(json({ app, to: opts.to, ok, seconds, standby: view ?? null }));
    else if (ok) say(`${app}: ${view!.active!.unit} at ${opts.to} writes in term ${view!.term} (${seconds} s)`);
    else if (outcome === 'given up') say(`${app}: the switchover was given up; ${view?.active?.unit ?? 'no replica'} writes in term ${view?.term} (hafen alerts and the controller's events say why)`);
    else say(`${app}: not finished after ${opts.timeout} s (${outcome}); hafen status --app ${app} shows where it stands`);
    setExit(ok ? EXIT.ok : EXIT.invalid);
  });
}
