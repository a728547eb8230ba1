/**
 * Three sites on loopback with a PostgreSQL standby app, for the PostgreSQL failover system test:
 * a controller, per site one database host (runtime postgres) whose agent runs Debian's
 * PostgreSQL through the postgres driver, and a prober; the app `ledger-db` (critical, so its
 * writer commits synchronously) has two replicas, at vie and hel, and nue watches as the third
 * site. A site is cut off with nftables rules in a table of the caller's own (packets between its
 * address and the others dropped) and its agent stopped, as a partition does; healed by the
 * reverse. Clients connect from a given address (`from`), as a client at that site would.
 */
import { chmodSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import type { Agent } from '../../src/agent/agent.js';
import { findPgBin } from '../../src/lib/postgres.js';
import { PostgresDriver } from '../../src/agent/drivers/postgres.js';
import { startAgent } from '../../src/agent/main.js';
import { startProber } from '../../src/agent/prober/main.js';
import { HafenClient } from '../../src/client/client.js';
import type { StandbyAppView } from '../../src/core/standby/view.js';
import { startController } from '../../src/controller/main.js';
import { loopbackNet } from './loopback.js';
import { cutOff, healCuts } from './partition.js';
import { EXAMPLES } from './paths.js';
import { works } from './system.js';
import { FAST_MONITORING } from './three-sites.js';

export const PG_APP = 'ledger-db';
export const PG_HOSTS = ['nue-db-01', 'vie-db-01', 'hel-db-01'] as const;
export const PG_SITE: Record<string, string> = { 'nue-db-01': 'nue', 'vie-db-01': 'vie', 'hel-db-01': 'hel' };
export const PG_PORT = 5432;
/** Test data only: the password of the app's cluster (a secret in the controller). */
export const PG_PASSWORD = 'ledger-test-password';

/** Why this machine cannot run them (no root, PostgreSQL or nft); undefined when it can. */
export function postgresSitesMissing(): string | undefined {
  if (process.getuid?.() !== 0) return 'needs root (nftables, PostgreSQL as its own user)';
  if (!findPgBin()) return "needs Debian's PostgreSQL";
  return works('nft', ['--version']) ? undefined : 'needs nft';
}

export interface PostgresSites {
  controller: Awaited<ReturnType<typeof startController>>;
  admin: HafenClient;
  address: Record<string, string>;
  logs: string[];
  view(): Promise<StandbyAppView>;
  /** One statement on the replica at `host`'s address, from `from`'s address (a client at that site), as the app's user. */
  query(host: string, sql: string, params?: unknown[], o?: { from?: string; timeoutMs?: number; user?: 'ledger' | 'hafen' }): Promise<pg.QueryResult>;
  cut(host: string): Promise<void>;
  heal(host: string): Promise<void>;
  stop(): Promise<void>;
}

/** A socket that connects from a given local address (pg connects it with (port, host)). */
function socketFrom(localAddress: string): () => net.Socket {
  return () => {
    const s = new net.Socket();
    const connect = s.connect.bind(s) as (...a: unknown[]) => net.Socket;
    (s as unknown as { connect: (...a: unknown[]) => net.Socket }).connect = (port: unknown, host: unknown) => connect({ port, host, localAddress });
    return s;
  };
}

/** `liveMoves`: the app moves live (switchover moves), may run on any of the three database hosts, and stadtwerke is told of live moves rather than asked. */
export async function startPostgresSites(o: { table: string; liveMoves?: boolean }): Promise<PostgresSites> {
  const netBlock = loopbackNet();
  const address: Record<string, string> = Object.fromEntries(PG_HOSTS.map((h, i) => [h, `${netBlock}.${i + 1}`]));
  const dir = mkdtempSync(join(tmpdir(), 'hafen-pg-sites-'));
  // PostgreSQL runs as its own user: it must reach the agents' state directories.
  chmodSync(dir, 0o711);
  const data = (host: string) => join(dir, host);
  const logs: string[] = [];
  const agents: Record<string, Agent> = {};
  const stops: (() => Promise<void> | void)[] = [];
  const controller = await startController({ data: join(dir, 'controller'), listen: '127.0.0.1:0' });
  const admin = new HafenClient(controller.url, readFileSync(controller.adminTokenFile!, 'utf8').trim());
  const agentOn = async (host: string, joinToken?: string) =>
    (await startAgent({ controller: controller.url, data: data(host), ...(joinToken ? { joinToken } : {}), driver: 'postgres', address: address[host]!, log: (line) => logs.push(`${host}: ${line}`) })).agent;
  const stop = async () => {
    healCuts(o.table);
    for (const host of PG_HOSTS) {
      await agents[host]?.stop();
      await PostgresDriver.open({ stateDir: join(data(host), 'state') }).stopAll();
    }
    for (const s of stops.reverse()) await s();
    await controller.close();
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    await admin.setSecret(PG_APP, PG_PASSWORD);
    await admin.apply([{ name: 'pg-sites.yaml', text: o.liveMoves ? withLiveMoves(fleet()) : fleet() }], null, 'three sites with a PostgreSQL standby app');
    for (const host of PG_HOSTS) {
      agents[host] = await agentOn(host, (await admin.joinToken(host)).token);
      const { follower } = await startProber({ controller: controller.url, data: data(host), source: address[host]! });
      stops.push(() => follower.stop());
    }
  } catch (err) {
    await stop().catch(() => {});
    throw err;
  }
  return {
    controller,
    admin,
    address,
    logs,
    view: async () => (await admin.standbys()).standbys.find((v) => v.app === PG_APP)!,
    query: async (host, sql, params = [], q = {}) => {
      const user = q.user ?? 'ledger';
      const c = new pg.Client({ host: address[host], port: PG_PORT, user, password: PG_PASSWORD, database: user === 'ledger' ? 'ledger' : 'postgres', connectionTimeoutMillis: 2000, query_timeout: q.timeoutMs ?? 5000, ...(q.from ? { stream: socketFrom(address[q.from]!) } : {}) });
      c.on('error', () => {});
      await c.connect();
      try {
        return await c.query(sql, params);
      } finally {
        await c.end().catch(() => {});
      }
    },
    cut: async (host) => {
      await agents[host]!.stop();
      cutOff(o.table, address[host]!);
    },
    heal: async (host) => {
      healCuts(o.table);
      agents[host] = await agentOn(host);
    },
    stop,
  };
}

/** The app moving live (switchover moves) on any of the three hosts; stadtwerke told, not asked. */
function withLiveMoves(text: string): string {
  return text
    .replace('  - id: stadtwerke\n', '  - id: stadtwerke\n    liveMoves: announce\n')
    .replace(`  - id: ${PG_APP}\n    customer: stadtwerke\n`, `  - id: ${PG_APP}\n    customer: stadtwerke\n    migration: live\n`)
    .replace('    placement: { hosts: [vie-db-01, hel-db-01] }\n', '    placement: { hosts: [vie-db-01, hel-db-01, nue-db-01] }\n')
    .replace('policies:\n  maxCustomerShare: 1\n', 'policies:\n  maxCustomerShare: 1\n  migrations: { live: { weights: [100], step: 1s, startTimeout: 90s, drain: 1s } }\n');
}

/** The three-site example's topology with a database host per site and the one PostgreSQL app. */
function fleet(): string {
  const example = readFileSync(join(EXAMPLES, 'three-sites.yaml'), 'utf8');
  const head = example.slice(0, example.search(/^hosts:/m));
  const customers = example.slice(example.search(/^customers:/m), example.search(/^apps:/m));
  return `${head}hosts:
${PG_HOSTS.map((h) => `  - { id: ${h}, site: ${PG_SITE[h]}, runtime: postgres, cpu: 8, memory: 32GiB, disk: 500GiB }`).join('\n')}

${customers}apps:
  - id: ${PG_APP}
    customer: stadtwerke
    criticality: critical
    workload:
      postgres: { password: { secret: ${PG_APP} }, database: ledger, user: ledger }
    port: ${PG_PORT}
    redundancy: { replicas: 2, spreadOver: site, mode: standby }
    placement: { hosts: [vie-db-01, hel-db-01] }
    resources: { cpu: 1, memory: 1GiB }
${FAST_MONITORING}
policies:
  maxCustomerShare: 1
`;
}
