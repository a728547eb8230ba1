/**
 * `hafen secret set|list|rm`: app secrets kept encrypted by the controller. A value is read
 * from stdin (hidden when typed at a terminal) or a file, never from the command line, where
 * it would show in `ps` and the shell history.
 */
import type { Command } from 'commander';
import { EXIT, json, parseFormat, type CliIo, type OutputFormat } from './io.js';
import { readValue } from './read-secret.js';
import { remoteClient, remoteOptions, type RemoteOptions } from './remote.js';

export function registerSecret(program: Command, io: CliIo, setExit: (code: number) => void): void {
  const secret = program
    .command('secret')
    .description('App secrets, encrypted at rest by the controller; only agents of hosts running an app that uses one receive its value.')
    .addHelpText(
      'after',
      `
Use a secret in the fleet as an environment value:
  apps:
    - id: acme-shop
      env: { DB_PASSWORD: { secret: acme-db-password } }

Examples:
  hafen secret set acme-db-password              (prompts; input is not shown)
  openssl rand -base64 24 | hafen secret set acme-db-password
  hafen secret set tls-key --from-file key.pem
  hafen secret list --format json`,
    );

  remoteOptions(
    secret
      .command('set')
      .description('Set (or rotate) a secret. Reads the value from stdin or --from-file; a single trailing newline is dropped. Units using it restart with the new value.')
      .argument('<name>', 'secret name (lower-case letters, digits, ".", "_", "-")')
      .option('--from-file <file>', 'read the value from this file')
      .option('--format <format>', 'output format: text or json', parseFormat, 'text' as OutputFormat),
  ).action(async (name: string, opts: RemoteOptions & { fromFile?: string; format: OutputFormat }) => {
    const client = remoteClient(opts);
    const value = await readValue(`value for ${name}`, opts.fromFile, io);
    const res = await client.setSecret(name, value);
    if (opts.format === 'json') io.stdout(json(res));
    else io.stderr(`secret ${res.name} set (version ${res.version})${res.usedBy.length ? `; ${res.usedBy.join(', ')} restart with it` : '; no app uses it yet'}\n`);
    setExit(EXIT.ok);
  });

  remoteOptions(
    secret
      .command('list')
      .description('List secrets: name, version, who set them when, and the apps using them (never values).')
      .option('--format <format>', 'output format: text or json', parseFormat, 'text' as OutputFormat),
  ).action(async (opts: RemoteOptions & { format: OutputFormat }) => {
    const { secrets } = await remoteClient(opts).secrets();
    if (opts.format === 'json') io.stdout(json({ secrets }));
    else if (secrets.length === 0) io.stderr('no secrets set\n');
    else {
      const w = Math.max(4, ...secrets.map((s) => s.name.length));
      io.stdout(`${'NAME'.padEnd(w)}  VERSION  UPDATED                   BY            USED BY\n`);
      for (const s of secrets) io.stdout(`${s.name.padEnd(w)}  ${String(s.version).padEnd(7)}  ${s.updatedAt.padEnd(24)}  ${s.updatedBy.padEnd(12)}  ${s.usedBy.join(', ') || '-'}\n`);
    }
    setExit(EXIT.ok);
  });

  remoteOptions(secret.command('rm').description('Delete a secret that the newest revision no longer uses.').argument('<name>', 'secret name')).action(
    async (name: string, opts: RemoteOptions) => {
      await remoteClient(opts).deleteSecret(name);
      io.stderr(`secret ${name} deleted\n`);
      setExit(EXIT.ok);
    },
  );
}
