/** `hafen uptime`: availability per app and customer over a period, the report a customer can be sent. */
import type { Command } from 'commander';
import { EXIT, json, parseFormat, wholeAtLeast, type CliIo, type OutputFormat } from './io.js';
import { remoteClient, remoteOptions, type RemoteOptions } from './remote.js';

const pct = (a: number | null) => (a === null ? 'n/a' : `${a.toFixed(3)} %`);
const dur = (s: number) => (s >= 3600 ? `${(s / 3600).toFixed(1)} h` : s >= 60 ? `${Math.round(s / 60)} min` : `${Math.round(s)} s`);

export function registerUptime(program: Command, io: CliIo, setExit: (code: number) => void): void {
  remoteOptions(
    program
      .command('uptime')
      .description('Availability per app and customer over a period: up / (up + down) as the sites saw it, with the time nobody could tell kept apart.')
      .option('--days <n>', 'the last N days up to today (default 30)', wholeAtLeast('--days', 1))
      .option('--from <time>', 'start (ISO 8601)')
      .option('--to <time>', 'end (ISO 8601, default: the end of today)')
      .option('--app <id>', 'only this app')
      .option('--customer <id>', 'only this customer')
      .option('--format <format>', 'output format: text or json', parseFormat, 'text' as OutputFormat),
  ).action(async (opts: RemoteOptions & { days?: number; from?: string; to?: string; app?: string; customer?: string; format: OutputFormat }) => {
    const r = await remoteClient(opts).uptime({
      ...(opts.days !== undefined ? { days: opts.days } : {}),
      ...(opts.from ? { from: opts.from } : {}),
      ...(opts.to ? { to: opts.to } : {}),
      ...(opts.app ? { app: opts.app } : {}),
      ...(opts.customer ? { customer: opts.customer } : {}),
    });
    if (opts.format === 'json') io.stdout(json(r));
    else {
      const lines = [`availability ${r.from} to ${r.to}`];
      for (const c of r.customers) lines.push(`customer ${c.customer.padEnd(24)} ${pct(c.availability).padStart(10)}  down ${dur(c.downSeconds)}, unknown ${dur(c.unknownSeconds)} (${c.apps} apps)`);
      lines.push('');
      for (const a of r.apps) lines.push(`app ${a.app.padEnd(29)} ${pct(a.availability).padStart(10)}  down ${dur(a.downSeconds)}, unknown ${dur(a.unknownSeconds)}`);
      if (r.apps.length === 0) lines.push('no uptime recorded in this period');
      io.stdout(`${lines.join('\n')}\n`);
    }
    setExit(EXIT.ok);
  });
}
