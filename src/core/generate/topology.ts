/**
 * Generated topology: providers, facilities, sites, the site template, and hosts. The first
 * three sites follow the reference fleet (Nuremberg at provider A inside provider B's
 * facility, Vienna at A, Helsinki at B); further sites alternate providers over more countries.
 */
import { formatPrefix } from '../ipam/ipv4.js';
import type { FleetInput } from '../fleet/schema/fleet.js';

type In<K extends keyof FleetInput> = NonNullable<FleetInput[K]>;

export interface SiteSeed {
  id: string;
  name: string;
  provider: 'provider-a' | 'provider-b';
  facility: string;
  facilityOperator: 'provider-a' | 'provider-b';
  country: string;
  city: string;
  timezone: string;
}

const REFERENCE_SITES: SiteSeed[] = [
  { id: 'nue', name: 'Nuremberg', provider: 'provider-a', facility: 'nbg-b1', facilityOperator: 'provider-b', country: 'DE', city: 'Nuremberg', timezone: 'Europe/Berlin' },
  { id: 'vie', name: 'Vienna', provider: 'provider-a', facility: 'vie-a1', facilityOperator: 'provider-a', country: 'AT', city: 'Vienna', timezone: 'Europe/Vienna' },
  { id: 'hel', name: 'Helsinki', provider: 'provider-b', facility: 'hel-b1', facilityOperator: 'provider-b', country: 'FI', city: 'Helsinki', timezone: 'Europe/Helsinki' },
];

const MORE_PLACES: [string, string, string][] = [
  ['NL', 'Amsterdam', 'Europe/Amsterdam'], ['FR', 'Paris', 'Europe/Paris'], ['SE', 'Stockholm', 'Europe/Stockholm'],
  ['PL', 'Warsaw', 'Europe/Warsaw'], ['CZ', 'Prague', 'Europe/Prague'], ['DK', 'Copenhagen', 'Europe/Copenhagen'],
  ['BE', 'Brussels', 'Europe/Brussels'], ['IE', 'Dublin', 'Europe/Dublin'], ['ES', 'Madrid', 'Europe/Madrid'],
  ['IT', 'Milan', 'Europe/Rome'], ['CH', 'Zurich', 'Europe/Zurich'], ['NO', 'Oslo', 'Europe/Oslo'],
];

export function siteSeeds(count: number): SiteSeed[] {
  const out = REFERENCE_SITES.slice(0, count);
  for (let k = out.length; k < count; k++) {
    const [country, city, timezone] = MORE_PLACES[(k - 3) % MORE_PLACES.length]!;
    const round = Math.floor((k - 3) / MORE_PLACES.length);
    const provider = k % 2 === 0 ? 'provider-a' : 'provider-b';
    const id = `${country.toLowerCase()}${round + 1}`;
    out.push({ id, name: round ? `${city} ${round + 1}` : city, provider, facility: `${id}-dc`, facilityOperator: provider, country, city, timezone });
  }
  return out;
}

/**
 * Whether the sites need a witness: the loss of some provider (its sites, and the sites in its
 * facilities) leaves fewer than two sites to see it, so standby apps there could not fail over.
 */
export function needsWitness(sites: readonly SiteSeed[]): boolean {
  if (sites.length < 2) return false;
  const providers = new Set(sites.flatMap((s) => [s.provider, s.facilityOperator]));
  return [...providers].some((p) => sites.filter((s) => s.provider !== p && s.facilityOperator !== p).length < 2);
}

/** The witness: one small prober at a third provider, in a country of no site, with a public address (TEST-NET-1). */
export function witness(): { provider: In<'providers'>[number]; facility: In<'facilities'>[number]; site: In<'sites'>[number]; host: In<'hosts'>[number] } {
  return {
    provider: { id: 'provider-c', name: 'Provider C' },
    facility: { id: 'lux-c1', name: 'Luxembourg data centre', operator: 'provider-c', country: 'LU', city: 'Luxembourg' },
    site: {
      id: 'wit',
      name: 'Witness (Luxembourg)',
      provider: 'provider-c',
      facility: 'lux-c1',
      country: 'LU',
      city: 'Luxembourg',
      witness: true,
      description: 'A third vantage point: its prober counts in the quorum that declares a site lost, so standby apps still fail over when one provider takes two sites down at once.',
    },
    host: { id: 'wit-probe-01', site: 'wit', role: 'management', cpu: 1, memory: '2GiB', disk: '20GiB', address: '192.0.2.10', description: 'Runs hafen prober only.' },
  };
}

/** How many hosts of each role a site with `n` hosts gets. */
export function roleCounts(n: number): { proxy: number; management: number; backup: number; data: number; app: number; kubernetes: number } {
  const proxy = n >= 6 ? 2 : n >= 3 ? 1 : 0;
  const management = n >= 4 ? 1 : 0;
  const backup = n >= 40 ? 2 : n >= 5 ? 1 : 0;
  const rest = n - proxy - management - backup;
  // At least one data host where there is room: apps with large volumes only fit there.
  const data = rest >= 2 ? Math.max(1, Math.floor(rest * 0.2)) : 0;
  const app = rest - data;
  // A few Kubernetes hosts, growing with the site so its share of apps keeps fitting.
  const kubernetes = app >= 20 ? Math.max(2, Math.round(app * 0.05)) : app >= 10 ? 1 : 0;
  return { proxy, management, backup, data, app, kubernetes };
}

