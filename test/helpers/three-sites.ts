/**
 * The three-site fleet (examples/three-sites.yaml) running on this machine: a controller, an
 * agent per host (process driver, each host on its own loopback address), a prober at every
 * site with its host's credential and address, and optionally an edge proxy at nue. Probes
 * run every second (the fleet's monitoring defaults are shortened for tests).
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { ProcessDriver } from '../../src/agent/drivers/process.js';
import { startAgent } from '../../src/agent/main.js';
import type { Agent } from '../../src/agent/agent.js';
import { startProber } from '../../src/agent/prober/main.js';
import { HafenClient } from '../../src/client/client.js';
import { startController } from '../../src/controller/main.js';
import { startProxy } from '../../src/proxy/main.js';
import { loopbackNet } from './loopback.js';
import { EXAMPLES } from './paths.js';

export const SITES = ['nue', 'vie', 'hel'] as const;

export interface ThreeSites {
  dir: string;
  url: string;
  admin: HafenClient;
  adminToken: string;
  /** Address of each host (and of its prober). */
  address: Record<string, string>;
  /** The agent's data directory of each host. */
  data: Record<string, string>;
  proxyUrl?: string;
  /** Each host's agent (stop one to take it away; its units keep running). */
  agents: Record<string, Agent>;
  stop(): Promise<void>;
}

/** The example's own defaults block, replaced by the tests' faster one. */
const withoutDefaults = (fleet: string) => fleet.replace(/^defaults:\n(?:[ #].*\n)+/m, '');

/** Fleet monitoring: every second, down after 2 failures, up after 2 successes. */
export const FAST_MONITORING = '\ndefaults:\n  monitoring: { interval: 1s, timeout: 500ms, fall: 2, rise: 2 }\n';

/** Each run takes its own loopback /24 (loopbackNet): hosts at .1–.3, the proxy at .10. `extraFleet` is YAML appended to the fleet (an `alerting:` block, say); `edit` changes the fleet's text before that. */
export async function startThreeSites(o: { proxy?: boolean; extraFleet?: string; edit?: (fleet: string) => string } = {}): Promise<ThreeSites> {
  const dir = mkdtempSync(join(tmpdir(), 'hafen-three-sites-'));
  const controller = await startController({ data: join(dir, 'controller'), listen: '127.0.0.1:0' });
  const adminToken = readFileSync(join(dir, 'controller', 'admin.token'), 'utf8').trim();
  const admin = new HafenClient(controller.url, adminToken);
  const hosts = ['nue-app-01', 'vie-app-01', 'hel-app-01'];
  const net = loopbackNet();
  const address = Object.fromEntries(hosts.map((h, i) => [h, `${net}.${i + 1}`]));
  const data = Object.fromEntries(hosts.map((h) => [h, join(dir, h)]));
  const stops: (() => Promise<void>)[] = [];
  const quiet = new Writable({ write: (_c, _e, cb) => cb() });
  let proxyUrl: string | undefined;
  const agents: Record<string, Agent> = {};
  try {
    const fleet = (o.edit ?? ((t: string) => t))(withoutDefaults(readFileSync(join(EXAMPLES, 'three-sites.yaml'), 'utf8'))) + FAST_MONITORING + (o.extraFleet ?? '');
    await admin.apply([{ name: 'three-sites.yaml', text: fleet }], null);
    for (const host of hosts) {
      const { agent } = await startAgent({ controller: controller.url, data: data[host]!, joinToken: (await admin.joinToken(host)).token, driver: 'process', address: address[host]! });
      agents[host] = agent;
      stops.push(async () => {
        await agent.stop();
        await ProcessDriver.open({ stateDir: join(data[host]!, 'state') }).stopAll();
      });
      const { follower } = await startProber({ controller: controller.url, data: data[host]!, source: address[host]! });
      stops.push(() => follower.stop());
    }
    if (o.proxy) {
      const proxy = await startProxy({ controller: controller.url, data: data['nue-app-01']!, listen: `${net}.10:0`, logStream: quiet });
      proxyUrl = proxy.url;
      stops.push(() => proxy.stop());
    }
  } catch (err) {
    for (const s of stops.reverse()) await s().catch(() => {});
    await controller.close();
    throw err;
  }
  return {
    dir,
    url: controller.url,
    admin,
    adminToken,
    address,
    data,
    ...(proxyUrl ? { proxyUrl } : {}),
    agents,
    stop: async () => {
      for (const s of stops.reverse()) await s().catch(() => {});
      await controller.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** The pid of a process unit the agent of `data` runs. */
export function unitPid(agentData: string, unit: string): number {
  return (JSON.parse(readFileSync(join(agentData, 'state', 'units', `${unit}.json`), 'utf8')) as { pid: number }).pid;
}
