/**
 * `hafen checks`: every check's state by quorum of the sites, with who sees what; and the
 * sites (lost or not, probers reporting or silent). `hafen events`: what changed, newest first.
 * Exit status 1 when a check is down or a site is lost, so scripts can gate on it.
 */
import type { Command } from 'commander';
import { EXIT, json, oneOf, parseFormat, wholeAtLeast, type CliIo, type OutputFormat } from './io.js';
import { remoteClient, remoteOptions, type RemoteOptions } from './remote.js';

const STATES = ['up', 'degraded', 'down', 'unknown'] as const;
const EVENT_KINDS = ['check', 'site', 'prober'] as const;

export function registerChecks(program: Command, io: CliIo, setExit: (code: number) => void): void {
  remoteOptions(
    program
      .command('checks')
      .description('Every check derived from the fleet, its state by quorum of the sites (up, degraded, down, unknown) and what each site sees.')
      .option('--state <state>', `only checks in this state (${STATES.join(', ')})`, oneOf('--state', STATES))
      .option('--app <app>', 'only this app')
      .option('--customer <customer>', 'only this customer')
      .option('--format <format>', 'output format: text or json', parseFormat, 'text' as OutputFormat),
  ).action(async (opts: RemoteOptions & { state?: string; app?: string; customer?: string; format: OutputFormat }) => {
    const res = await remoteClient(opts).checks({ ...(opts.state ? { state: opts.state } : {}), ...(opts.app ? { app: opts.app } : {}), ...(opts.customer ? { customer: opts.customer } : {}) });
    if (opts.format === 'json') io.stdout(json(res));
    else {
      const lines: string[] = [];
      for (const s of res.sites) {
        lines.push(`site ${s.site.padEnd(8)} ${s.state === 'lost' ? `LOST (seen by ${s.seenBy.join(', ')})` : 'up'}; probers ${s.probers}${s.probesAt ? `, last results ${s.probesAt}` : ''}`);
      }
      for (const h of res.hosts.filter((x) => x.state !== 'up')) lines.push(`host ${h.host.padEnd(16)} ${h.state === 'down' ? `DOWN: no report since ${h.lastReport}` : 'never reported'}`);
      if (lines.length) lines.push('');
      const counts = STATES.map((st) => `${res.checks.filter((c) => c.state === st).length} ${st}`).join(', ');
      lines.push(`${res.checks.length} checks: ${counts}`);
      for (const c of res.checks) {
        const mark = c.state === 'up' ? 'up' : c.state.toUpperCase();
        lines.push(`${mark.padEnd(9)} ${c.id.padEnd(40)} ${c.reason}${c.state === 'up' ? '' : `; ${Object.entries(c.views).filter(([, v]) => v.error).map(([site, v]) => `${site}: ${v.error}`).join('; ')}`} (since ${c.since})`);
      }
      io.stdout(`${lines.join('\n')}\n`);
    }
    setExit(res.checks.some((c) => c.state === 'down') || res.sites.some((s) => s.state === 'lost') || res.hosts.some((h) => h.state === 'down') ? EXIT.invalid : EXIT.ok);
  });

  remoteOptions(
    program
      .command('events')
      .description('What changed: checks going down and up, sites lost and back, probers gone silent; newest first.')
      .option('--since <time>', 'only events from this ISO 8601 time on')
      .option('--kind <kind>', `only events of this kind (${EVENT_KINDS.join(', ')})`, oneOf('--kind', EVENT_KINDS))
      .option('--subject <id>', 'only events of this check id or site')
      .option('--limit <n>', 'at most this many (default 100)', wholeAtLeast('--limit', 1))
      .option('--format <format>', 'output format: text or json', parseFormat, 'text' as OutputFormat),
  ).action(async (opts: RemoteOptions & { since?: string; kind?: string; subject?: string; limit?: number; format: OutputFormat }) => {
    const { events } = await remoteClient(opts).events({
      ...(opts.since ? { since: opts.since } : {}),
      ...(opts.kind ? { kind: opts.kind } : {}),
      ...(opts.subject ? { subject: opts.subject } : {}),
      ...(opts.limit !== undefined ? { limit: opts.limit } : {}),
    });
    if (opts.format === 'json') io.stdout(json({ events }));
    else io.stdout(events.length ? `${events.map((e) => `${e.at}  ${e.kind.padEnd(7)} ${e.state.padEnd(9)} ${e.message}`).join('\n')}\n` : 'no events\n');
    setExit(EXIT.ok);
  });
}
