/** `hafen controller`: the API server on its store (SQLite in the data directory, or PostgreSQL). */
import { chmodSync, existsSync, mkdirSync } from 'node:fs';
import { readPem, tlsFiles } from './tls-files.js';
import http from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { Command, InvalidArgumentError } from 'commander';
import { HafenError } from '../lib/errors.js';
import { parseArgs, parseHostPort, serveUntilSignalled } from '../lib/daemon.js';
import { writeFileAtomic } from '../lib/fs.js';
import { plainHttpAllowed, refusePlainHttpListen, refusePlainHttpUrls } from '../lib/plain-http.js';
import { hashToken, newToken } from '../lib/secrets.js';
import { follower } from './forward.js';
import { lead, type Led } from './leading.js';
import { startLeadership, type Leadership, type LeaseTimes } from './leadership.js';
import { PLAN_DEFAULTS, type PlannerOptions } from './planner.js';
import { loadSecretKey, Secrets } from './secrets.js';
import { openStore, storeName } from './store/open.js';
import type { Store } from './store/store.js';

export interface ControllerHandle {
  url: string;
  close(): Promise<void>;
}

export interface ControllerOptions {
  data: string;
  /** A PostgreSQL store (postgres://…) instead of SQLite in `data`; several controllers may run on it, one leads. */
  store?: string;
  /** The URL the other controllers on the store reach this one at (default: the listen address). */
  advertise?: string;
  /** The lead's timing on a PostgreSQL store (store/postgres-leader.ts DEFAULT_LEASE). */
  lease?: Partial<LeaseTimes>;
  /** Called when the controller must stop (it lost the lead on the PostgreSQL store, or cannot reach it); default: a warning (it then only passes requests on, and leads again only once restarted). */
  onFatal?: (err: Error) => void;
  listen: string;
  logger?: boolean;
  /** The secret key itself (HAFEN_SECRET_KEY), base64 or hex. */
  secretKey?: string;
  /** File holding the secret key (default: <data>/secret.key, created on first start). */
  secretKeyFile?: string;
  /** Where notices go (a created key, a readable key file). */
  warn?: (line: string) => void;
  /** Where news goes (this controller took the lead). */
  info?: (line: string) => void;
  /** The controller's clock (tests move it to see what time does: reminders, expiry). */
  clock?: () => Date;
  /** Limits of plans and applies (planner.ts PLAN_DEFAULTS). */
  plans?: PlannerOptions;
  /** HTTPS: the certificate (PEM, its chain after it) and key files; both are read again when they change. */
  tls?: { cert: string; key: string };
  /** The CA file the other controllers' certificates chain to, when not the system's (passing requests on to the leader). */
  ca?: string;
  /** Serve plain HTTP off loopback (--allow-plain-http): by default only loopback is served without TLS. */
  allowPlainHttp?: boolean;
}

export type Controller = ControllerHandle & {
  adminTokenFile?: string;
  secretKeyId: string;
  storeName: string;
  /** Whether this controller leads (the others pass requests on to it). */
  readonly leading: boolean;
};

/** First start: one admin token, written to a file only the owner can read, never logged. */
async function bootstrapAdmin(store: Store, data: string): Promise<string | undefined> {
  if ((await store.listApiTokens()).length > 0) return undefined;
  const token = newToken('hfa_');
  await store.createApiToken({ id: 'bootstrap-admin', name: 'bootstrap-admin', role: 'admin', hash: hashToken(token), createdAt: new Date().toISOString() });
  const file = join(data, 'admin.token');
  await writeFileAtomic(file, `${token}\n`, 0o600);
  return file;
}

/**
 * Opens the store and listens; then leads (alone on its store, or when no other controller
 * does) or passes requests on to the one that leads until it can take over (leadership.ts).
 */