/** Smallest prefix length whose usable addresses hold three times `hosts` (room to grow). */
function segmentLength(hosts: number, reserved: number): number {
  const want = Math.ceil(hosts * 3) + reserved + 2;
  let len = 28;
  while (len > 8 && 2 ** (32 - len) < want) len--;
  return len;
}

export function siteTemplate(maxRoles: ReturnType<typeof roleCounts>): In<'siteTemplate'> {
  return {
    segments: [
      { name: 'edge', role: 'edge', prefixLength: 28, reserved: 3, description: 'Firewalls, routers and public service addresses.' },
      { name: 'proxy', role: 'proxy', prefixLength: segmentLength(maxRoles.proxy, 1), description: 'Edge proxies.' },
      { name: 'apps', role: 'apps', prefixLength: segmentLength(maxRoles.app, 1), description: 'Hosts running customer apps.' },
      { name: 'data', role: 'data', prefixLength: segmentLength(maxRoles.data, 1), description: 'Database and storage hosts.' },
      { name: 'mgmt', role: 'management', prefixLength: segmentLength(Math.max(maxRoles.management, 4), 1), description: 'Management, monitoring and out-of-band access.' },
      { name: 'backup', role: 'backup', prefixLength: segmentLength(Math.max(maxRoles.backup, 2), 1), description: 'Backup repositories (restic).' },
    ],
    firewall: [
      { from: 'internet', to: 'proxy', protocol: 'tcp', ports: [80, 443], description: 'Customer traffic to the edge proxies.' },
      { from: 'internet', to: 'edge', protocol: 'icmp', description: 'Reachability checks.' },
      { from: 'proxy', to: 'apps', protocol: 'tcp', ports: ['1024-65535'], scope: 'fleet', description: 'Proxies reach app replicas at every site (failover).' },
      { from: 'proxy', to: 'data', protocol: 'tcp', ports: ['1024-65535'], scope: 'fleet', description: 'Proxies reach apps on data hosts.' },
      { from: 'apps', to: 'data', protocol: 'tcp', ports: [3306, 5432, 6379, 9200], description: 'Apps to their databases.' },
      { from: 'apps', to: 'backup', protocol: 'tcp', ports: [22], scope: 'fleet', description: 'Off-site backups (restic over sftp).' },
      { from: 'data', to: 'backup', protocol: 'tcp', ports: [22], scope: 'fleet', description: 'Off-site backups (restic over sftp).' },
      { from: 'mgmt', to: 'apps', protocol: 'tcp', ports: [22, 9100], scope: 'fleet', description: 'Administration and metrics.' },
      { from: 'mgmt', to: 'data', protocol: 'tcp', ports: [22, 9100], scope: 'fleet', description: 'Administration and metrics.' },
      { from: 'mgmt', to: 'proxy', protocol: 'tcp', ports: [22, 9100, 8404], scope: 'fleet', description: 'Administration and proxy metrics.' },
      { from: 'mgmt', to: 'backup', protocol: 'tcp', ports: [22, 9100], scope: 'fleet', description: 'Administration and metrics.' },
      { from: 'mgmt', to: 'apps', protocol: 'icmp', scope: 'fleet', description: 'Probes.' },
    ],
  };
}

/** One or more aligned prefixes per site from 198.18.0.0/15 (RFC 2544 space, never routed). */
export function sitePrefixes(sites: number, template: In<'siteTemplate'>): string[] {
  const need = template.segments.reduce((n, s) => n + 2 ** (32 - s.prefixLength), 0);
  let len = 23;
  while (len > 8 && 2 ** (32 - len) < need) len--;
  const base = (198 * 2 ** 24) + (18 * 2 ** 16);
  return Array.from({ length: sites }, (_, k) => formatPrefix({ base: base + k * 2 ** (32 - len), length: len }));
}

export interface HostPlan {
  hosts: In<'hosts'>;
  bySite: Map<string, string[]>;
}

export function hosts(sites: SiteSeed[], total: number): HostPlan {
  const out: In<'hosts'> = [];
  const bySite = new Map<string, string[]>();
  sites.forEach((site, k) => {
    const n = Math.floor(total / sites.length) + (k < total % sites.length ? 1 : 0);
    const roles = roleCounts(n);
    const ids: string[] = [];
    const add = (role: 'proxy' | 'management' | 'backup' | 'data' | 'app', prefix: string, count: number, spec: (i: number) => Omit<In<'hosts'>[number], 'id' | 'site' | 'role'>) => {
      for (let i = 1; i <= count; i++) {
        const id = `${site.id}-${prefix}-${String(i).padStart(2, '0')}`;
        ids.push(id);
        out.push({ id, site: site.id, role, ...spec(i) });
      }
    };
    add('proxy', 'proxy', roles.proxy, () => ({ cpu: 8, memory: '16GiB', disk: '200GiB' }));
    add('management', 'mgmt', roles.management, () => ({ cpu: 4, memory: '16GiB', disk: '500GiB' }));
    add('backup', 'backup', roles.backup, () => ({ cpu: 8, memory: '32GiB', disk: '3584GiB' }));
    add('data', 'data', roles.data, () => ({ cpu: 16, memory: '32GiB', disk: '1TiB', labels: { disk: 'nvme' } }));
    add('app', 'app', roles.app, (i) => ({
      cpu: i % 4 === 0 ? 16 : 8,
      memory: i % 4 === 0 ? '32GiB' : '16GiB',
      disk: '160GiB',
      ...(i > roles.app - roles.kubernetes ? { runtime: 'kubernetes' as const } : {}),
    }));
    bySite.set(site.id, ids);
  });
  return { hosts: out, bySite };
}
