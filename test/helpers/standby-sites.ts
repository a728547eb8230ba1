/**
 * The three-site fleet on loopback with a standby app, for the standby system test and the
 * failover benchmark: a controller, per host an agent (process driver, --move-authorized-keys),
 * a prober and a real sshd, the edge proxy at its own address; the app is a notes app that
 * fsyncs each answered write, two replicas at vie and hel, copying at `replicateEvery`. A site
 * is cut off with nftables rules in a table of the caller's own (packets between its address
 * and the others dropped) and its agent stopped, as a partition does; healed by the reverse.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import type { Agent } from '../../src/agent/agent.js';
import { ProcessDriver } from '../../src/agent/drivers/process.js';
import { startAgent } from '../../src/agent/main.js';
import { startProber } from '../../src/agent/prober/main.js';
import { HafenClient } from '../../src/client/client.js';
import type { StandbyAppView } from '../../src/core/standby/view.js';
import { startController } from '../../src/controller/main.js';
import { startProxy } from '../../src/proxy/main.js';
import { getWithHost } from './http.js';
import { loopbackNet } from './loopback.js';
import { cutOff, healCuts } from './partition.js';
import { EXAMPLES, FIXTURES } from './paths.js';
import { sshMovesMissing, startLoopbackSshd } from './sshd.js';
import { works } from './system.js';
import { until } from './wait.js';
import { FAST_MONITORING } from './three-sites.js';

export const APP = 'huber-notes';
export const DOMAIN = 'notes.huber.example';
export const HOSTS = ['nue-app-01', 'vie-app-01', 'hel-app-01'] as const;
/** The witness site's prober host (with `witness: true`). */
export const WITNESS = 'wit-probe-01';
export const SITE: Record<string, string> = { 'nue-app-01': 'nue', 'vie-app-01': 'vie', 'hel-app-01': 'hel', [WITNESS]: 'wit' };
const SSH_PORT = 2222;
const NOTES_PORT = 8091;

/** Why this machine cannot run them (no root, sshd, ssh, rsync or nft); undefined when it can. */
export const standbySitesMissing = (): string | undefined => sshMovesMissing() ?? (works('nft', ['--version']) ? undefined : 'needs nft');

export interface StandbySites {
  controller: Awaited<ReturnType<typeof startController>>;
  admin: HafenClient;
  address: Record<string, string>;
  proxyUrl: string;
  /** What the agents logged (for failure messages). */
  logs: string[];
  /** The app's standby view (term, writer, copies). */
  view(): Promise<StandbyAppView>;
  /** The view once the writer runs and its standby holds a copy (fails after 60 s, with what the agents said). */
  ready(): Promise<StandbyAppView>;
  /** A write through the edge proxy. */
  write(note: string): Promise<{ status: number; body: string; headers: http.IncomingHttpHeaders }>;
  /** The notes as the proxy's writer answers them, and which address answered. */
  notes(): Promise<{ lines: string[]; by: string | undefined }>;
  /** A write straight to the replica on `host`, from its own address (a client at its site); the status, 0 when none came. */
  writeAt(host: string, note: string): Promise<number>;
  /** The notes file of a unit on a host, as it is on disk. */
  notesFile(host: string, unit: string): string[];
  /** Cuts a host off: its agent and prober stopped (its units keep running), its address's packets to and from the others dropped. */
  cut(host: string): Promise<void>;
  /** Heals every cut and starts the host's agent and prober again on its state. */
  heal(host: string): Promise<void>;
  /** A client holding the proxy's host credential (reads the route table). */
  asProxy(): HafenClient;
  stop(): Promise<void>;
}

/**
 * `witness`: a fourth vantage point, the witness site `wit` at a third provider (its host runs an
 * agent with no units and a prober, as `hafen agent --probe` does), so that cutting two sites
 * (provider-b's loss: hel, and nue in its facility) still leaves two to declare them lost.
 */
