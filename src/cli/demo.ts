/**
 * `hafen demo`: the three-site fleet (examples/three-sites.yaml) running on this machine, as
 * real processes: a controller with its SQLite store, an agent per host on its own loopback
 * address (process driver, probing from its site), and an edge proxy per site. Prints where
 * everything is and what to try; Ctrl-C stops everything it started and leaves nothing
 * running. A second start reuses the data directory (the same revision, hosts and tokens).
 *
 * The demo starts the same commands a real deployment runs (`hafen controller`, `hafen agent`,
 * `hafen proxy`) rather than importing them: the CLI never imports the processes. While it
 * runs, `demo.json` in its data directory tells `hafen demo fail|heal|load` where everything is.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createWriteStream, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { InvalidArgumentError, type Command } from 'commander';
import { HafenClient } from '../client/client.js';
import { parseHostPort } from '../lib/daemon.js';
import { isLoopbackHost } from '../lib/plain-http.js';
import { identify, processTree, signalAll, stillRunning } from '../lib/proc.js';
import { registerDemoCut } from './demo-cut.js';
import { DEMO_DATABASE, demoFleet, type DemoDriver } from './demo-fleet.js';
import { dockerEngine, ensureDemoImage } from './demo-image.js';
import { registerDemoLoad } from './demo-load.js';
import { clearDemo, frozenByCuts, readCuts, writeDemo, type DemoDatabaseHost, type DemoHost } from './demo-state.js';
import { EXIT, oneOf, type CliIo } from './io.js';
import { parsePrefix } from '../core/ipam/ipv4.js';
import { findPgBin, pgRunAs, unreachableFor } from '../lib/postgres.js';

const BIN = fileURLToPath(new URL('../../bin/hafen.js', import.meta.url));

/** The demo's sites, each with one host, in the order they take the loopback /24s of --addresses. */
const DEMO_SITES = [
  { host: 'nue-app-01', site: 'nue' },
  { host: 'vie-app-01', site: 'vie' },
  { host: 'hel-app-01', site: 'hel' },
] as const;

/** Where the demo runs by default: 127.0.11.x (nue), 127.0.12.x (vie), 127.0.13.x (hel). */
export const DEMO_ADDRESSES = '127.0.11.0/24';

/**
 * The demo's hosts on loopback from `--addresses` (the first of three consecutive /24s inside
 * 127.0.0.0/8): per site the host at .1 and its proxy at .10. Throws commander's
 * InvalidArgumentError (a usage error, exit 2) naming what is wrong when the value is not such a /24.
 */
export function demoHosts(addresses: string): { host: string; site: string; address: string; proxy: string; db: { host: string; address: string } }[] {
  const bad = (why: string) => new InvalidArgumentError(`--addresses ${addresses} ${why}; give the first of three /24s inside 127.0.0.0/8, like ${DEMO_ADDRESSES} (the default) or 127.0.21.0/24`);
  const p = parsePrefix(addresses);
  if (!p.ok) throw bad(p.reason);
  if (p.prefix.length !== 24) throw bad(`is a /${p.prefix.length}, not a /24`);
  const [a, b, c] = addresses.split('.').map(Number) as [number, number, number];
  if (a !== 127) throw bad('is not a loopback prefix (Linux answers on all of 127.0.0.0/8; traffic never leaves the machine)');
  if (c + DEMO_SITES.length - 1 > 255) throw bad(`leaves no room for ${DEMO_SITES.length} consecutive /24s`);
  return DEMO_SITES.map((s, i) => ({ ...s, address: `${a}.${b}.${c + i}.1`, proxy: `${a}.${b}.${c + i}.10`, db: { host: `${s.site}-db-01`, address: `${a}.${b}.${c + i}.2` } }));
}

/** Why the demo cannot run its PostgreSQL app here (undefined: it can): it needs root, Debian's PostgreSQL, and a data directory the postgres user can enter. */
function postgresMissing(data: string): string | undefined {
  if (process.getuid?.() !== 0) return 'not running as root (PostgreSQL runs as its own user)';
  if (!findPgBin()) return 'PostgreSQL is not installed (apt install postgresql)';
  try {
    const blocked = unreachableFor(join(data, 'x'), pgRunAs());
    return blocked ? `the postgres user cannot enter ${blocked} (chmod o+x it, or use another --data)` : undefined;
  } catch (err) {
    return (err as Error).message;
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Thrown while starting up when Ctrl-C asked the demo to stop. */
class Stopped extends Error {}

async function until<T>(what: string, fn: () => Promise<T | undefined>, ms: number, stopped: () => boolean): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    if (stopped()) throw new Stopped('stopped');
    const v = await fn().catch(() => undefined);
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(200);
  }
}

