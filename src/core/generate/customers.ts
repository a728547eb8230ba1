/** Generated customers and their apps, sized like the reference fleet's. */
import type { FleetInput } from '../fleet/schema/fleet.js';
import { CRITICAL_KINDS, STACKS, SURNAMES, TOWNS, TRADES, slug, type Stack } from './names.js';
import type { Rng } from './rng.js';
import type { SiteSeed } from './topology.js';

type In<K extends keyof FleetInput> = NonNullable<FleetInput[K]>;
type CustomerIn = In<'customers'>[number];
type AppIn = In<'apps'>[number];

const WINDOW_PATTERNS: CustomerIn['maintenanceWindows'][] = [
  [{ days: 'weekdays', from: '22:00', to: '05:00' }, { days: 'weekend', from: '00:00', to: '24:00' }],
  [{ days: 'weekend', from: '00:00', to: '24:00' }],
  [{ days: ['sun'], from: '01:00', to: '07:00' }],
  [{ days: 'daily', from: '23:00', to: '04:00' }],
  [{ days: ['sat'], from: '20:00', to: '06:00', description: 'Agreed slot for larger changes.' }],
];

interface CustomerDraft {
  spec: CustomerIn;
  critical: boolean;
  /** Countries the customer's data must stay in, when restricted. */
  residency?: string[];
}

function uniqueId(base: string, used: Set<string>): string {
  let id = base || 'x';
  for (let n = 2; used.has(id); n++) id = `${base}-${n}`;
  used.add(id);
  return id;
}

/** Whether some site of `sites` is left after the loss of any one provider (a site falls with its provider and with its facility's operator). */
function survivesAnyProvider(sites: readonly SiteSeed[]): boolean {
  const providers = new Set(sites.flatMap((s) => [s.provider, s.facilityOperator]));
  return [...providers].every((p) => sites.some((s) => s.provider !== p && s.facilityOperator !== p));
}

export function customers(rng: Rng, count: number, sites: SiteSeed[]): CustomerDraft[] {
  const used = new Set<string>();
  const countries = [...new Set(sites.map((s) => s.country))];
  const out: CustomerDraft[] = [];
  for (let i = 0; i < count; i++) {
    const home = rng.weighted(sites.map((s, k) => [s, k === 0 ? 6 : k === 1 ? 2.5 : 1.5] as const));
    // A critical app needs a second site to survive a site loss: none in a one-site fleet.
    const critical = sites.length >= 2 && rng.chance(0.06);
    const name = critical ? `${rng.pick(CRITICAL_KINDS)} ${rng.pick(TOWNS)}` : `${rng.pick(TRADES)} ${rng.pick(SURNAMES)}`;
    const id = uniqueId(slug(name), used);
    const contacts: CustomerIn['contacts'] = [{ name: `IT ${name}`, email: `it@${id}.example`, role: 'technical' }];
    if (critical || rng.chance(0.3)) contacts.push({ name: 'Bereitschaft', phone: `+49 911 ${rng.int(100000, 999999)}`, role: 'emergency' });
    const spec: CustomerIn = {
      id,
      name,
      contacts,
      timezone: home.timezone,
      maintenanceWindows: critical ? [{ days: ['sun'], from: '02:00', to: '05:00' }] : rng.pick(WINDOW_PATTERNS),
      ...(critical ? { weight: 3 } : rng.chance(0.1) ? { weight: 2 } : {}),
    };
    // Data residency: keep within the home country and its neighbour when two such countries
    // exist — for a critical customer only where those countries' sites survive the loss of any
    // one provider (else no placement could keep its apps up: the policy would break).
    const dach = countries.filter((c) => c === 'DE' || c === 'AT');
    const wanted = dach.length === 2 && (home.country === 'DE' || home.country === 'AT') && rng.chance(critical ? 0.5 : 0.2);
    const residency = wanted && (!critical || survivesAnyProvider(sites.filter((s) => (dach as string[]).includes(s.country)))) ? dach : undefined;
    out.push(residency ? { spec, critical, residency } : { spec, critical });
  }
  return out;
}

