/** `hafen host join HOST` and `hafen token create|list|revoke`: credentials, each shown exactly once. */
import type { Command } from 'commander';
import { InvalidArgumentError } from 'commander';
import type { Role } from '../client/client.js';
import { EXIT, json, parseFormat, type CliIo, type OutputFormat } from './io.js';
import { remoteClient, remoteOptions, type RemoteOptions } from './remote.js';

export function parseRole(v: string): Role {
  if (v !== 'admin' && v !== 'operator' && v !== 'viewer') throw new InvalidArgumentError('must be admin, operator or viewer');
  return v;
}

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
      if (res.rejoin) io.stderr(`${res.host} has joined before: redeeming this token replaces its credential, and the agent running there now stops following the controller\n`);
    }
    setExit(EXIT.ok);
  });

  const token = program.command('token').description('API tokens.');
  remoteOptions(
    token
      .command('create')
      .description('Create an API token and print it once.')
      .requiredOption('--name <name>', 'who or what uses it (shown in the revision history)')
      .requiredOption('--role <role>', 'admin, operator or viewer', parseRole)
      .option('--customer <customer>', "scope it to one customer (viewer only): it reads only that customer's apps, uptime, traffic and moves, as the customer's view of the dashboard"),
  ).action(async (opts: RemoteOptions & { name: string; role: Role; customer?: string }) => {
    const res = await remoteClient(opts).createToken(opts.name, opts.role, opts.customer);
    io.stdout(`${res.token}\n`);
    io.stderr(`token ${res.id} (${res.role}${res.customer ? `, customer ${res.customer}` : ''}) for ${res.name}; it is not shown again\n`);
    setExit(EXIT.ok);
  });

  remoteOptions(
    token
      .command('list')
      .description('List API tokens (never their secrets).')
      .option('--format <format>', 'output format: text or json', parseFormat, 'text' as OutputFormat),
  ).action(async (opts: RemoteOptions & { format: OutputFormat }) => {
    const { tokens } = await remoteClient(opts).tokens();
    if (opts.format === 'json') io.stdout(json({ tokens }));
    else for (const t of tokens) io.stdout(`${t.id}  ${t.role.padEnd(8)} ${t.name.padEnd(24)} created ${t.createdAt}${t.customer ? `, customer ${t.customer}` : ''}${t.expiresAt ? `, session until ${t.expiresAt}` : ''}${t.revokedAt ? `, revoked ${t.revokedAt}` : ''}\n`);
    setExit(EXIT.ok);
  });

  remoteOptions(token.command('revoke').description('Revoke an API token at once.').argument('<id>', 'token id from hafen token list')).action(
    async (id: string, opts: RemoteOptions) => {
      await remoteClient(opts).revokeToken(id);
      io.stderr(`token ${id} revoked\n`);
      setExit(EXIT.ok);
    },
  );
}
