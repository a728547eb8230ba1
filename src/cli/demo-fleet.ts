/**
 * The demo fleet (examples/three-sites.yaml) for a driver: as written for the process
 * driver; for compose, the same hosts and apps with each app as a compose service of the
 * demo image, publishing its port (on the host's address, which the agent fills in) and
 * keeping its data in a volume.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parse, stringify } from 'yaml';

const FLEET = fileURLToPath(new URL('../../examples/three-sites.yaml', import.meta.url));

export type DemoDriver = 'process' | 'compose';

interface YamlApp {
  port?: number;
  workload: { process?: { command: string[]; env?: Record<string, string> } };
  volumes?: unknown[];
}

export function demoFleet(driver: DemoDriver, image?: string): string {
  const text = readFileSync(FLEET, 'utf8');
  if (driver === 'process') return text;
  const fleet = parse(text) as { hosts: { runtime: string }[]; apps: YamlApp[] };
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
  }
  return `# examples/three-sites.yaml for the compose driver (hafen demo --driver compose)\n${stringify(fleet)}`;
}
