/**
 * `hafen user set|list|delete`: people who log in to the dashboard with a name and password
 * (kept by the controller as a scrypt hash) instead of holding an API token; `hafen whoami`.
 */
import type { Command } from 'commander';
import { HafenError } from '../lib/errors.js';
import type { Role } from '../client/client.js';
import { parseRole } from './access.js';
import { EXIT, json, parseFormat, type CliIo, type OutputFormat } from './io.js';
import { readValue } from './read-secret.js';
import { remoteClient, remoteOptions, type RemoteOptions } from './remote.js';

export function registerUsers(program: Command, io: CliIo, setExit: (code: number) => void): void {
  const user = program
    .command('user')
    .description('Users who log in to the dashboard with a name and password (admin only).')
    .addHelpText(
      'after',
      `
Examples:
  hafen user set anna --role operator                 (prompts for the password; not shown)
  pwgen -s 24 1 | hafen user set huber-it --role viewer --customer huber
  hafen user list --format json
  hafen user delete anna                              (her sessions end at once)`,
    );

  remoteOptions(
    user
      .command('set')
      .description('Add a user, or set the role, customer scope and password of one. The password (at least 12 characters) is read from stdin or --password-file, never from the command line.')
      .argument('<name>', 'login name (letters, digits, ".", "_", "@", "-")')
      .requiredOption('--role <role>', 'admin, operator or viewer', parseRole)
      .option('--customer <customer>', "scope the user to one customer (viewer only): the customer's view of the dashboard")
      .option('--password-file <file>', 'read the password from this file')
      .option('--format <format>', 'output format: text or json', parseFormat, 'text' as OutputFormat),
  ).action(async (name: string, opts: RemoteOptions & { role: Role; customer?: string; passwordFile?: string; format: OutputFormat }) => {
    const client = remoteClient(opts);
    const password = await readValue(`password for ${name}`, opts.passwordFile, io);
    if (!password) throw new HafenError('HAFEN_CLI_PASSWORD_EMPTY', 'the password is empty; nothing was stored');
    const res = await client.setUser(name, { role: opts.role, password, ...(opts.customer !== undefined ? { customer: opts.customer } : {}) });
    if (opts.format === 'json') io.stdout(json(res));
    else io.stderr(`user ${res.name} (${res.role}${res.customer ? `, customer ${res.customer}` : ''}) set; they log in at the dashboard (/ui/)\n`);
    setExit(EXIT.ok);
  });

  remoteOptions(
    user
      .command('list')
      .description('List users (never their password hashes).')
      .option('--format <format>', 'output format: text or json', parseFormat, 'text' as OutputFormat),
  ).action(async (opts: RemoteOptions & { format: OutputFormat }) => {
    const { users } = await remoteClient(opts).users();
    if (opts.format === 'json') io.stdout(json({ users }));
    else if (users.length === 0) io.stderr('no users (hafen user set NAME --role ROLE)\n');
    else for (const u of users) io.stdout(`${u.name.padEnd(24)} ${u.role.padEnd(8)}${u.customer ? ` customer ${u.customer}` : ''}  updated ${u.updatedAt}\n`);
    setExit(EXIT.ok);
  });

  remoteOptions(user.command('delete').description('Delete a user; its login sessions end at once.').argument('<name>', 'login name')).action(async (name: string, opts: RemoteOptions) => {
    await remoteClient(opts).deleteUser(name);
    io.stderr(`user ${name} deleted\n`);
    setExit(EXIT.ok);
  });

  remoteOptions(
    program
      .command('whoami')
      .description('Who the token in use belongs to: name, role, and the customer it is scoped to.')
      .option('--format <format>', 'output format: text or json', parseFormat, 'text' as OutputFormat),
  ).action(async (opts: RemoteOptions & { format: OutputFormat }) => {
    const who = await remoteClient(opts).whoami();
    if (opts.format === 'json') io.stdout(json(who));
    else io.stdout(`${who.name} (${who.role}${who.customer ? `, customer ${who.customer}` : ''}${who.expiresAt ? `, session until ${who.expiresAt}` : ''})\n`);
    setExit(EXIT.ok);
  });
}
