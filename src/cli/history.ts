/** `hafen history`: the audit history (who did what when), or with --revisions the fleet's revisions. */
import { InvalidArgumentError, type Command } from 'commander';
import type { AuditEntry, AuditFilter } from '../client/access-types.js';
import { EXIT, json, parseFormat, wholeAtLeast, type CliIo, type OutputFormat } from './io.js';
import { remoteClient, remoteOptions, type RemoteOptions } from './remote.js';

const AGO_MS = { m: 60_000, h: 3_600_000, d: 86_400_000 } as const;

/** An ISO 8601 time, or "30m", "24h", "7d" before now. */
function pointInTime(option: string): (value: string) => string {
  return (value) => {
    const ago = /^(\d+)(m|h|d)$/.exec(value.trim());
    if (ago) return new Date(Date.now() - Number(ago[1]) * AGO_MS[ago[2] as keyof typeof AGO_MS]).toISOString();
    if (!Number.isNaN(Date.parse(value))) return new Date(value).toISOString();
    throw new InvalidArgumentError(`${option} takes an ISO 8601 time or a time ago like 30m, 24h or 7d, not "${value}"`);
  };
}

function detailText(d: AuditEntry['detail']): string {
  return d ? Object.entries(d).map(([k, v]) => `${k}=${typeof v === 'string' && /\s/.test(v) ? JSON.stringify(v) : String(v)}`).join(' ') : '';
}

type HistoryOptions = RemoteOptions & Omit<AuditFilter, 'limit'> & { limit: number; format: OutputFormat; revisions?: boolean };

export function registerHistory(program: Command, io: CliIo, setExit: (code: number) => void): void {
  remoteOptions(
    program
      .command('history')
      .description('Who did what when on the controller, newest first: applies and rollbacks, rollouts aborted, tokens and users created or removed, logins, join tokens and joins, secrets set (never values), silences, switchovers, backup tasks, moves and consent answers. --revisions lists the fleet\'s revisions instead.')
      .option('--since <time>', 'from this time on: ISO 8601, or a time ago (30m, 24h, 7d)', pointInTime('--since'))
      .option('--until <time>', 'before this time: ISO 8601, or a time ago', pointInTime('--until'))
      .option('--actor <name>', 'only what this token, user ("user:NAME" for a login) or host did')
      .option('--action <action>', 'only this action, or every action under a prefix ending in "." (token., move., host.)')
      .option('--subject <id>', 'only what was done to this revision, token, user, host, secret, app or move')
      .option('--customer <id>', 'only entries about this customer')
      .option('--revisions', 'the fleet\'s revisions instead: number, when, by whom and why (hafen apply -m)')
      .option('--limit <n>', 'at most this many (default 20)', wholeAtLeast('--limit', 1), 20)
      .option('--format <format>', 'output format: text or json', parseFormat, 'text' as OutputFormat)
      .addHelpText(
        'after',
        `
After an apply that answered with an error, "hafen history --revisions" says whether it was
stored. A rollback (hafen rollback REV, with a number from that list) adds a new revision that
holds the fleet of REV; nothing is removed from either history.

A customer-scoped token sees only the entries about its own customer.

JSON output: {"entries": [{"id", "at", "actor", "action", "subject", "customer"?, "detail"?}]};
with --revisions {"revisions": [{"number", "parent", "author", "message"?, "createdAt"}]}`,
      ),
  ).action(async (opts: HistoryOptions) => {
    const client = remoteClient(opts);
    if (opts.revisions) {
      const { revisions } = await client.revisions();
      const newest = [...revisions].sort((a, b) => b.number - a.number).slice(0, opts.limit);
      if (opts.format === 'json') io.stdout(json({ revisions: newest }));
      else if (newest.length === 0) io.stdout('no revisions yet: nothing has been applied (hafen apply FLEET)\n');
      else {
        const lines = newest.map((r) => `${String(r.number).padStart(5)}  ${r.createdAt}  ${r.author.padEnd(20)}  ${r.message ?? ''}`.trimEnd());
        if (revisions.length > newest.length) lines.push(`(${revisions.length - newest.length} older; --limit ${revisions.length} shows all)`);
        io.stdout(`${lines.join('\n')}\n`);
      }
      return setExit(EXIT.ok);
    }
    const filter: AuditFilter = { limit: opts.limit };
    for (const k of ['since', 'until', 'actor', 'action', 'subject', 'customer'] as const) if (opts[k] !== undefined) filter[k] = opts[k];
    const { entries } = await client.audit(filter);
    if (opts.format === 'json') io.stdout(json({ entries }));
    else if (entries.length === 0) io.stdout(Object.keys(filter).length > 1 ? 'nothing recorded that matches\n' : 'nothing recorded yet\n');
    else {
      const lines = entries.map((e) => `${e.at}  ${e.actor.padEnd(16)}  ${e.action.padEnd(18)}  ${e.subject}${e.customer ? ` (customer ${e.customer})` : ''}  ${detailText(e.detail)}`.trimEnd());
      if (entries.length === opts.limit) lines.push(`(there may be older entries: --limit ${Math.min(opts.limit * 5, 10_000)} shows more)`);
      io.stdout(`${lines.join('\n')}\n`);
    }
    setExit(EXIT.ok);
  });
}
