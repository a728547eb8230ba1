/** Hosts: the machines apps run on. */
import { z } from 'zod';
import { Description, Id, Labels, RiskGroupRefs, Size } from './common.js';
import { HostNetworkOverride } from './template.js';

export const HOST_ROLES = ['app', 'proxy', 'data', 'backup', 'management', 'edge'] as const;
export type HostRole = (typeof HOST_ROLES)[number];

export const RUNTIMES = ['compose', 'kubernetes', 'process', 'postgres'] as const;
export type Runtime = (typeof RUNTIMES)[number];

export const Host = z
  .strictObject({
    id: Id.describe('Host name used in references, e.g. "nue-app-01".'),
    site: Id.describe('The site the host is at (an id from sites).'),
    segment: z
      .string()
      .optional()
      .describe('Template segment the host sits in; defaults to the segment whose role matches the host role.'),
    role: z.enum(HOST_ROLES).default('app').describe('What the host does (default app).'),
    cpu: z.number().positive().describe('CPU cores.'),
    memory: Size.describe('Memory, e.g. "64GiB".'),
    disk: Size.describe('Disk space for app data, e.g. "2TiB".'),
    runtime: z.enum(RUNTIMES).default('compose').describe('How apps run on the host (default compose): compose, kubernetes, process, or postgres (PostgreSQL apps; the host has Debian\'s PostgreSQL server packages and its agent runs with --driver postgres).'),
    address: z.string().optional().describe('Fixed IPv4 address; otherwise IPAM allocates one in the segment.'),
    network: HostNetworkOverride.optional().describe('This host\'s interface configuration, where it differs from siteTemplate.network.'),
    labels: Labels.optional(),
    riskGroups: RiskGroupRefs.optional(),
    description: Description.optional(),
  })
  .describe('A Linux host at a site.');