export async function startController(options: ControllerOptions): Promise<Controller> {
  const { host, port } = parseHostPort(options.listen, '--listen', '127.0.0.1:7400');
  const scheme = options.tls ? 'https' : 'http';
  if (options.advertise !== undefined && !new RegExp(`^${scheme}://[^/]+/?$`).test(options.advertise)) {
    throw new HafenError('HAFEN_CLI_BAD_OPTION', `--advertise: expected ${scheme}://HOST:PORT (the URL the other controllers reach this one at${options.tls ? '; it serves HTTPS' : ''}), got "${options.advertise}"`);
  }
  // Credentials and secret values cross this API: plain HTTP only where other machines cannot listen in.
  if (!options.tls) {
    refusePlainHttpListen(options.listen, host, options.allowPlainHttp === true);
    if (options.advertise !== undefined) refusePlainHttpUrls([options.advertise], '--advertise', options.allowPlainHttp === true);
  }
  const warn = (line: string) => options.warn?.(line);
  // The data directory holds the secret key and the admin token: the controller's alone, whoever starts it.
  mkdirSync(options.data, { recursive: true, mode: 0o700 });
  chmodSync(options.data, 0o700);
  const key = await loadSecretKey({ ...(options.secretKey !== undefined ? { env: options.secretKey } : {}), ...(options.secretKeyFile !== undefined ? { file: options.secretKeyFile } : {}), data: options.data });
  for (const w of key.warnings) warn(w);
  const store = await openStore(options);
  let led: Led | undefined;
  let adminTokenFile: string | undefined;
  let leadership: Leadership | undefined;
  let closing = false;
  let advertise = '';
  const secrets = new Secrets(store, key);
  const passOn = follower({
    self: () => advertise,
    leader: () => leadership?.leader(),
    health: async () => ({ ok: true, role: 'follower', leader: leadership?.leader()?.url ?? null, revision: (await store.head())?.number ?? null }),
    derive: (label) => secrets.derive(label),
    ...(options.ca !== undefined ? { ca: readPem(options.ca, '--ca') } : {}),
  });
  const handler = (req: http.IncomingMessage, res: http.ServerResponse) => (led ? led.handle(req, res) : passOn.handle(req, res));
  const tls = options.tls && tlsFiles(options.tls);
  const server = tls ? https.createServer({ ...tls.read(), minVersion: 'TLSv1.2' }, handler) : http.createServer(handler);
  server.keepAliveTimeout = 72_000;
  try {
    await secrets.checkKey();
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, host, () => resolve());
    }).catch((err: Error) => {
      throw new HafenError('HAFEN_CONTROLLER_LISTEN', `cannot listen on ${options.listen}: ${err.message}`);
    });
  } catch (err) {
    await store.close();
    throw err;
  }
  // A renewed certificate is served without a restart (watched once the controller listens).
  const stopWatching = tls?.watch((pair) => (server as https.Server).setSecureContext({ ...pair, minVersion: 'TLSv1.2' }), warn);
  const bound = server.address() as AddressInfo;
  const url = `${tls ? 'https' : 'http'}://${bound.family === 'IPv6' ? `[${bound.address}]` : bound.address}:${bound.port}`;
  advertise = (options.advertise ?? url).replace(/\/$/, '');
  const stopLeading = (): Led | undefined => {
    const was = led;
    led = undefined;
    was?.halt();
    return was;
  };
  try {
    if (options.store !== undefined && options.advertise === undefined && /^(0\.0\.0\.0|::)$/.test(bound.address)) {
      throw new HafenError('HAFEN_CLI_BAD_OPTION', `--listen ${options.listen} is every address: give --advertise ${scheme}://THIS-HOST:${bound.port}, the URL the other controllers on the store pass requests to`);
    }
    leadership = await startLeadership(store, {
      advertise,
      log: (line) => (options.info ?? warn)(line),
      ...(options.lease ? { lease: options.lease } : {}),
      onElected: async (term) => {
        if (closing) return;
        adminTokenFile = (await bootstrapAdmin(store, options.data)) ?? adminTokenFile;
        led = await lead({ store, key, server, term, clock: options.clock ?? (() => new Date()), logger: options.logger ?? false, warn, ...(options.plans ? { plans: options.plans } : {}) });
      },
      onLost: (err) => {
        // Nothing more is written by this controller; a supervisor restarts it (it then follows).
        void stopLeading()?.close(false).catch(() => undefined);
        (options.onFatal ?? ((e: Error) => warn(e.message)))(err);
      },
    });
  } catch (err) {
    stopLeading();
    stopWatching?.();
    server.closeAllConnections();
    server.close();
    await store.close();
    throw err;
  }
  if (adminTokenFile === undefined && existsSync(join(options.data, 'admin.token'))) adminTokenFile = join(options.data, 'admin.token');
  return {
    url,
    secretKeyId: key.id,
    storeName: storeName(options),
    get adminTokenFile() {
      return adminTokenFile;
    },
    get leading() {
      return led !== undefined;
    },
    close: async () => {
      // End the long-polls, then stop listening. Connections that go idle while requests
      // finish are closed as they do (otherwise each would hold the close for the keep-alive
      // timeout); whatever still runs after 10 s is cut. What is only in memory is written
      // before the lead is given up.
      closing = true;
      const was = stopLeading();
      passOn.endPolls();
      const idle = setInterval(() => server.closeIdleConnections(), 100);
      const cut = setTimeout(() => server.closeAllConnections(), 10_000);
      try {
        await new Promise<void>((resolve) => server.close(() => resolve()));
        await was?.close(leadership?.leading ?? false);
      } finally {
        clearInterval(idle);
        clearTimeout(cut);
        stopWatching?.();
        await leadership?.stop();
        await store.close();
      }
    },
  };
}

