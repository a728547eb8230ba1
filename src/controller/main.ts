/** `hafen controller`: the API server on its store (SQLite in the data directory, or PostgreSQL). */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { Command } from 'commander';
import { HafenError } from '../lib/errors.js';
import { parseArgs, parseHostPort, serveUntilSignalled } from '../lib/daemon.js';
import { writeFileAtomic } from '../lib/fs.js';
import { hashToken, newToken } from '../lib/secrets.js';
import { buildApp } from './app.js';
import { loadSecretKey, Secrets } from './secrets.js';
import { ControllerService } from './service.js';
import { openStore, storeName } from './store/open.js';

export interface ControllerHandle {
  url: string;
  close(): Promise<void>;
}

export interface ControllerOptions {
  data: string;
  /** A PostgreSQL store (postgres://…) instead of SQLite in `data`. */
  store?: string;
  /** Called when the controller must stop (it lost its hold on the PostgreSQL store); default: a warning. */
  onFatal?: (err: Error) => void;
  listen: string;
  logger?: boolean;
  /** The secret key itself (HAFEN_SECRET_KEY), base64 or hex. */
  secretKey?: string;
  /** File holding the secret key (default: <data>/secret.key, created on first start). */
  secretKeyFile?: string;
  /** Where notices go (a created key, a readable key file). */
  warn?: (line: string) => void;
  /** The controller's clock (tests move it to see what time does: reminders, expiry). */
  clock?: () => Date;
}

/** Opens the store, makes sure an admin token exists, and listens. */
export async function startController(options: ControllerOptions): Promise<ControllerHandle & { adminTokenFile?: string; secretKeyId: string; storeName: string }> {
  const { host, port } = parseHostPort(options.listen, '--listen', '127.0.0.1:7400');
  const key = await loadSecretKey({ ...(options.secretKey !== undefined ? { env: options.secretKey } : {}), ...(options.secretKeyFile !== undefined ? { file: options.secretKeyFile } : {}), data: options.data });
  for (const w of key.warnings) options.warn?.(w);
  const store = await openStore(options, { exclusive: true, onLost: options.onFatal ?? ((err) => options.warn?.(err.message)) });
  const secrets = new Secrets(store, key);
  try {
    await secrets.checkKey();
  } catch (err) {
    await store.close();
    throw err;
  }
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
  const clock = options.clock ?? (() => new Date());
  const service = new ControllerService(store, secrets, clock, (line) => options.warn?.(line));
  const app = buildApp(service, { logger: options.logger ?? false, now: clock });
  const url = await app.listen({ host, port }).catch(async (err: Error) => {
    await store.close();
    throw new HafenError('HAFEN_CONTROLLER_LISTEN', `cannot listen on ${options.listen}: ${err.message}`);
  });
  // Check states change with time too (a prober falls silent, a view goes stale).
  const monitorTimer = setInterval(
    () =>
      void service.watch
        .evaluate()
        .then(() => service.watch.deliverNotifications())
        .catch((err: Error) => options.warn?.(`monitoring: ${err.message}`)),
    1000,
  );
  monitorTimer.unref();
  // A staged rollout moves on (or back) as its hosts report; its state is in the store, so a restart carries on.
  // Moves between sites: proposals are reminded and expire, accepted live moves run; their state is in the store too.
  const rolloutTimer = setInterval(() => {
    void service.rollouts.tick().catch((err: Error) => options.warn?.(`rollout: ${err.message}`));
    void service.migrations.tick().catch((err: Error) => options.warn?.(`migrations: ${err.message}`));
  }, 1000);
  rolloutTimer.unref();
  return {
    url,
    secretKeyId: key.id,
    storeName: storeName(options),
    ...(adminTokenFile ? { adminTokenFile } : {}),
    close: async () => {
      // End the long-polls, then stop listening. Connections that go idle while requests
      // finish are closed as they do (otherwise each would hold the close for the keep-alive
      // timeout); whatever still runs after 10 s is cut.
      clearInterval(monitorTimer);
      clearInterval(rolloutTimer);
      service.close();
      const idle = setInterval(() => app.server.closeIdleConnections(), 100);
      const cut = setTimeout(() => app.server.closeAllConnections(), 10_000);
      try {
        await app.close();
      } finally {
        clearInterval(idle);
        clearTimeout(cut);
      }
      await service.flush().catch((err: Error) => options.warn?.(`could not save the last host reports: ${err.message}`));
      await store.close();
    },
  };
}

export async function runController(argv: string[]): Promise<number> {
  const program = new Command('hafen controller')
    .description('Run the hafen controller: the API, the store and the reconcilers.')
    .option('--data <dir>', 'data directory (SQLite store unless --store, admin token, secret key)', '.hafen')
    .option('--store <url>', 'a PostgreSQL store instead: postgres://USER@HOST:PORT[,HOST2:PORT]/DATABASE, the primary among the hosts (password in PGPASSWORD or ~/.pgpass, not here; or the whole URL in HAFEN_STORE)')
    .option('--listen <host:port>', 'address to listen on', '127.0.0.1:7400')
    .option('--secret-key-file <file>', 'key that encrypts app secrets at rest (default: HAFEN_SECRET_KEY, else <data>/secret.key, created on first start)')
    .option('--quiet', 'no request log')
    .addHelpText('after', '\nEnvironment:\n  HAFEN_SECRET_KEY  the secret key (32 bytes, base64 or hex); wins over --secret-key-file\n  HAFEN_STORE       the PostgreSQL store URL (may hold the password); --store wins\n  PGPASSWORD        the PostgreSQL password (or ~/.pgpass)');
  const early = parseArgs(program, argv);
  if (early !== undefined) return early;
  const opts = program.opts<{ data: string; listen: string; quiet?: boolean; secretKeyFile?: string; store?: string }>();
  const storeUrl = opts.store ?? process.env.HAFEN_STORE;
  return serveUntilSignalled(async () => {
    const c = await startController({
      data: opts.data,
      ...(storeUrl ? { store: storeUrl } : {}),
      listen: opts.listen,
      logger: !opts.quiet,
      ...(process.env.HAFEN_SECRET_KEY !== undefined ? { secretKey: process.env.HAFEN_SECRET_KEY } : {}),
      ...(opts.secretKeyFile !== undefined ? { secretKeyFile: opts.secretKeyFile } : {}),
      warn: (line) => process.stderr.write(`warning: ${line}\n`),
      onFatal: (err) => {
        // A supervisor (systemd) starts it again; it then takes the store back or finds another controller on it.
        process.stderr.write(`error: ${err.message}\n`);
        process.exit(1);
      },
    });
    process.stderr.write(`hafen controller listening on ${c.url} (store ${c.storeName}, secret key ${c.secretKeyId})\n`);
    if (c.adminTokenFile) process.stderr.write(`admin token: ${c.adminTokenFile} (export HAFEN_TOKEN=$(cat ${c.adminTokenFile}))\n`);
    return { stop: () => c.close() };
  });
}
