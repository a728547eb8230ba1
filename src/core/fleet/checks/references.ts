/** Duplicate ids and references to ids nobody declared. */
import { witnessSites } from '../model.js';
import { didYouMean } from '../suggest.js';
import { LIST_KEYS } from '../schema/fleet.js';
import type { ProblemList } from '../problems.js';
import { checkRef, each, type Parts } from './parts.js';

export function checkDuplicateIds(parts: Parts, out: ProblemList): void {
  for (const key of LIST_KEYS) {
    const seen = new Map<string, number>();
    each(parts[key] as ({ id: string } | undefined)[], (entry, index) => {
      const first = seen.get(entry.id);
      if (first === undefined) seen.set(entry.id, index);
      else out.error('HAFEN_FLEET_DUPLICATE_ID', [key, index, 'id'], `id "${entry.id}" is already used by ${out.describe([key, first])}`);
    });
  }
}

export function checkReferences(parts: Parts, out: ProblemList): void {
  const groups = (base: (string | number)[], ids: string[] | undefined) =>
    ids?.forEach((id, j) => checkRef(parts, out, [...base, 'riskGroups', j], id, 'riskGroups'));

  each(parts.facilities, (f, i) => {
    checkRef(parts, out, ['facilities', i, 'operator'], f.operator, 'providers');
    groups(['facilities', i], f.riskGroups);
  });
  each(parts.sites, (s, i) => {
    checkRef(parts, out, ['sites', i, 'provider'], s.provider, 'providers');
    checkRef(parts, out, ['sites', i, 'facility'], s.facility, 'facilities');
    groups(['sites', i], s.riskGroups);
    checkRef(parts, out, ['sites', i, 'backupRepository', 'host'], s.backupRepository?.host, 'hosts');
  });
  each(parts.hosts, (h, i) => {
    checkRef(parts, out, ['hosts', i, 'site'], h.site, 'sites');
    groups(['hosts', i], h.riskGroups);
  });
  // A witness site only probes: nothing may be placed or kept there.
  const witnesses = witnessSites(parts.sites);
  const notWitness = (path: (string | number)[], site: string | undefined, what: string) => {
    if (site !== undefined && witnesses.has(site)) out.error('HAFEN_FLEET_WITNESS', path, `"${site}" is a witness site, which ${what}`);
  };
  const backupRefs = (base: (string | number)[], b: { to?: string | undefined; copyTo?: string | undefined } | undefined) => {
    checkRef(parts, out, [...base, 'to'], b?.to, 'sites');
    checkRef(parts, out, [...base, 'copyTo'], b?.copyTo, 'sites');
    notWitness([...base, 'to'], b?.to, 'keeps no backups');
    notWitness([...base, 'copyTo'], b?.copyTo, 'keeps no backups');
    if (b?.to !== undefined && b.to === b.copyTo) {
      out.error('HAFEN_FLEET_BACKUP_TARGET', [...base, 'copyTo'], `copyTo must be another site than "to" (both are "${b.to}")`);
    }
  };
  backupRefs(['defaults', 'backup'], parts.defaults?.backup);
  parts.alerting?.receivers.forEach((r, i) => r.customers?.forEach((c, j) => checkRef(parts, out, ['alerting', 'receivers', i, 'customers', j], c, 'customers')));
  const notify = parts.policies?.migrations.notify;
  const receiverIds = (parts.alerting?.receivers ?? []).map((r) => r.id);
  if (notify && !receiverIds.includes(notify.receiver)) {
    out.error('HAFEN_FLEET_UNKNOWN_REF', ['policies', 'migrations', 'notify', 'receiver'], `receiver "${notify.receiver}" is not declared in alerting.receivers${receiverIds.length ? didYouMean(notify.receiver, receiverIds) : '; no receivers are declared'}`);
  }
  parts.alerting?.maintenance.forEach((m, i) => {
    checkRef(parts, out, ['alerting', 'maintenance', i, 'customer'], m.customer, 'customers');
    checkRef(parts, out, ['alerting', 'maintenance', i, 'app'], m.app, 'apps');
    checkRef(parts, out, ['alerting', 'maintenance', i, 'site'], m.site, 'sites');
  });
  each(parts.customers, (c, i) => {
    backupRefs(['customers', i, 'defaults', 'backup'], c.defaults?.backup);
    checkRef(parts, out, ['customers', i, 'home'], c.home, 'sites');
    notWitness(['customers', i, 'home'], c.home, 'runs no apps');
  });
  each(parts.apps, (a, i) => {
    checkRef(parts, out, ['apps', i, 'customer'], a.customer, 'customers');
    a.placement?.sites?.forEach((s, j) => {
      checkRef(parts, out, ['apps', i, 'placement', 'sites', j], s, 'sites');
      notWitness(['apps', i, 'placement', 'sites', j], s, 'runs no apps');
    });
    a.placement?.hosts?.forEach((h, j) => checkRef(parts, out, ['apps', i, 'placement', 'hosts', j], h, 'hosts'));
    backupRefs(['apps', i, 'backup'], a.backup);
  });
}
