/** `hafen traffic`: requests per day for a period, the average day of the week, the peak of concurrent connections. */
import type { Command } from 'commander';
import { EXIT, json, parseFormat, wholeAtLeast, type CliIo, type OutputFormat } from './io.js';
import { remoteClient, remoteOptions, type RemoteOptions } from './remote.js';

const n = (x: number) => x.toLocaleString('en');

export function registerTraffic(program: Command, io: CliIo, setExit: (code: number) => void): void {
  remoteOptions(
    program
      .command('traffic')
      .description('Requests through the edge proxies per day (last 30 days by default), the average day of the week, and the peak of concurrent connections.')
      .option('--days <n>', 'days up to today (default 30)', wholeAtLeast('--days', 1), 30)
      .option('--app <id>', 'only this app')
      .option('--customer <id>', 'only this customer\'s apps')
      .option('--format <format>', 'output format: text or json', parseFormat, 'text' as OutputFormat),
  ).action(async (opts: RemoteOptions & { days: number; app?: string; customer?: string; format: OutputFormat }) => {
    const r = await remoteClient(opts).trafficReport({ days: opts.days, ...(opts.app ? { app: opts.app } : {}), ...(opts.customer ? { customer: opts.customer } : {}) });
    if (opts.format === 'json') {
      io.stdout(json(r));
    } else {
      const max = Math.max(1, ...r.days.map((d) => d.requests));
      const lines = [`requests per day, ${r.from.slice(0, 10)} to ${r.days.at(-1)!.day.slice(0, 10)}${opts.app ? `, app ${opts.app}` : opts.customer ? `, customer ${opts.customer}` : ''}: ${n(r.totalRequests)} in all`];
      for (const d of r.days) {
        const weekday = new Date(d.day).toLocaleDateString('en', { weekday: 'short', timeZone: 'UTC' });
        lines.push(`${d.day.slice(0, 10)} ${weekday} ${n(d.requests).padStart(12)} ${'#'.repeat(Math.round((d.requests / max) * 40))}${d.errors ? `  (${n(d.errors)} errors)` : ''}`);
      }
      lines.push('', 'average day of the week:');
      for (const w of r.weekdays) lines.push(`${w.weekday} ${n(w.averageRequests).padStart(12)}  (${w.days} days)`);
      if (r.peak) lines.push('', `peak concurrent connections: ${n(r.peak.connections)} on ${r.peak.day.slice(0, 10)} (the proxies' peaks added up)`);
      io.stdout(`${lines.join('\n')}\n`);
    }
    setExit(EXIT.ok);
  });
}
