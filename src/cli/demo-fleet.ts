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

export function demoFleet(driver: DemoDriver, image?: string, backupsDir?: string): string {
  const text = readFileSync(FLEET, 'utf8');
  if (driver === 'process' && !backupsDir) return text;
  const fleet = parse(text) as Parameters<typeof withBackups>[0] & { hosts: { runtime: string }[]; apps: YamlApp[] };
  if (backupsDir) withBackups(fleet, backupsDir);
  if (driver === 'process') return `# examples/three-sites.yaml with backups to ${backupsDir} (hafen demo, restic installed)\n${stringify(fleet)}`;
  for (const h of fleet.hosts) h.runtime = 'compose';
  for (const a of fleet.apps) {
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
