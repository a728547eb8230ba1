/** `hafen generate`: a synthetic fleet of any size, deterministic for a seed. */
import type { FleetInput } from '../fleet/schema/fleet.js';
import { apps, customers } from './customers.js';
import { createRng } from './rng.js';
import { hosts, needsWitness, roleCounts, sitePrefixes, siteSeeds, siteTemplate, witness } from './topology.js';

export interface GenerateParams {
  customers: number;
  hosts: number;
  seed: number;
  /** Number of sites (default 3, the reference topology). */
  sites?: number;
  /** Number of apps (default 1.4 per customer). */
  apps?: number;
}

export function generateFleet(params: GenerateParams): FleetInput {
  const siteCount = params.sites ?? 3;
  if (!Number.isInteger(params.customers) || params.customers < 1) throw new RangeError('customers must be a whole number of at least 1');
  if (!Number.isInteger(params.hosts) || params.hosts < siteCount * 3) throw new RangeError(`hosts must be at least 3 per site (${siteCount * 3})`);
  if (!Number.isInteger(siteCount) || siteCount < 1) throw new RangeError('sites must be at least 1');
  const rng = createRng(params.seed);
  const seeds = siteSeeds(siteCount);
  const perSite = Math.ceil(params.hosts / siteCount);
  const template = siteTemplate(roleCounts(perSite));
  const prefixes = sitePrefixes(siteCount, template);
  const plan = hosts(seeds, params.hosts);
  const drafts = customers(rng, params.customers, seeds);
  const appCount = params.apps ?? Math.round(params.customers * 1.4);
  const hasKubernetes = plan.hosts.some((h) => h.runtime === 'kubernetes');
  const kubeSites = new Set(plan.hosts.filter((h) => h.runtime === 'kubernetes').map((h) => h.site));
  const appHosts = new Map(seeds.map((site) => [site.id, { compose: 0, kubernetes: 0 }]));
  for (const h of plan.hosts) {
    if (h.role !== 'app' && h.role !== 'data') continue;
    appHosts.get(h.site)![h.runtime === 'kubernetes' ? 'kubernetes' : 'compose']++;
  }
  const generatedApps = apps(rng, drafts, appCount, seeds, hasKubernetes && kubeSites.size >= 3, appHosts);
  const providers = [...new Set(seeds.flatMap((s) => [s.provider, s.facilityOperator]))].sort();
  // After every random draw, so the same seed gives the same fleet with or without it.
  const w = needsWitness(seeds) ? witness() : undefined;
  return {
    version: 1,
    policies: { maxCustomerShare: 0.5, criticalSurvivesSiteLoss: true, capacityHeadroom: 0.2 },
    defaults: { backup: { schedule: '15 2 * * *', keep: { daily: 7, weekly: 5, monthly: 12 } }, migration: 'window' },
    providers: [...providers.map((id) => ({ id, name: id === 'provider-a' ? 'Provider A' : 'Provider B' })), ...(w ? [w.provider] : [])],
    facilities: [...seeds.map((s) => ({ id: s.facility, name: `${s.city} data centre`, operator: s.facilityOperator, country: s.country, city: s.city })), ...(w ? [w.facility] : [])],
    riskGroups: [{ id: 'carrier-a', kind: 'carrier', description: 'Upstream carrier of provider A\'s sites.' }],
    sites: [
      ...seeds.map((s, k) => ({
        id: s.id,
        name: s.name,
        provider: s.provider,
        facility: s.facility,
        country: s.country,
        city: s.city,
        prefixes: [prefixes[k]!],
        uplink: '10Gbit/s',
        ...(s.provider === 'provider-a' ? { riskGroups: ['carrier-a'] } : {}),
      })),
      ...(w ? [w.site] : []),
    ],
    siteTemplate: template,
    hosts: [...plan.hosts, ...(w ? [w.host] : [])],
    customers: drafts.map((d) => d.spec),
    apps: generatedApps,
  };
}
