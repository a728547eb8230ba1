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

const Cidr = z.string().regex(/^\d{1,3}(\.\d{1,3}){3}(\/\d{1,2})?$/, 'must be an IPv4 address or prefix, like "198.51.100.7" or "198.51.100.0/24"');

export const EgressAllow = z
  .strictObject({
    to: Cidr.describe('Destination address or prefix outside the fleet\'s segments (the controller, a registry mirror, DNS resolvers).'),
    protocol: z.enum(['tcp', 'udp', 'icmp']).default('tcp').describe('Protocol (default tcp).'),
    ports: z.array(PortSpec).optional().describe('Destination ports or ranges; all ports when omitted.'),
    description: Description.optional(),
  })
  .describe('A destination every host may connect to when egress is restricted.');

export const Egress = z
  .strictObject({
    policy: z
      .enum(['open', 'restricted'])
      .default('open')
      .describe('"open" (default): hosts connect anywhere. "restricted": hosts open connections only along the flows from their segment, management segments anywhere in the fleet, and to `allow`.'),
    allow: z.array(EgressAllow).default([]).describe('Destinations outside the flows every host may reach when restricted: the controller first of all.'),
  })
  .describe('What hosts may connect to.');

const NetworkManage = z
  .enum(['panel', 'networkd', 'ifupdown'])
  .describe('Who configures the interface: "panel" (the provider, in its panel or API; hafen reports what to enter), "networkd" or "ifupdown" (hafen renders the snippet: hafen site network).');
const InterfaceName = z
  .string()
  .regex(/^[A-Za-z0-9._-]{1,15}$/, 'must be an interface name like "eth0" or "enp1s0"')
  .describe('The interface the segment address goes on.');

/** How a host's segment address gets onto its interface (every host, unless it says otherwise). */
export const HostNetwork = z
  .strictObject({ manage: NetworkManage.default('panel'), interface: InterfaceName.default('eth0') })
  .describe('The interface configuration of hosts (default: by the provider\'s panel, on eth0).');

/** A host's own interface configuration, field by field over the template's. */
export const HostNetworkOverride = z.strictObject({ manage: NetworkManage.optional(), interface: InterfaceName.optional() });

export const SiteTemplate = z
  .strictObject({
    segments: z.array(Segment).min(1, 'the site template needs at least one segment').describe('Segments every site gets.'),
    firewall: z.array(FirewallRule).default([]).describe('Flows allowed between segments and from the internet.'),
    egress: Egress.default({ policy: 'open', allow: [] }).describe('Outgoing connections: open (default) or restricted to the flows and an allow list.'),
    firewallConfirm: z
      .string()
      .regex(/^\s*\d+\s*(s|m)\s*$/, 'must be a duration like "60s" or "2m"')
      .default('60s')
      .describe('How long an agent waits, after applying a new firewall, to reach the controller over a new connection before it restores the previous ruleset by itself (default "60s").'),
    network: HostNetwork.default({ manage: 'panel', interface: 'eth0' }).describe('How every host\'s interface is configured, unless the host says otherwise (default: by the provider\'s panel, eth0).'),
  })
  .describe('The uniform scheme of segments and firewall policy rolled out to every site.');
