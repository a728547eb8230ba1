/**
 * Which hosts an app may run on, and the failure-domain value of a host at a spread level.
 * Shared by validation (can the app run anywhere at all?) and the scheduler (where exactly?).
 */
import type { SpreadLevel } from './schema/common.js';
import type { AppSpec, HostSpec, SiteSpec } from './schema/fleet.js';
import { workloadKind } from './model.js';

/** Host roles whose hosts run customer apps. */
export const APP_HOST_ROLES: readonly HostSpec['role'][] = ['app', 'data'];

/** The failure-domain value of a host at a spread level. */
export function domainOf(host: Pick<HostSpec, 'id'>, site: Pick<SiteSpec, 'id' | 'facility' | 'provider' | 'country'>, level: SpreadLevel): string {
  switch (level) {
    case 'host': return host.id;
    case 'site': return site.id;
    case 'facility': return site.facility;
    case 'provider': return site.provider;
    case 'country': return site.country;
  }
}

/** Whether the app's placement constraints allow the site (data residency, allowed sites). */
export function siteAllowed(app: Pick<AppSpec, 'placement'>, site: Pick<SiteSpec, 'id' | 'country'>): boolean {
  const p = app.placement;
  if (p?.sites && !p.sites.includes(site.id)) return false;
  if (p?.countries && !p.countries.includes(site.country)) return false;
  return true;
}

/** Whether the app narrows its hosts beyond sites and countries (by labels or by id): then each host is asked `hostSuits`. */
export function narrowsHosts(app: Pick<AppSpec, 'placement'>): boolean {
  return app.placement?.hostLabels !== undefined || app.placement?.hosts !== undefined;
}

/** Whether the host runs apps of this kind, is one the app allows and carries the labels the app asks for. */
export function hostSuits(app: Pick<AppSpec, 'placement' | 'workload'>, host: Pick<HostSpec, 'id' | 'role' | 'runtime' | 'labels'>): boolean {
  if (!APP_HOST_ROLES.includes(host.role) || host.runtime !== workloadKind(app)) return false;
  if (app.placement?.hosts && !app.placement.hosts.includes(host.id)) return false;
  const labels = app.placement?.hostLabels;
  if (labels) for (const [k, v] of Object.entries(labels)) if (host.labels?.[k] !== v) return false;
  return true;
}
