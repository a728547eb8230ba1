/**
 * The demo fleet (examples/three-sites.yaml) for a driver: as written for the process
 * driver; for compose, the same hosts and apps with each app as a compose service of the
 * demo image, publishing its port (on the host's address, which the agent fills in) and
 * keeping its data in a volume. With restic installed, every app is backed up (withBackups).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse, stringify } from 'yaml';

const FLEET = fileURLToPath(new URL('../../examples/three-sites.yaml', import.meta.url));

export type DemoDriver = 'process' | 'compose';

interface YamlApp {
  port?: number;
  workload: { process?: { command: string[]; env?: Record<string, string> } };
  volumes?: unknown[];
}

/**
 * Backups in the demo (when restic is installed): a repository directory per site under
 * `dir`, every app backed up every 2 minutes to another site than its first replica's, the
 * critical portal with a copy at a third site.
 */
const DEMO_BACKUPS: Record<string, Record<string, unknown>> = {
  'stadtwerke-portal': { to: 'vie', copyTo: 'nue' },
  'huber-shop': { to: 'hel' },
  'verlag-blog': { to: 'nue' },
};

function withBackups(fleet: { sites: { id: string; backupRepository?: unknown }[]; apps: (YamlApp & { id: string; backup?: unknown })[] }, dir: string): void {
  for (const s of fleet.sites) s.backupRepository = { url: join(dir, s.id) };
  for (const a of fleet.apps) {
    const b = DEMO_BACKUPS[a.id];
    if (b) a.backup = { ...b, schedule: '*/2 * * * *', keep: { last: 5, hourly: 24, daily: 7, weekly: 4 } };
  }
}

/** The demo's PostgreSQL app (when PostgreSQL is installed), its secret, and the counter app that keeps its count there. */
export const DEMO_DATABASE = { app: 'stadtwerke-db', secret: 'stadtwerke-db', counter: 'stadtwerke-zaehler', domain: 'zaehler.stadtwerke.example', port: 5432 } as const;

/**
 * A database host per site (runtime postgres, its agent with --driver postgres), a critical
 * PostgreSQL app with a synchronous standby at another site, and the meter counter
 * (examples/apps/counter.mjs), a critical web app at every site that keeps its count there.
 */
function withDatabase(fleet: { hosts: Record<string, unknown>[]; apps: Record<string, unknown>[] }, dbHosts: readonly { host: string; site: string; address: string }[]): void {
  for (const h of dbHosts) fleet.hosts.push({ id: h.host, site: h.site, runtime: 'postgres', cpu: 4, memory: '16GiB', disk: '200GiB' });
  fleet.apps.push(
    {
      id: DEMO_DATABASE.app,
      customer: 'stadtwerke',
      criticality: 'critical',
      redundancy: { replicas: 2, spreadOver: 'site', mode: 'standby' },
      workload: { postgres: { password: { secret: DEMO_DATABASE.secret }, database: 'zaehler', user: 'zaehler' } },
      port: DEMO_DATABASE.port,
      resources: { cpu: 1, memory: '2GiB' },
    },
    {
      id: DEMO_DATABASE.counter,
      customer: 'stadtwerke',
      criticality: 'critical',
      redundancy: { replicas: 3, spreadOver: 'site', sharedState: `the PostgreSQL app ${DEMO_DATABASE.app}` },
      workload: { process: { command: ['node', 'examples/apps/counter.mjs'], env: { PORT: '8095', PG_HOSTS: dbHosts.map((h) => h.address).join(','), PG_PORT: String(DEMO_DATABASE.port), PGUSER: 'zaehler', PGDATABASE: 'zaehler', PGPASSWORD: { secret: DEMO_DATABASE.secret } } } },
      domains: [DEMO_DATABASE.domain],
      port: 8095,
      health: { path: '/healthz' },
      resources: { cpu: 0.5, memory: '256MiB' },
    },
  );
}

export function demoFleet(driver: DemoDriver, image?: string, backupsDir?: string, dbHosts?: readonly { host: string; site: string; address: string }[]): string {
  const text = readFileSync(FLEET, 'utf8');
  if (driver === 'process' && !backupsDir && !dbHosts) return text;
  const fleet = parse(text) as Parameters<typeof withBackups>[0] & { hosts: { runtime: string }[]; apps: YamlApp[] };
  if (backupsDir) withBackups(fleet, backupsDir);
  if (dbHosts) withDatabase(fleet as unknown as Parameters<typeof withDatabase>[0], dbHosts);
  const extras = [backupsDir && `backups to ${backupsDir} (restic installed)`, dbHosts && 'a PostgreSQL app with a standby and the counter that uses it (PostgreSQL installed)'].filter(Boolean).join(', ');
  if (driver === 'process') return `# examples/three-sites.yaml with ${extras} (hafen demo)\n${stringify(fleet)}`;
  for (const h of fleet.hosts) if (h.runtime === 'process') h.runtime = 'compose';
  for (const a of fleet.apps) {
    if (!a.workload.process) continue;
    const port = a.port ?? 8080;
    a.workload = {
      compose: {
        services: {
          web: { image, environment: { ...a.workload.process?.env, PORT: String(port), HAFEN_ADDRESS: '0.0.0.0', HAFEN_DATA_DIR: '/data' }, ports: [`${port}:${port}`], volumes: ['data:/data'], init: true },
        },
      },
    } as YamlApp['workload'];
    a.volumes = [{ name: 'data', size: '1GiB', path: '/data' }];
    // The demo app's data is its own request counter, per replica: no state the replicas share.
    const redundancy = (a as { redundancy?: { replicas?: number; sharedState?: string } }).redundancy;
    if (redundancy && (redundancy.replicas ?? 1) > 1) redundancy.sharedState = 'none that matters: each replica counts its own requests';
  }
  return `# examples/three-sites.yaml for the compose driver (hafen demo --driver compose)\n${stringify(fleet)}`;
}
