/**
 * The root of a fleet description. A fleet may be split over several files: list keys are
 * concatenated, and each of the single keys (version, policies, siteTemplate, defaults) may
 * appear in one file only. That is why every key is optional here; what a whole fleet must
 * have is checked after merging.
 */
import { z } from 'zod';
import { Alerting } from './alerting.js';
import { App } from './app.js';
import { Customer } from './customer.js';
import { Defaults } from './defaults.js';
import { Host } from './host.js';
import { Policies } from './policies.js';
import { SiteTemplate } from './template.js';
import { Facility, Provider, RiskGroup, Site } from './topology.js';

/** Keys whose lists are concatenated when a fleet is split over several files. */
export const LIST_KEYS = ['providers', 'facilities', 'sites', 'riskGroups', 'hosts', 'customers', 'apps'] as const;
export type ListKey = (typeof LIST_KEYS)[number];

/** Keys that only one file of a fleet may set. */
export const SINGLE_KEYS = ['version', 'policies', 'siteTemplate', 'defaults', 'alerting'] as const;
export type SingleKey = (typeof SINGLE_KEYS)[number];

export const FleetDocument = z
  .strictObject({
    version: z.literal(1).optional().describe('Version of the fleet format (1).'),
    policies: Policies.prefault({}),
    siteTemplate: SiteTemplate.optional(),
    defaults: Defaults.optional(),
    alerting: Alerting.optional(),
    providers: z.array(Provider).default([]).describe('Commercial providers.'),
    facilities: z.array(Facility).default([]).describe('Physical data centres.'),
    sites: z.array(Site).default([]).describe('Sites with their routed prefixes.'),
    riskGroups: z.array(RiskGroup).default([]).describe('Declared shared-fate groups.'),
    hosts: z.array(Host).default([]).describe('Hosts.'),
    customers: z.array(Customer).default([]).describe('Customers.'),
    apps: z.array(App).default([]).describe('Customer systems.'),
  })
  .describe('A hafen fleet: sites, hosts, customers and their apps (one file, or one part of a directory).');

/** The element schema of each list key, for validating entries one at a time. */
export const ELEMENT_SCHEMAS = {
  providers: Provider,
  facilities: Facility,
  sites: Site,
  riskGroups: RiskGroup,
  hosts: Host,
  customers: Customer,
  apps: App,
} as const;

export type FleetInput = z.input<typeof FleetDocument>;
export type ParsedFleet = z.output<typeof FleetDocument>;
export type ProviderSpec = z.output<typeof Provider>;
export type FacilitySpec = z.output<typeof Facility>;
export type SiteSpec = z.output<typeof Site>;
export type RiskGroupSpec = z.output<typeof RiskGroup>;
export type HostSpec = z.output<typeof Host>;
export type CustomerSpec = z.output<typeof Customer>;
export type AppSpec = z.output<typeof App>;
export type SiteTemplateSpec = z.output<typeof SiteTemplate>;
export type SegmentSpec = SiteTemplateSpec['segments'][number];
export type PoliciesSpec = z.output<typeof Policies>;
export type DefaultsSpec = z.output<typeof Defaults>;
export type AlertingSpec = z.output<typeof Alerting>;