/** A whole number of at least 1, for the limits' options. */
const whole = (option: string) => (value: string): number => {
  const n = Number(value);
  if (!/^\d+$/.test(value.trim()) || !Number.isSafeInteger(n) || n < 1) throw new InvalidArgumentError(`${option} must be a whole number of at least 1, not "${value}"`);
  return n;
};

export async function runController(argv: string[]): Promise<number> {
  const program = new Command('hafen controller')
    .description('Run the hafen controller: the API, the store and the reconcilers. Several may run on one PostgreSQL store: one leads (runs the reconcilers, answers the API), the others pass every request on to it and take over within seconds when it is gone.')
    .option('--data <dir>', 'data directory (SQLite store unless --store, admin token, secret key)', '.hafen')
    .option('--store <url>', 'a PostgreSQL store instead: postgres://USER@HOST:PORT[,HOST2:PORT]/DATABASE, the primary among the hosts (password in PGPASSWORD or ~/.pgpass, not here; or the whole URL in HAFEN_STORE)')
    .option('--listen <host:port>', 'address to listen on', '127.0.0.1:7400')
    .option('--advertise <url>', 'with several controllers on one PostgreSQL store: the URL the others reach this one at (default: the --listen address; required when that is 0.0.0.0)')
    .option('--secret-key-file <file>', 'key that encrypts app secrets at rest (default: HAFEN_SECRET_KEY, else <data>/secret.key, created on first start)')
    .option('--plan-timeout <seconds>', `longest one plan or apply may compute before it is stopped (default ${PLAN_DEFAULTS.timeoutMs / 1000})`, whole('--plan-timeout'))
    .option('--max-fleet-size <MiB>', `largest fleet planned, its files together (default ${PLAN_DEFAULTS.maxFleetBytes / 1024 / 1024})`, whole('--max-fleet-size'))
    .option('--plan-memory <MB>', `heap the plan worker may use; a fleet needing more is refused (default ${PLAN_DEFAULTS.maxMemoryMb})`, whole('--plan-memory'))
    .option('--tls-cert <file>', 'serve HTTPS with this certificate (PEM, its chain after it); read again when it changes')
    .option('--tls-key <file>', 'the private key of --tls-cert (PEM)')
    .option('--ca <file>', 'with several controllers on one store: the CA their certificates chain to, when not in the system\'s CA store')
    .option('--allow-plain-http', 'serve plain HTTP on an address other than loopback (only on a network you trust: credentials and secret values cross it in clear; or HAFEN_ALLOW_PLAIN_HTTP=1); without it, --listen off loopback needs --tls-cert/--tls-key')
    .option('--quiet', 'no request log')
    .addHelpText('after', '\nEnvironment:\n  HAFEN_SECRET_KEY  the secret key (32 bytes, base64 or hex); wins over --secret-key-file\n  HAFEN_STORE       the PostgreSQL store URL (may hold the password); --store wins\n  HAFEN_ADVERTISE   the URL the other controllers reach this one at; --advertise wins\n  HAFEN_ALLOW_PLAIN_HTTP=1  as --allow-plain-http\n  PGPASSWORD        the PostgreSQL password (or ~/.pgpass)');
  const early = parseArgs(program, argv);
  if (early !== undefined) return early;
  const opts = program.opts<{ data: string; listen: string; quiet?: boolean; secretKeyFile?: string; store?: string; advertise?: string; planTimeout?: number; maxFleetSize?: number; planMemory?: number; tlsCert?: string; tlsKey?: string; ca?: string; allowPlainHttp?: boolean }>();
  if ((opts.tlsCert === undefined) !== (opts.tlsKey === undefined)) {
    process.stderr.write('error: --tls-cert and --tls-key go together\n');
    return 2;
  }
  const plans: PlannerOptions = {
    ...(opts.planTimeout !== undefined ? { timeoutMs: opts.planTimeout * 1000 } : {}),
    ...(opts.maxFleetSize !== undefined ? { maxFleetBytes: opts.maxFleetSize * 1024 * 1024 } : {}),
    ...(opts.planMemory !== undefined ? { maxMemoryMb: opts.planMemory } : {}),
  };
  const storeUrl = opts.store ?? process.env.HAFEN_STORE;
  let allowPlainHttp: boolean;
  try {
    allowPlainHttp = plainHttpAllowed(opts.allowPlainHttp);
  } catch (err) {
    process.stderr.write(`error: ${(err as Error).message}\n`);
    return 1;
  }
  const advertise = opts.advertise ?? process.env.HAFEN_ADVERTISE;
  return serveUntilSignalled(async () => {
    const c = await startController({
      data: opts.data,
      ...(storeUrl ? { store: storeUrl } : {}),
      listen: opts.listen,
      ...(advertise ? { advertise } : {}),
      logger: !opts.quiet,
      plans,
      ...(opts.tlsCert !== undefined && opts.tlsKey !== undefined ? { tls: { cert: opts.tlsCert, key: opts.tlsKey } } : {}),
      ...(opts.ca !== undefined ? { ca: opts.ca } : {}),
      ...(allowPlainHttp ? { allowPlainHttp } : {}),
      ...(process.env.HAFEN_SECRET_KEY !== undefined ? { secretKey: process.env.HAFEN_SECRET_KEY } : {}),
      ...(opts.secretKeyFile !== undefined ? { secretKeyFile: opts.secretKeyFile } : {}),
      warn: (line) => process.stderr.write(`warning: ${line}\n`),
      info: (line) => process.stderr.write(`hafen controller: ${line}\n`),
      onFatal: (err) => {
        // A supervisor (systemd) starts it again; it then takes the store back or finds another controller on it.
        process.stderr.write(`error: ${err.message}\n`);
        process.exit(1);
      },
    });
    process.stderr.write(`hafen controller listening on ${c.url} (store ${c.storeName}, secret key ${c.secretKeyId}${c.leading ? '' : '; another controller leads, requests are passed on to it'})\n`);
    if (c.adminTokenFile) process.stderr.write(`admin token: ${c.adminTokenFile} (export HAFEN_TOKEN=$(cat ${c.adminTokenFile}))\n`);
    return { stop: () => c.close() };
  });
}
