/** `hafen controller`: the API server on its SQLite store. */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { Command } from 'commander';
import { HafenError } from '../lib/errors.js';
import { parseArgs, serveUntilSignalled } from '../lib/daemon.js';
import { writeFileAtomic } from '../lib/fs.js';
import { hashToken, newToken } from '../lib/secrets.js';
import { buildApp } from './app.js';
import { ControllerService } from './service.js';
import { SqliteStore } from './store/sqlite.js';

export interface ControllerHandle {
  url: string;
  close(): Promise<void>;
}

/** Opens the store, makes sure an admin token exists, and listens. */
export async function startController(options: { data: string; listen: string; logger?: boolean }): Promise<ControllerHandle & { adminTokenFile?: string }> {
  const [host, port] = parseListen(options.listen);
  const store = new SqliteStore(join(options.data, 'hafen.db'));
  let adminTokenFile: string | undefined;
  if ((await store.listApiTokens()).length === 0) {
    // First start: one admin token, written to a file only the owner can read, never logged.
    const token = newToken('hfa_');
    await store.createApiToken({ id: 'bootstrap-admin', name: 'bootstrap-admin', role: 'admin', hash: hashToken(token), createdAt: new Date().toISOString() });
    adminTokenFile = join(options.data, 'admin.token');
    await writeFileAtomic(adminTokenFile, `${token}\n`, 0o600);
  } else if (existsSync(join(options.data, 'admin.token'))) {
    adminTokenFile = join(options.data, 'admin.token');
  }
  const service = new ControllerService(store);
  const app = buildApp(service, { logger: options.logger ?? false });
  const url = await app.listen({ host, port }).catch(async (err: Error) => {
    await store.close();
    throw new HafenError('HAFEN_CONTROLLER_LISTEN', `cannot listen on ${options.listen}: ${err.message}`);
  });
  return {
    url,
    ...(adminTokenFile ? { adminTokenFile } : {}),
    close: async () => {
      service.close();
      await app.close();
      await store.close();
    },
  };
}

function parseListen(listen: string): [string, number] {
  const m = /^(.*):(\d+)$/.exec(listen);
  if (!m) throw new HafenError('HAFEN_CLI_BAD_OPTION', `--listen must be HOST:PORT, like 127.0.0.1:7400, not "${listen}"`);
  return [m[1]!.replace(/^\[|\]$/g, ''), Number(m[2])];
}

export async function runController(argv: string[]): Promise<number> {
  const program = new Command('hafen controller')
    .description('Run the hafen controller: the API, the store and the reconcilers.')
    .option('--data <dir>', 'data directory (SQLite store, admin token)', '.hafen')
    .option('--listen <host:port>', 'address to listen on', '127.0.0.1:7400')
    .option('--quiet', 'no request log');
  const early = parseArgs(program, argv);
  if (early !== undefined) return early;
  const opts = program.opts<{ data: string; listen: string; quiet?: boolean }>();
  return serveUntilSignalled(async () => {
    const c = await startController({ data: opts.data, listen: opts.listen, logger: !opts.quiet });
    process.stderr.write(`hafen controller listening on ${c.url}\n`);
    if (c.adminTokenFile) process.stderr.write(`admin token: ${c.adminTokenFile} (export HAFEN_TOKEN=$(cat ${c.adminTokenFile}))\n`);
    return { stop: () => c.close() };
  });
}
