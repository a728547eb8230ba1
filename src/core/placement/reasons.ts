/**
 * Why a replica could not be placed, in numbers: how many hosts each rule ruled out, and
 * what would make room. Every host is counted against the first rule it fails, in the order
 * a person would check them: role, runtime, placement, labels, spread, host ports and container
 * names, capacity.
 */
import { APP_HOST_ROLES, domainOf, siteAllowed } from '../fleet/eligibility.js';
import type { App } from '../fleet/model.js';
import type { SiteSpec } from '../fleet/schema/fleet.js';
import { formatBytes } from '../fleet/units.js';
import type { Demand, ScheduleState } from './state.js';

const plural = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;

export function explainUnplaced(
  state: ScheduleState,
  sites: Map<string, SiteSpec>,
  app: App,
  d: Demand,
  placedHosts: readonly number[],
  claimClash: (host: number) => string | undefined = () => undefined,
): { reasons: string[]; fixes: string[] } {
  const hosts = state.fleet.hosts;
  const level = app.redundancy.spreadOver;
  const counts = { gone: 0, role: 0, runtime: 0, placement: 0, hosts: 0, labels: 0, spread: 0, claims: 0, cpu: 0, memory: 0, disk: 0 };
  const clashes = new Set<string>();
  const spreadBy = new Map<string, number>();
  let bestFree: Demand = { cpu: 0, memory: 0, disk: 0 };
  let bestHost = '';
  const taken = new Map(placedHosts.map((h, i) => [domainOf(hosts[h]!, sites.get(hosts[h]!.site)!, level), i + 1]));
  const wanted = app.placement?.hostLabels ?? {};
  hosts.forEach((host, h) => {
    const site = sites.get(host.site)!;
    if (state.limit[h]!.memory === 0 && host.memory > 0) return void counts.gone++;
    if (!APP_HOST_ROLES.includes(host.role)) return void counts.role++;
    if (host.runtime !== app.workloadKind) return void counts.runtime++;
    if (!siteAllowed(app, site)) return void counts.placement++;
    if (app.placement?.hosts && !app.placement.hosts.includes(host.id)) return void counts.hosts++;
    if (Object.entries(wanted).some(([k, v]) => host.labels?.[k] !== v)) return void counts.labels++;
    const dom = domainOf(host, site, level);
    if (taken.has(dom) || placedHosts.includes(h)) {
      counts.spread++;
      const key = `${level} ${dom} with replica ${taken.get(dom) ?? placedHosts.indexOf(h) + 1}`;
      spreadBy.set(key, (spreadBy.get(key) ?? 0) + 1);
      return;
    }
    const clash = claimClash(h);
    if (clash !== undefined) {
      counts.claims++;
      clashes.add(clash);
      return;
    }
    const u = state.used[h]!;
    const l = state.limit[h]!;
    const free = { cpu: l.cpu - u.cpu, memory: l.memory - u.memory, disk: l.disk - u.disk };
    if (free.cpu + 1e-9 < d.cpu) counts.cpu++;
    if (free.memory < d.memory) counts.memory++;
    if (free.disk < d.disk) counts.disk++;
    // The host that comes closest: the one whose worst dimension is least short.
    const shortfall = (f: Demand) => Math.min(f.cpu / (d.cpu || 1), f.memory / (d.memory || 1), f.disk / (d.disk || 1));
    if (bestHost === '' || shortfall(free) > shortfall(bestFree)) {
      bestFree = free;
      bestHost = host.id;
    }
  });
  const reasons: string[] = [];
  const fixes: string[] = [];
  const headroom = Math.round(state.fleet.policies.capacityHeadroom * 100);
  if (counts.gone) reasons.push(`failed: ${plural(counts.gone, 'host is', 'hosts are')} gone in this scenario`);
  if (counts.role) reasons.push(`role: ${plural(counts.role, 'host is', 'hosts are')} proxy, backup, management or edge hosts`);
  if (counts.runtime) reasons.push(`runtime: ${plural(counts.runtime, 'host runs', 'hosts run')} another runtime than ${app.workloadKind}`);
  if (counts.placement) {
    const where = [app.placement?.countries && `countries ${app.placement.countries.join('/')}`, app.placement?.sites && `sites ${app.placement.sites.join('/')}`].filter(Boolean).join(' and ');
    reasons.push(`placement: ${plural(counts.placement, 'host is', 'hosts are')} outside ${where}`);
  }
  if (counts.hosts) reasons.push(`hosts: ${plural(counts.hosts, 'host is', 'hosts are')} not among placement.hosts (${app.placement!.hosts!.join(', ')})`);
  if (counts.labels) reasons.push(`labels: ${plural(counts.labels, 'host lacks', 'hosts lack')} ${Object.entries(wanted).map(([k, v]) => `${k}=${v}`).join(', ')}`);
  for (const [what, n] of [...spreadBy].sort((a, b) => b[1] - a[1])) reasons.push(`spread: ${plural(n, 'host shares', 'hosts share')} ${what}`);
  if (counts.claims) reasons.push(`taken: ${plural(counts.claims, 'host has', 'hosts have')} given a port it publishes, a container name it sets or its working directory to another app: ${[...clashes].slice(0, 3).join(', ')}${clashes.size > 3 ? ', …' : ''}`);
  const cap = (['cpu', 'memory', 'disk'] as const).filter((k) => counts[k] > 0);
  if (cap.length) reasons.push(`capacity: ${cap.map((k) => `${k} exhausted on ${plural(counts[k], 'host')}`).join(', ')} (${headroom}% headroom kept free)`);

  if (counts.claims) fixes.push('publish another host port (or set another container name) than the apps on those hosts, or add a host at an allowed site');
  const need = `${d.cpu} cpu, ${formatBytes(d.memory)} memory, ${formatBytes(d.disk)} disk`;
  if (cap.length && bestHost) {
    const short: string[] = [];
    if (bestFree.cpu + 1e-9 < d.cpu) short.push(`${Math.round((d.cpu - Math.max(0, bestFree.cpu)) * 100) / 100} cpu`);
    if (bestFree.memory < d.memory) short.push(`${formatBytes(d.memory - Math.max(0, bestFree.memory))} memory`);
    if (bestFree.disk < d.disk) short.push(`${formatBytes(d.disk - Math.max(0, bestFree.disk))} disk`);
    fixes.push(
      `one replica needs ${need}; the closest host, ${bestHost}, is short of ${short.join(' and ')}: ` +
        `add a host or free that much at an allowed site, or lower the app's resources`,
    );
  }
  if (counts.spread > 0 && !bestHost) {
    const more = level === 'host' ? `a ${app.workloadKind} host` : `a ${level} with ${app.workloadKind} hosts`;
    fixes.push(`every allowed ${level} already holds a replica: add ${more} where the app may run, lower redundancy.replicas${level === 'host' ? '' : ', or spread over a narrower level'}`);
  }
  if (!cap.length && counts.spread === 0) fixes.push(`add a ${app.workloadKind} app host at an allowed site, or relax placement`);
  return { reasons, fixes };
}
