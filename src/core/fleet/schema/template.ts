/** The site template: the uniform scheme of segments and firewall policy every site gets. */
import { z } from 'zod';
import { Description, Port } from './common.js';

export const SEGMENT_ROLES = ['edge', 'proxy', 'apps', 'data', 'management', 'backup'] as const;
export type SegmentRole = (typeof SEGMENT_ROLES)[number];

export const Segment = z
  .strictObject({
    name: z
      .string()
      .regex(/^[a-z][a-z0-9-]{0,30}$/, 'must be a short lower-case name, like "apps"')
      .describe('Name of the segment, the same at every site.'),
    prefixLength: z
      .number()
      .int()
      .min(8, 'a segment prefix length must be between 8 and 30')
      .max(30, 'a segment prefix length must be between 8 and 30')
      .describe('Size of the segment at every site, e.g. 26 for a /26 (62 usable addresses).'),
    role: z.enum(['edge', 'proxy', 'apps', 'data', 'management', 'backup']).describe('What the segment is for.'),
    reserved: z
      .number()
      .int()
      .min(0)
      .default(1)
      .describe('Addresses at the start of the segment kept for the gateway and network gear (default 1).'),
    description: Description.optional(),
  })
  .describe('A network segment that every site gets, carved from the site prefixes.');

const PortSpec = z.union([
  Port,
  z.string().regex(/^\d{1,5}-\d{1,5}$/, 'a port range is written "from-to", like "30000-32767"'),
]);

export const FirewallRule = z
  .strictObject({
    from: z
      .string()
      .describe('Where traffic comes from: "internet", or the name of a segment.'),
    to: z.string().describe('The segment traffic goes to.'),
    protocol: z.enum(['tcp', 'udp', 'icmp']).default('tcp').describe('Protocol (default tcp).'),
    ports: z.array(PortSpec).optional().describe('Destination ports or ranges; all ports when omitted.'),
    scope: z
      .enum(['site', 'fleet'])
      .default('site')
      .describe('"site": only from the same site; "fleet": from that segment at every site (inter-site links).'),
    description: Description.optional(),
  })
  .describe('An allowed flow; everything not allowed is dropped.');

export const SiteTemplate = z
  .strictObject({
    segments: z.array(Segment).min(1, 'the site template needs at least one segment').describe('Segments every site gets.'),
    firewall: z.array(FirewallRule).default([]).describe('Flows allowed between segments and from the internet.'),
  })
  .describe('The uniform scheme of segments and firewall policy rolled out to every site.');