export function registerDemo(program: Command, io: CliIo, setExit: (code: number) => void): void {
  const demo = program
    .command('demo')
    // `demo load --data X`: the subcommand's own --data, not the demo's.
    .enablePositionalOptions()
    .description('Run a whole three-site fleet on this machine: controller, agents, probers and an edge proxy per site, as real processes. Ctrl-C stops everything. With a demo running: `demo load` sends traffic, `demo fail site:hel` cuts a site off, `demo heal site:hel` brings it back.')
    .option('--data <dir>', 'where the demo keeps its state and logs (reused by the next start)', '.hafen-demo')
    .option('--listen <host:port>', 'controller address', '127.0.0.1:7400')
    .option('--addresses <prefix>', 'the first of three consecutive loopback /24s, one per site (nue, vie, hel): the host at .1, its proxy at .10; another prefix (and --listen, --data) runs a second demo beside the first', (v: string) => (demoHosts(v), v), DEMO_ADDRESSES)
    .option('--driver <driver>', 'how the apps run: process (Node only) or compose (containers on a Docker engine, which must be reachable)', oneOf('--driver', ['process', 'compose'] as const), 'process' as DemoDriver)
    .action(async (opts: DemoOptions) => setExit(await runDemo(opts, io)));
  registerDemoLoad(demo, io, setExit);
  registerDemoCut(demo, io, setExit);
}

interface DemoOptions {
  data: string;
  listen: string;
  addresses: string;
  driver: DemoDriver;
}

