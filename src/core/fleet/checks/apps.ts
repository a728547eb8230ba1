/**
 * Apps against the hosts that exist: can the app run anywhere, can its replicas be spread
 * as asked, does a critical app survive a site loss, do domains and backup targets make sense.
 * These catch what is impossible in any placement; the scheduler (placement) plans the rest.
 */
import type { HostSpec, SiteSpec } from '../schema/fleet.js';
import { APP_HOST_ROLES, domainOf, hostSuits, narrowsHosts, siteAllowed } from '../eligibility.js';
import { formatBytes } from '../units.js';
import { groupBy } from '../../util/group.js';
import { resolveBackup, workloadKind } from '../model.js';
import type { ProblemList } from '../problems.js';
import { each, indexById, type Parts } from './parts.js';

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

/** App hosts by runtime and site, so each app looks only at the sites it may use. */
function hostIndex(hosts: readonly HostSpec[]): Map<string, Map<string, HostSpec[]>> {
  const appHosts = hosts.filter((h) => APP_HOST_ROLES.includes(h.role));
  return new Map([...groupBy(appHosts, (h) => h.runtime)].map(([runtime, list]) => [runtime, groupBy(list, (h) => h.site)]));
}

export function checkApps(parts: Parts, out: ProblemList): void {
  const sites = new Map([...indexById(parts.sites)].map(([id, v]) => [id, v.entry]));
  const countries = new Set([...sites.values()].map((s) => s.country));
  const customers = indexById(parts.customers);
  const hosts = parts.hosts.filter((h): h is HostSpec => h !== undefined);
  const byRuntime = hostIndex(hosts);
  const domains = new Map<string, [number, number]>();

  each(parts.apps, (app, i) => {
    const base = ['apps', i];
    app.domains.forEach((d, j) => {
      const prev = domains.get(d);
      if (prev) out.error('HAFEN_FLEET_DUPLICATE_DOMAIN', [...base, 'domains', j], `domain ${d} is already routed to ${out.describe(['apps', prev[0], 'domains', prev[1]])}`);
      else domains.set(d, [i, j]);
    });
    if (app.domains.length > 0 && app.port === undefined) {
      out.error('HAFEN_FLEET_REQUIRED', base, 'an app with domains needs a "port" the proxies send traffic to');
    }
    const checkNames = new Set<string>();
    app.checks.forEach((c, j) => {
      if (checkNames.has(c.name)) out.error('HAFEN_FLEET_DUPLICATE_ID', [...base, 'checks', j, 'name'], `check "${c.name}" is declared twice`);
      checkNames.add(c.name);
      if (c.http && c.http.port === undefined && app.port === undefined) out.error('HAFEN_FLEET_REQUIRED', [...base, 'checks', j, 'http', 'port'], 'the app has no "port": name the port this check requests');
      if (c.http?.via === 'proxy' && app.domains.length === 0) out.error('HAFEN_FLEET_INVALID_VALUE', [...base, 'checks', j, 'http', 'via'], 'a check through the proxies needs the app to have domains');
    });
    const volumeNames = new Set<string>();
    app.volumes.forEach((v, j) => {
      if (volumeNames.has(v.name)) out.error('HAFEN_FLEET_DUPLICATE_ID', [...base, 'volumes', j, 'name'], `volume "${v.name}" is declared twice`);
      volumeNames.add(v.name);
    });
    app.placement?.countries?.forEach((c, j) => {
      if (!countries.has(c)) {
        out.warning('HAFEN_FLEET_NO_SITE_IN_COUNTRY', [...base, 'placement', 'countries', j], `no site is in ${c}`);
      }
    });

    const kind = workloadKind(app);
    // Per allowed site, the hosts that suit the app: all of the runtime's, unless labels narrow them.
    const eligibleBySite: { site: SiteSpec; hosts: HostSpec[] }[] = [];
    for (const [siteId, list] of byRuntime.get(kind) ?? []) {
      const site = sites.get(siteId);
      if (!site || !siteAllowed(app, site)) continue;
      const suited = narrowsHosts(app) ? list.filter((h) => hostSuits(app, h)) : list;
      if (suited.length > 0) eligibleBySite.push({ site, hosts: suited });
    }
    const eligibleCount = eligibleBySite.reduce((n, e) => n + e.hosts.length, 0);
    const { replicas } = app.redundancy;
    const spreadOver = app.redundancy.spreadOver ?? (app.criticality === 'critical' ? 'site' : 'host');
    if (hosts.length > 0 && eligibleCount === 0) {
      const where = [
        app.placement?.sites && `at ${app.placement.sites.join('/')}`,
        app.placement?.countries && `in ${app.placement.countries.join('/')}`,
        app.placement?.hostLabels && `with labels ${Object.entries(app.placement.hostLabels).map(([k, v]) => `${k}=${v}`).join(',')}`,
        app.placement?.hosts && `among hosts ${app.placement.hosts.join(', ')}`,
      ].filter(Boolean).join(' ');
      out.error('HAFEN_FLEET_NO_ELIGIBLE_HOST', base, `no host can run app "${app.id}": it needs an app or data host with runtime ${kind}${where ? ` ${where}` : ''}`);
      return;
    }
    if (eligibleCount === 0) return;

    // Hosts are distinct: at host level the count is enough (no set of thousands of ids per app).
    const domainsAt = (): Set<string> =>
      spreadOver === 'host'
        ? new Set(eligibleBySite.flatMap((e) => e.hosts.map((h) => h.id)))
        : new Set(eligibleBySite.map((e) => domainOf({ id: '' }, e.site, spreadOver)));
    const domainCount = spreadOver === 'host' ? eligibleCount : domainsAt().size;
    const spreadable = domainCount >= replicas;
    if (!spreadable) {
      out.error(
        'HAFEN_FLEET_SPREAD_IMPOSSIBLE',
        [...base, 'redundancy', 'replicas'],
        `${plural(replicas, 'replica')} must sit in different ${spreadOver === 'country' ? 'countries' : spreadOver === 'facility' ? 'facilities' : `${spreadOver}s`}, ` +
          `but the hosts that can run app "${app.id}" are in only ${domainCount} (${[...domainsAt()].sort().join(', ')})`,
      );
    }
    const siteSet = new Set(eligibleBySite.map((e) => e.site.id));
    if (app.criticality === 'critical' && parts.policies.criticalSurvivesSiteLoss) {
      if (replicas < 2) {
        out.error('HAFEN_FLEET_CRITICAL_NOT_REDUNDANT', [...base, 'redundancy'], `critical app "${app.id}" has 1 replica, so losing its site takes it down; policy criticalSurvivesSiteLoss needs at least 2 replicas at different sites`);
      } else if (spreadOver === 'host') {
        out.error('HAFEN_FLEET_CRITICAL_NOT_REDUNDANT', [...base, 'redundancy', 'spreadOver'], `critical app "${app.id}" spreads only over hosts, so all replicas may share a site; use site or wider`);
      } else if (siteSet.size < 2 && spreadable) {
        out.error('HAFEN_FLEET_CRITICAL_NOT_REDUNDANT', base, `critical app "${app.id}" can only run at site ${[...siteSet][0]}, so losing that site takes it down`);
      }
    }

    // One replica must fit on one host, whatever else runs there.
    const need = { cpu: app.resources.cpu, memory: app.resources.memory, disk: app.resources.disk + app.volumes.reduce((n, v) => n + v.size, 0) };
    const fits = (h: HostSpec) => h.cpu >= need.cpu && h.memory >= need.memory && h.disk >= need.disk;
    if (!eligibleBySite.some((e) => e.hosts.some(fits))) {
      out.error(
        'HAFEN_FLEET_APP_TOO_BIG',
        [...base, 'resources'],
        `one replica needs ${need.cpu} cpu, ${formatBytes(need.memory)} memory and ${formatBytes(need.disk)} disk; no eligible host is that large`,
      );
    }

    const backup = resolveBackup(app, customers.get(app.customer)?.entry, parts.defaults);
    if (backup && siteSet.size === 1 && siteSet.has(backup.to)) {
      const msg = `the backup repository site "${backup.to}" is the only site app "${app.id}" can run at, so one site loss takes app and backups`;
      if (app.criticality === 'critical') out.error('HAFEN_FLEET_BACKUP_NOT_OFFSITE', base, msg);
      else out.warning('HAFEN_FLEET_BACKUP_NOT_OFFSITE', base, msg);
    }
    for (const [field, site] of [['to', backup?.to], ['copyTo', backup?.copyTo]] as const) {
      if (site === undefined || !sites.has(site)) continue;
      // Somewhere to keep the repositories: a path or URL without {address}, or the site's backup host.
      const conf = sites.get(site)?.backupRepository;
      const viaHost = (conf?.url ?? '{address}').includes('{address}');
      const host = conf?.host ?? hosts.find((h) => h.site === site && h.role === 'backup')?.id;
      if (viaHost && host === undefined) {
        const what = field === 'to' ? 'backs up to' : 'copies its backups to';
        const then = field === 'to' ? 'its backups cannot run' : 'the copies are not made';
        out.warning('HAFEN_FLEET_BACKUP_NO_REPOSITORY', [...base, 'backup', field], `app "${app.id}" ${what} site "${site}", which has no host with role backup and no sites[].backupRepository.url: ${then} until it has one`);
      }
    }
    backup?.volumes?.forEach((v, j) => {
      if (!volumeNames.has(v)) out.error('HAFEN_FLEET_UNKNOWN_REF', [...base, 'backup', 'volumes', j], `volume "${v}" is not a volume of app "${app.id}"`);
    });
  });
}
