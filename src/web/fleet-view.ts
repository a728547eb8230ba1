/**
 * What the fleet page shows, computed from the API's answers (pure, unit-tested): per site its
 * hosts up of all, its apps up, degraded and down (an app counts at every site it has a
 * replica at), and its alerts that fire unmuted.
 */
import type { StatusResponse } from '../client/client.js';
import type { AlertView } from '../core/alerting/alerts.js';

export interface SiteCard {
  site: string;
  name: string;
  country: string;
  provider: string;
  state: 'up' | 'degraded' | 'down';
  hosts: number;
  hostsUp: number;
  apps: { up: number; degraded: number; down: number };
  alerts: number;
}

type Unit = StatusResponse['apps'][number]['units'][number];
const unitUp = (u: Unit) => u.state === 'running' && u.healthy !== false && u.hostUp;

export function siteCards(status: StatusResponse, alerts: readonly AlertView[]): SiteCard[] {
  return status.sites.map((s) => {
    const apps = { up: 0, degraded: 0, down: 0 };
    for (const a of status.apps) {
      const here = a.units.filter((u) => u.site === s.site);
      if (here.length === 0) continue;
      const up = here.filter(unitUp).length;
      if (up === here.length) apps.up++;
      else if (up === 0) apps.down++;
      else apps.degraded++;
    }
    const firing = alerts.filter((x) => x.labels.site === s.site && !x.silencedBy && !x.inhibitedBy).length;
    return { site: s.site, name: s.name, country: s.country, provider: s.provider, state: s.state, hosts: s.hosts, hostsUp: s.hostsUp, apps, alerts: firing };
  });
}