async function runDemo(opts: DemoOptions, io: CliIo): Promise<number> {
  const driver = opts.driver;
  const hosts = demoHosts(opts.addresses);
  const data = resolve(opts.data);
  const { host, port } = parseHostPort(opts.listen, '--listen', '127.0.0.1:7400');
  if (!isLoopbackHost(host)) {
    io.stderr(`error: --listen ${opts.listen}: the demo's controller serves plain HTTP on this machine only; give a loopback address such as 127.0.0.1:7401\n`);
    return EXIT.invalid;
  }
  const url = `http://${host}:${port}`;
  const logs = join(data, 'logs');
  mkdirSync(logs, { recursive: true });
  const children: { name: string; child: ChildProcess }[] = [];
  const start = (name: string, args: string[], env: NodeJS.ProcessEnv = {}) => {
    const log = createWriteStream(join(logs, `${name}.log`), { flags: 'a' });
    const child = spawn(process.execPath, [BIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env } });
    child.stdout!.pipe(log);
    child.stderr!.pipe(log);
    children.push({ name, child });
    return child;
  };
  // Ctrl-C (or SIGTERM) once: stop everything in order, also while starting. Twice: say it is
  // still stopping. Three times: kill every process of the demo at once. No signal ever ends
  // the demo before its children, which would leave them running.
  /** Every process the demo started, and everything they started. */
  const everything = () => children.flatMap(({ child }) => (child.pid ? processTree(child.pid) : []));
  let signals = 0;
  let requestStop!: () => void;
  const stopRequested = new Promise<void>((r) => (requestStop = r));
  const onSignal = () => {
    signals++;
    if (signals === 1) requestStop();
    else if (signals === 2) io.stderr('still stopping the demo (the agents stop their apps first); Ctrl-C once more kills everything at once\n');
    else {
      signalAll(everything(), 'SIGKILL');
      clearDemo(data);
      process.exit(130);
    }
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  const stopped = () => signals > 0;
  const stopAll = async () => {
    // A site cut off by `demo fail` is frozen: let it go on so it can stop. Its apps are found
    // from what the cut recorded too: an agent that died meanwhile no longer leads to them.
    const frozen = stillRunning(frozenByCuts(readCuts(data)));
    const all = identify(signalAll([...new Set([...everything(), ...frozen])], 'SIGCONT'));
    // Proxies, then agents (they stop their units), then the controller.
    for (const { child } of [...children].reverse()) {
      if (child.exitCode !== null || child.signalCode !== null) continue;
      child.kill('SIGTERM');
      const exited = new Promise((r) => child.once('exit', r));
      const killer = setTimeout(() => child.kill('SIGKILL'), 15_000);
      await exited;
      clearTimeout(killer);
    }
    // An agent killed before it stopped its apps leaves them running: they go too.
    signalAll(stillRunning(all), 'SIGKILL');
  };
  let stopping = false;
  const early = (name: string) => (code: number | null) => {
    if (!stopping) io.stderr(`error: ${name} exited (${code}) while the demo runs; see ${join(logs, `${name}.log`)}\n`);
  };
  try {
    // Whatever an earlier run recorded is gone with it.
    clearDemo(data);
    let image: string | undefined;
    if (driver === 'compose') {
      const why = await dockerEngine('docker');
      if (why) throw new Error(`--driver compose needs a reachable Docker engine: ${why}; start Docker, or run the demo without --driver compose`);
      image = await ensureDemoImage('docker', (line) => io.stdout(`${line}\n`));
    }
    io.stdout(`starting the demo fleet in ${data} with the ${driver} driver (logs in ${logs})\n`);
    start('controller', ['controller', '--data', join(data, 'controller'), '--listen', `${host}:${port}`]).once('exit', early('controller'));
    // Answering is not leading yet: the admin token is written when it takes the lead.
    const tokenFile = join(data, 'controller', 'admin.token');
    await until('the controller', async () => ((await fetch(`${url}/healthz`)).ok && existsSync(tokenFile) ? true : undefined), 20_000, stopped);
    const admin = new HafenClient(url, readFileSync(tokenFile, 'utf8').trim());
    // The fleet for this driver (with backups when restic is installed): applied on the first
    // start, and again when the driver or the backups changed.
    const backups = spawnSync('restic', ['version'], { stdio: 'ignore' }).status === 0;
    const noDatabase = driver === 'compose' ? 'the compose demo image has no PostgreSQL client' : postgresMissing(data);
    const database = noDatabase === undefined;
    const flavour = `${driver}${backups ? '+backups' : ''}${database ? '+postgres' : ''}`;
    // The database's password, made once: a secret the controller keeps.
    if (database && !(await admin.secrets()).secrets.some((x) => x.name === DEMO_DATABASE.secret)) await admin.setSecret(DEMO_DATABASE.secret, randomBytes(18).toString('base64url'));
    const driverFile = join(data, 'driver');
    const before = existsSync(driverFile) ? readFileSync(driverFile, 'utf8').trim() : 'process';
    const { revision } = await admin.status();
    if (revision === null || before !== flavour) {
      const text = demoFleet(driver, image, backups ? join(data, 'backups') : undefined, database ? hosts.map((h) => ({ ...h.db, site: h.site })) : undefined);
      await admin.apply([{ name: 'three-sites.yaml', text }], revision, revision === null ? 'the demo fleet' : `the demo fleet for the ${driver} driver${backups ? ', with backups' : ''}${database ? ', with PostgreSQL' : ''}`);
      writeFileSync(driverFile, `${flavour}\n`);
    }
    if (!backups) io.stdout('restic is not installed: the demo runs without backups (apt install restic, and start it again)\n');
    if (noDatabase) io.stdout(`${noDatabase}: the demo runs without its PostgreSQL app and the counter that uses it\n`);
    const agents = new Map<string, ChildProcess>();
    for (const h of hosts) {
      const dir = join(data, h.host);
      const joined = existsSync(join(dir, 'credential.json'));
      const env = joined ? {} : { HAFEN_JOIN_TOKEN: (await admin.joinToken(h.host)).token };
      agents.set(h.host, start(`agent-${h.host}`, ['agent', '--controller', url, '--data', dir, '--address', h.address, '--driver', driver, '--probe', '--stop-units-on-exit'], env).once('exit', early(`agent-${h.host}`)));
    }
    const databases: DemoDatabaseHost[] = [];
    for (const h of database ? hosts : []) {
      const dir = join(data, h.db.host);
      const joined = existsSync(join(dir, 'credential.json'));
      const env = joined ? {} : { HAFEN_JOIN_TOKEN: (await admin.joinToken(h.db.host)).token };
      const agent = start(`agent-${h.db.host}`, ['agent', '--controller', url, '--data', dir, '--address', h.db.address, '--driver', 'postgres', '--stop-units-on-exit'], env).once('exit', early(`agent-${h.db.host}`));
      databases.push({ host: h.db.host, site: h.site, address: h.db.address, agentPid: agent.pid!, data: dir });
    }
    const running: DemoHost[] = [];
    for (const h of hosts) {
      // The proxy runs with its host's credential, redeemed by the agent.
      await until(`the credential of ${h.host}`, async () => (existsSync(join(data, h.host, 'credential.json')) ? true : undefined), 20_000, stopped);
      const proxy = start(`proxy-${h.site}`, ['proxy', '--controller', url, '--data', join(data, h.host), '--listen', `${h.proxy}:8080`, '--admin', `${h.proxy}:9100`, '--quiet']).once('exit', early(`proxy-${h.site}`));
      running.push({ host: h.host, site: h.site, address: h.address, agentPid: agents.get(h.host)!.pid!, proxy: { url: `http://${h.proxy}:8080`, admin: `http://${h.proxy}:9100`, pid: proxy.pid! } });
    }
    await writeDemo(data, { pid: process.pid, controller: url, startedAt: new Date().toISOString(), hosts: running, ...(databases.length ? { databases } : {}) });
    await until('every replica running', async () => {
      const st = await admin.status();
      return st.apps.length > 0 && st.apps.every((a) => a.running === a.desired) && st.proxies.length === hosts.length ? true : undefined;
    }, 90_000, stopped);
    const token = join(data, 'controller', 'admin.token');
    const dataFlag = resolve(opts.data) === resolve('.hafen-demo') ? '' : ` --data ${opts.data}`;
    io.stdout(
      [
        '',
        `hafen demo: 3 sites (nue, vie, hel), ${3 + databases.length} hosts, 3 customers, ${database ? 5 : 3} apps`,
        `  controller  ${url}   (admin token: ${token})`,
        `  dashboard   ${url}/ui/   (log in with the admin token)`,
        ...hosts.map((h) => `  proxy ${h.site}   http://${h.proxy}:8080   metrics http://${h.proxy}:9100/metrics`),
        '',
        'try:',
        `  curl -H 'Host: portal.stadtwerke.example' http://${hosts[0]!.proxy}:8080/`,
        `  export HAFEN_CONTROLLER=${url} HAFEN_TOKEN=$(cat ${token})`,
        '  node bin/hafen.js status          # what runs where',
        '  node bin/hafen.js checks          # every check, as each site sees it',
        '  node bin/hafen.js alerts; node bin/hafen.js traffic; node bin/hafen.js uptime',
        `  node bin/hafen.js demo load${dataFlag}                # steady traffic through every proxy, failures counted`,
        `  node bin/hafen.js demo fail site:hel${dataFlag}       # cut Helsinki off; watch status, checks and alerts`,
        `  node bin/hafen.js demo heal site:hel${dataFlag}       # and bring it back`,
        ...(database
          ? [
              `  curl -X POST -H 'Host: ${DEMO_DATABASE.domain}' http://${hosts[0]!.proxy}:8080/count   # the meter counter, kept in PostgreSQL with a synchronous standby`,
              `  node bin/hafen.js demo fail site:SITE${dataFlag}      # SITE: where ${DEMO_DATABASE.app} writes (hafen status); demo load shows the count never goes back`,
            ]
          : []),
        ...(backups
          ? [
              '  node bin/hafen.js backup list      # every app backed up every 2 min to another site (restic)',
              '  node bin/hafen.js backup drill huber-shop; node bin/hafen.js backup plan',
            ]
          : []),
        '',
        'Ctrl-C stops everything.',
        'ready',
        '',
      ].join('\n'),
    );
    await stopRequested;
    stopping = true;
    io.stdout('stopping the demo fleet...\n');
    await stopAll();
    clearDemo(data);
    io.stdout('stopped; nothing of the demo runs any more\n');
    return EXIT.ok;
  } catch (err) {
    stopping = true;
    if (err instanceof Stopped) io.stdout('stopping the demo fleet before it was ready...\n');
    else io.stderr(`error: ${(err as Error).message} (logs in ${logs})\n`);
    await stopAll();
    clearDemo(data);
    if (err instanceof Stopped) io.stdout('stopped; nothing of the demo runs any more\n');
    return err instanceof Stopped ? EXIT.ok : EXIT.invalid;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}
