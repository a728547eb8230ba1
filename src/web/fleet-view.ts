/**
 * What the fleet page shows, computed from the API's answers (pure, unit-tested): per site its
 * hosts up of all, its apps up, degraded and down (an app counts at every site it has a
 * replica at), its alerts that fire unmuted, and (for roles that may read it) its capacity.
 */
import type { StatusResponse } from '../client/client.js';
import type { AlertView } from '../core/alerting/alerts.js';
import type { Amount, CapacityReport } from '../core/placement/capacity.js';

export interface SiteCard {
  site: string;
  name: string;
  country: string;
  provider: string;
  facility: string;
  state: 'up' | 'degraded' | 'down';
  hosts: number;
  hostsUp: number;
  apps: { up: number; degraded: number; down: number };
  alerts: number;
  /** Allocated of usable (total less headroom); undefined when capacity was not read. */
  capacity?: { cpu: Amount; memory: Amount; disk: Amount };
}

type Unit = StatusResponse['apps'][number]['units'][number];
export const unitUp = (u: Unit) => u.state === 'running' && u.healthy !== false && u.hostUp && u.check !== 'down';

/** up when every replica there is up, down when none is, degraded between. */
export function appStateAt(units: readonly Unit[]): 'up' | 'degraded' | 'down' {
  const up = units.filter(unitUp).length;
  return up === units.length ? 'up' : up === 0 ? 'down' : 'degraded';
}

export function siteCards(status: StatusResponse, alerts: readonly AlertView[], capacity?: Pick<CapacityReport, 'sites'>): SiteCard[] {
  return status.sites.map((s) => {
    const apps = { up: 0, degraded: 0, down: 0 };
    for (const a of status.apps) {
      const here = a.units.filter((u) => u.site === s.site);
      if (here.length > 0) apps[appStateAt(here)]++;
    }
    const firing = alerts.filter((x) => x.labels.site === s.site && !x.silencedBy && !x.inhibitedBy).length;
    const c = capacity?.sites.find((x) => x.site === s.site);
    return {
      site: s.site,
      name: s.name,
      country: s.country,
      provider: s.provider,
      facility: s.facility,
      state: s.state,
      hosts: s.hosts,
      hostsUp: s.hostsUp,
      apps,
      alerts: firing,
      ...(c ? { capacity: { cpu: c.cpu, memory: c.memory, disk: c.disk } } : {}),
    };
  });
}

/** Allocated as a share of usable, 0 to 1 (over 1: over-committed). */
export const used = (a: Amount): number => (a.usable > 0 ? a.allocated / a.usable : a.allocated > 0 ? Infinity : 0);
