/** `hafen host join HOST` and `hafen token create`: credentials, each shown exactly once. */
import type { Command } from 'commander';
import { InvalidArgumentError } from 'commander';
import { EXIT, json, parseFormat, type CliIo, type OutputFormat } from './io.js';
import { remoteClient, remoteOptions, type RemoteOptions } from './remote.js';

export function registerAccess(program: Command, io: CliIo, setExit: (code: number) => void): void {
  const host = program.command('host').description('Hosts and their agents.');
  remoteOptions(
    host
      .command('join')
      .description('Print a one-time join token for the agent of HOST (valid 24 hours).')
      .argument('<host>', 'host id from the fleet')
      .option('--format <format>', 'output format: text or json', parseFormat, 'text' as OutputFormat),
  ).action(async (id: string, opts: RemoteOptions & { format: OutputFormat }) => {
    const res = await remoteClient(opts).joinToken(id);
    if (opts.format === 'json') io.stdout(json(res));
    else {
      io.stdout(`${res.token}\n`);
      io.stderr(`one-time token for ${res.host}, valid until ${res.expiresAt}; on the host run:\n  HAFEN_JOIN_TOKEN=<token> hafen agent --controller URL\n`);
    }
    setExit(EXIT.ok);
  });

  const token = program.command('token').description('API tokens.');
  remoteOptions(
    token
      .command('create')
      .description('Create an API token and print it once.')
      .requiredOption('--name <name>', 'who or what uses it (shown in the revision history)')
      .requiredOption('--role <role>', 'admin, operator or viewer', (v: string) => {
        if (v !== 'admin' && v !== 'operator' && v !== 'viewer') throw new InvalidArgumentError('must be admin, operator or viewer');
        return v;
      }),
  ).action(async (opts: RemoteOptions & { name: string; role: 'admin' | 'operator' | 'viewer' }) => {
    const res = await remoteClient(opts).createToken(opts.name, opts.role);
    io.stdout(`${res.token}\n`);
    io.stderr(`token ${res.id} (${res.role}) for ${res.name}; it is not shown again\n`);
    setExit(EXIT.ok);
  });
}