/**
 * `liveMoves`: the app moves live (by switchovers: core/move/switchover.ts), may run on any of the
 * three hosts (two placed), and huber is told of live moves rather than asked.
 */
export async function startStandbySites(o: { table: string; replicateEvery: string; rpo: string; witness?: boolean; liveMoves?: boolean }): Promise<StandbySites> {
  const net = loopbackNet();
  const hosts: string[] = [...HOSTS, ...(o.witness ? [WITNESS] : [])];
  const address: Record<string, string> = Object.fromEntries(hosts.map((h, i) => [h, `${net}.${i + 1}`]));
  const dir = mkdtempSync(join(tmpdir(), 'hafen-standby-'));
  const data = (host: string) => join(dir, host);
  const logs: string[] = [];
  const agents: Record<string, Agent> = {};
  const probers: Record<string, { stop(): Promise<void> | void }> = {};
  const stops: (() => Promise<void> | void)[] = [];
  const controller = await startController({ data: join(dir, 'controller'), listen: '127.0.0.1:0' });
  const admin = new HafenClient(controller.url, readFileSync(controller.adminTokenFile!, 'utf8').trim());
  const agentOn = async (host: string, joinToken?: string) =>
    (await startAgent({ controller: controller.url, data: data(host), ...(joinToken ? { joinToken } : {}), driver: 'process', address: address[host]!, moveAuthorizedKeys: join(data(host), 'move_keys'), log: (line) => logs.push(`${host}: ${line}`) })).agent;
  const proberOn = async (host: string) => {
    probers[host] = (await startProber({ controller: controller.url, data: data(host), source: address[host]! })).follower;
  };
  let proxy: Awaited<ReturnType<typeof startProxy>> | undefined;
  const stop = async () => {
    healCuts(o.table);
    await proxy?.stop();
    for (const p of Object.values(probers)) await p.stop();
    for (const host of hosts) {
      await agents[host]?.stop();
      await ProcessDriver.open({ stateDir: join(data(host), 'state') }).stopAll();
    }
    for (const s of stops.reverse()) await s();
    await controller.close();
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    for (const host of HOSTS) {
      const sshd = await startLoopbackSshd(address[host]!, SSH_PORT, join(dir, `sshd-${host}`), join(data(host), 'move_keys'));
      stops.push(() => sshd.stop());
    }
    const base = fleet(o.replicateEvery, o.rpo);
    const text = o.liveMoves ? withLiveMoves(base) : base;
    await admin.apply([{ name: 'three-sites.yaml', text: o.witness ? withWitness(text, address[WITNESS]!) : text }], null, 'the fleet with a standby app');
    for (const host of hosts) {
      agents[host] = await agentOn(host, (await admin.joinToken(host)).token);
      await proberOn(host);
    }
    proxy = await startProxy({ controller: controller.url, data: data('nue-app-01'), listen: `${net}.10:0`, logStream: new Writable({ write: (_c, _e, cb) => cb() }) });
  } catch (err) {
    await stop().catch(() => {});
    throw err;
  }
  const proxyUrl = proxy.url;
  const view = async () => (await admin.standbys()).standbys.find((v) => v.app === APP)!;
  return {
    controller,
    admin,
    address,
    proxyUrl,
    logs,
    view,
    ready: () =>
      until('the standby copied the writer', async () => {
        const v = await view();
        return v.active && v.standbys[0]?.copiedAt ? v : undefined;
      }, 60_000, 200).catch((err: Error) => {
        throw new Error(`${err.message}\nagents said:\n${logs.slice(-20).join('\n')}`);
      }),
    write: (note) => getWithHost(proxyUrl, DOMAIN, '/notes', {}, { method: 'POST', body: note }),
    notes: async () => {
      const r = await getWithHost(proxyUrl, DOMAIN, '/notes');
      return { lines: r.status === 200 ? r.body.split('\n').filter(Boolean) : [], by: r.headers['x-written-by'] as string | undefined };
    },
    writeAt: (host, note) => writeAt(address[host]!, note),
    notesFile: (host, unit) => {
      try {
        return readFileSync(join(data(host), 'state', 'data', unit, 'notes.log'), 'utf8').split('\n').filter(Boolean);
      } catch {
        return [];
      }
    },
    cut: async (host) => {
      await agents[host]!.stop();
      // Its prober reaches no controller either (on loopback it still would: stopped instead).
      await probers[host]?.stop();
      delete probers[host];
      cutOff(o.table, address[host]!);
    },
    heal: async (host) => {
      healCuts(o.table);
      agents[host] = await agentOn(host);
      await proberOn(host);
    },
    asProxy: () => new HafenClient(controller.url, (JSON.parse(readFileSync(join(data('nue-app-01'), 'credential.json'), 'utf8')) as { credential: string }).credential),
    stop,
  };
}

