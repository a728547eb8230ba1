/**
 * `hafen alerts`: what fires now and what mutes it. `hafen silence add|list|rm`: "we know" and
 * planned work, always with an end and a reason. `hafen notifications`: what was sent to
 * whom, and what failed.
 */
import { oneLine } from '../lib/terminal-text.js';
import type { Command } from 'commander';
import { EXIT, json, parseFormat, type CliIo, type OutputFormat } from './io.js';
import { remoteClient, remoteOptions, type RemoteOptions } from './remote.js';

export function registerAlerts(program: Command, io: CliIo, setExit: (code: number) => void): void {
  remoteOptions(
    program
      .command('alerts')
      .description('Alerts firing now: severity, group, and whether a lost site (inhibited) or a silence mutes them. Exit 1 when an unmuted critical alert fires.')
      .option('--format <format>', 'output format: text or json', parseFormat, 'text' as OutputFormat),
  ).action(async (opts: RemoteOptions & { format: OutputFormat }) => {
    const { alerts } = await remoteClient(opts).alerts();
    if (opts.format === 'json') io.stdout(json({ alerts }));
    else if (alerts.length === 0) io.stdout('no alerts\n');
    else {
      io.stdout(`${alerts.map((a) => `${a.severity.toUpperCase().padEnd(8)} ${a.group.padEnd(24)} ${a.summary}${a.inhibitedBy ? ` [muted: ${a.inhibitedBy}]` : ''}${a.silencedBy ? ` [silenced: ${a.silencedBy}]` : ''}`).join('\n')}\n`);
    }
    setExit(alerts.some((a) => a.severity === 'critical' && !a.inhibitedBy && !a.silencedBy) ? EXIT.invalid : EXIT.ok);
  });

  const silence = program.command('silence').description('Silence alerts for planned work or a known fault: hafen silence add|list|rm.');
  remoteOptions(
    silence
      .command('add')
      .description('Silence the alerts that match every label given, until --until or for --for.')
      .option('--customer <id>', 'alerts about this customer')
      .option('--app <id>', 'alerts about this app')
      .option('--site <id>', 'alerts about this site')
      .option('--check <id>', 'alerts about this check, e.g. replica:shop-r1')
      .option('--for <duration>', 'how long, e.g. 90m, 2h, 1d')
      .option('--until <time>', 'until this ISO 8601 time')
      .requiredOption('-m, --comment <text>', 'why (shown with every alert it mutes)')
      .option('--format <format>', 'output format: text or json', parseFormat, 'text' as OutputFormat),
  ).action(async (opts: RemoteOptions & { customer?: string; app?: string; site?: string; check?: string; for?: string; until?: string; comment: string; format: OutputFormat }) => {
    const matchers = { ...(opts.customer ? { customer: opts.customer } : {}), ...(opts.app ? { app: opts.app } : {}), ...(opts.site ? { site: opts.site } : {}), ...(opts.check ? { check: opts.check } : {}) };
    if (Object.keys(matchers).length === 0 || (opts.for === undefined) === (opts.until === undefined)) {
      io.stderr('error: name at least one of --customer, --app, --site, --check, and exactly one of --for or --until\n');
      setExit(EXIT.invalid);
      return;
    }
    const s = await remoteClient(opts).silence({ matchers, comment: opts.comment, ...(opts.for ? { duration: opts.for } : {}), ...(opts.until ? { endsAt: opts.until } : {}) });
    io.stdout(opts.format === 'json' ? json(s) : `silence ${s.id} until ${s.endsAt}\n`);
    setExit(EXIT.ok);
  });
  remoteOptions(
    silence
      .command('list')
      .description('Active silences (--all: also ended ones).')
      .option('--all', 'include ended silences')
      .option('--format <format>', 'output format: text or json', parseFormat, 'text' as OutputFormat),
  ).action(async (opts: RemoteOptions & { all?: boolean; format: OutputFormat }) => {
    const { silences } = await remoteClient(opts).silences(opts.all === true);
    if (opts.format === 'json') io.stdout(json({ silences }));
    else io.stdout(silences.length ? `${silences.map((s) => `${s.id}  until ${s.endsAt}  ${Object.entries(s.matchers).map(([k, v]) => `${k}=${v}`).join(',')}  ${s.comment} (${s.createdBy})`).join('\n')}\n` : 'no silences\n');
    setExit(EXIT.ok);
  });
  remoteOptions(silence.command('rm').argument('<id>', 'silence id (hafen silence list)').description('End a silence now.')).action(async (id: string, opts: RemoteOptions) => {
    await remoteClient(opts).endSilence(id);
    io.stdout(`silence ${id} ended\n`);
    setExit(EXIT.ok);
  });

  remoteOptions(
    program
      .command('notifications')
      .description('Notifications sent, pending, being sent and given up, newest first: receiver, status, attempts, last error.')
      .option('--limit <n>', 'at most this many (default 50)', (v) => Number(v), 50)
      .option('--format <format>', 'output format: text or json', parseFormat, 'text' as OutputFormat),
  ).action(async (opts: RemoteOptions & { limit: number; format: OutputFormat }) => {
    const { notifications } = await remoteClient(opts).notifications(opts.limit);
    if (opts.format === 'json') io.stdout(json({ notifications }));
    else io.stdout(notifications.length ? `${notifications.map((n) => `${n.createdAt}  ${n.status.padEnd(7)} ${n.receiver.padEnd(16)} ${oneLine(n.title)}${n.lastError ? ` (${n.attempts} attempts: ${oneLine(n.lastError)})` : ''}`).join('\n')}\n` : 'no notifications\n');
    setExit(EXIT.ok);
  });
}
