/** `hafen history`: the fleet's revisions, newest first: when, by whom, why. */
import type { Command } from 'commander';
import { EXIT, json, parseFormat, wholeAtLeast, type CliIo, type OutputFormat } from './io.js';
import { remoteClient, remoteOptions, type RemoteOptions } from './remote.js';

export function registerHistory(program: Command, io: CliIo, setExit: (code: number) => void): void {
  remoteOptions(
    program
      .command('history')
      .description('The fleet\'s revisions on the controller, newest first: number, when, by whom and why (hafen apply -m). After an apply that answered with an error, this says whether it was stored.')
      .option('--limit <n>', 'at most this many (default 20)', wholeAtLeast('--limit', 1), 20)
      .option('--format <format>', 'output format: text or json', parseFormat, 'text' as OutputFormat)
      .addHelpText(
        'after',
        `
A rollback (hafen rollback REV, with a number from this list) adds a new revision that holds
the fleet of REV; nothing is removed from the history.

JSON output: {"revisions": [{"number", "parent", "author", "message"?, "createdAt"}]}`,
      ),
  ).action(async (opts: RemoteOptions & { limit: number; format: OutputFormat }) => {
    const { revisions } = await remoteClient(opts).revisions();
    const newest = [...revisions].sort((a, b) => b.number - a.number).slice(0, opts.limit);
    if (opts.format === 'json') io.stdout(json({ revisions: newest }));
    else if (newest.length === 0) io.stdout('no revisions yet: nothing has been applied (hafen apply FLEET)\n');
    else {
      const lines = newest.map((r) => `${String(r.number).padStart(5)}  ${r.createdAt}  ${r.author.padEnd(20)}  ${r.message ?? ''}`.trimEnd());
      if (revisions.length > newest.length) lines.push(`(${revisions.length - newest.length} older; --limit ${revisions.length} shows all)`);
      io.stdout(`${lines.join('\n')}\n`);
    }
    setExit(EXIT.ok);
  });
}