function fleet(replicateEvery: string, rpo: string): string {
  return readFileSync(join(EXAMPLES, 'three-sites.yaml'), 'utf8')
    .replace(/^defaults:\n(?:[ #].*\n)+/m, '')
    .concat(`
  - id: ${APP}
    customer: huber
    criticality: critical
    workload:
      process:
        command: [node, ${join(FIXTURES, 'apps', 'notes.mjs')}]
        env: { PORT: "${NOTES_PORT}" }
    domains: [${DOMAIN}]
    port: ${NOTES_PORT}
    health: { path: /healthz }
    volumes: [{ name: data, size: 10MB }]
    redundancy: { replicas: 2, spreadOver: site, mode: standby, replicateEvery: ${replicateEvery}, rpo: ${rpo} }
    placement: { hosts: [hel-app-01, vie-app-01] }
    resources: { cpu: 0.5, memory: 256MiB }
`)
    .concat(FAST_MONITORING)
    .concat(`\npolicies:\n  maxCustomerShare: 0.7\n  migrations: { cutover: { user: root, port: ${SSH_PORT} } }\n`);
}

/** The standby app moving live (switchovers), free to run on any of the three hosts; huber told of live moves, not asked. */
function withLiveMoves(text: string): string {
  return text
    .replace('  - id: huber\n', '  - id: huber\n    liveMoves: announce\n')
    .replace(`  - id: ${APP}\n    customer: huber\n`, `  - id: ${APP}\n    customer: huber\n    migration: live\n`)
    .replace('    placement: { hosts: [hel-app-01, vie-app-01] }\n', '    placement: { hosts: [hel-app-01, vie-app-01, nue-app-01] }\n')
    .replace('  migrations: { cutover:', '  migrations: { live: { weights: [100], step: 1s, startTimeout: 60s, drain: 1s }, cutover:');
}

/** The fleet with the witness site `wit` at provider-c: one management host at `address`, its prober only. */
function withWitness(text: string, address: string): string {
  return text
    .replace('  - { id: provider-b, name: Provider B }\n', '  - { id: provider-b, name: Provider B }\n  - { id: provider-c, name: Provider C }\n')
    .replace('  - { id: hel-1, operator: provider-b, country: FI, city: Helsinki }\n', '  - { id: hel-1, operator: provider-b, country: FI, city: Helsinki }\n  - { id: lux-1, operator: provider-c, country: LU, city: Luxembourg }\n')
    .replace('\nsiteTemplate:', '  - { id: wit, name: Witness, provider: provider-c, facility: lux-1, country: LU, witness: true }\n\nsiteTemplate:')
    .replace('hosts:\n', `hosts:\n  - { id: ${WITNESS}, site: wit, role: management, cpu: 1, memory: 1GiB, disk: 10GiB, address: ${address} }\n`);
}

function writeAt(address: string, note: string): Promise<number> {
  return new Promise((resolve) => {
    const req = http.request({ host: address, port: NOTES_PORT, path: '/notes', method: 'POST', localAddress: address, agent: false, timeout: 3000 }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', () => resolve(0));
    req.end(note);
  });
}