function appFor(rng: Rng, c: CustomerDraft, stack: Stack, id: string, first: boolean, kubernetes: boolean, allowedSites: string[], hostCount: number, port: number): AppIn {
  const critical = c.critical && rng.chance(0.85);
  const wanted = critical ? (rng.chance(0.75) ? 2 : 3) : rng.weighted([[1, 55], [2, 40], [3, 5]] as const);
  const spreadOver = critical ? 'site' : wanted > 1 && rng.chance(0.2) ? 'site' : undefined;
  // Replicas spread over sites cannot outnumber the sites the app may run at.
  // Replicas cannot outnumber the sites (spread over sites) or hosts (spread over hosts) they may use.
  // Kubernetes hosts are few (one or two per site): their apps run at most two replicas, so
  // losing a site still leaves room for the lost one.
  const replicas = Math.max(1, Math.min(wanted, spreadOver === 'site' ? allowedSites.length : hostCount, kubernetes ? 2 : wanted));
  // The first service answers on 8080 in its container, published on the app's own host port.
  const services = Object.fromEntries(stack.services.map((s, i) => [s, { image: `registry.example/${stack.name}/${s}:stable`, ...(i === 0 ? { ports: [`${port}:8080`] } : {}) }]));
  const scale = rng.weighted([[0.5, 3], [1, 5], [2, 2]] as const);
  const dataGiB = stack.dataGiB === 0 ? 0 : Math.max(1, Math.round(stack.dataGiB * scale * (0.15 + rng.next() * 0.7)));
  const label = id.slice(c.spec.id.length + 1).replace(/^web(?=$|-)/, 'www');
  const domain = `${label}.${c.spec.id}.example`;
  const app: AppIn = {
    id,
    customer: c.spec.id,
    ...(critical ? { criticality: 'critical' as const } : {}),
    redundancy: {
      replicas,
      ...(spreadOver ? { spreadOver } : {}),
      ...(critical && rng.chance(0.4) ? { mode: 'standby' as const } : {}),
    },
    workload: kubernetes ? { kubernetes: { manifest: `manifests/${id}.yaml` } } : { compose: { services } },
    domains: first && rng.chance(0.3) ? [domain, `${c.spec.id}.example`] : [domain],
    port,
    health: { path: stack.health },
    resources: {
      cpu: Math.round(stack.cpu * scale * 100) / 100,
      memory: `${Math.round(stack.memoryMiB * scale)}MiB`,
      disk: '2GiB',
    },
  };
  if (dataGiB > 0) {
    app.volumes = [{ name: 'data', size: `${dataGiB}GiB`, changePerDay: `${rng.int(1, 6)}%` }];
    app.backup = { to: rng.pick(allowedSites) };
  }
  if (c.residency) app.placement = { countries: c.residency };
  // One writer per app's data: replicas of an app with data are standbys, and it moves in a
  // window (a live move would run two writers side by side).
  if (dataGiB > 0 && replicas > 1) app.redundancy = { ...app.redundancy, mode: 'standby' };
  if (replicas > 1 && dataGiB === 0) app.migration = 'live';
  return app;
}

/** Apps for the customers: one each, the rest to random customers; ids are `<customer>-<stack>`. */
export function apps(
  rng: Rng,
  drafts: CustomerDraft[],
  count: number,
  sites: SiteSeed[],
  kubernetes: boolean,
  appHosts: Map<string, { compose: number; kubernetes: number }>,
): AppIn[] {
  const owners = drafts.map((_, i) => i);
  for (let i = drafts.length; i < count; i++) owners.push(rng.int(0, drafts.length - 1));
  owners.sort((a, b) => a - b);
  const used = new Set<string>();
  let previous = -1;
  return owners.slice(0, count).map((ci, index) => {
    const first = ci !== previous;
    previous = ci;
    const c = drafts[ci]!;
    // Kubernetes apps are the few small services the team runs there, with little or no data.
    const onKubernetes = kubernetes && rng.chance(0.03);
    const stack = onKubernetes
      ? rng.pick(STACKS.filter((s) => s.dataGiB <= 30))
      : c.critical
        ? rng.pick(STACKS.filter((s) => s.dataGiB > 0))
        : rng.weighted(STACKS.map((s) => [s, s.name === 'web' ? 4 : s.name === 'wordpress' ? 5 : 2] as const));
    const id = uniqueId(`${c.spec.id}-${stack.name}`.slice(0, 63).replace(/-+$/, ''), used);
    const allowed = sites.filter((s) => !c.residency || c.residency.includes(s.country)).map((s) => s.id);
    const hostCount = allowed.reduce((n, site) => n + (appHosts.get(site)?.[onKubernetes ? 'kubernetes' : 'compose'] ?? 0), 0);
    // Host ports 8000-8999 (what the site template lets the proxies reach), one per app up to a
    // thousand apps; beyond, apps sharing a port are placed on different hosts.
    return appFor(rng, c, stack, id, first, onKubernetes, allowed, hostCount, 8000 + (index % 1000));
  });
}
