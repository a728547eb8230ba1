/**
 * A host's network configuration (pure): its segment address and prefix length, and the
 * segment's gateway, rendered for whoever configures the interface: a systemd-networkd or
 * ifupdown snippet where hafen manages interfaces (`network.manage`), otherwise the values to
 * enter in the provider's panel.
 *
 * The gateway is the first address after the segment's network address, the first of the
 * addresses the template reserves (`reserved`, default 1) for the gateway and network gear; a
 * segment that reserves none gets no gateway line (its hosts are routed some other way).
 */
import type { Fleet } from '../fleet/model.js';
import type { IpamResult } from '../ipam/allocate.js';
import { formatAddress, formatPrefix } from '../ipam/ipv4.js';

export type NetworkManage = 'panel' | 'networkd' | 'ifupdown';

export interface HostNetworkConfig {
  host: string;
  site: string;
  segment: string;
  /** "198.18.0.2/26". */
  address: string;
  /** The segment's prefix, "198.18.0.0/26". */
  prefix: string;
  gateway?: string;
  interface: string;
  manage: NetworkManage;
}

/** The host's configuration, or undefined when IPAM gave it no address. */
export function hostNetwork(fleet: Pick<Fleet, 'hosts' | 'siteTemplate'>, ipam: Pick<IpamResult, 'segments' | 'hosts'>, host: string): HostNetworkConfig | undefined {
  const spec = fleet.hosts.find((h) => h.id === host);
  const alloc = ipam.hosts.find((h) => h.host === host);
  if (!spec || !alloc) return undefined;
  const seg = ipam.segments.find((s) => s.site === alloc.site && s.segment === alloc.segment);
  if (!seg) return undefined;
  const net = { ...fleet.siteTemplate.network, ...spec.network };
  return {
    host,
    site: alloc.site,
    segment: alloc.segment,
    address: `${formatAddress(alloc.address)}/${seg.prefix.length}`,
    prefix: formatPrefix(seg.prefix),
    ...(seg.reserved >= 1 ? { gateway: formatAddress(seg.prefix.base + 1) } : {}),
    interface: net.interface,
    manage: net.manage,
  };
}

const header = (n: HostNetworkConfig) => `# hafen: ${n.host} (site ${n.site}, segment ${n.segment} ${n.prefix}); rendered by hafen`;

/** /etc/systemd/network/10-hafen.network */
export function networkdSnippet(n: HostNetworkConfig): string {
  return [header(n), '[Match]', `Name=${n.interface}`, '', '[Network]', `Address=${n.address}`, ...(n.gateway ? [`Gateway=${n.gateway}`] : []), ''].join('\n');
}

/** /etc/network/interfaces.d/hafen */
export function ifupdownSnippet(n: HostNetworkConfig): string {
  return [header(n), `auto ${n.interface}`, `iface ${n.interface} inet static`, `\taddress ${n.address}`, ...(n.gateway ? [`\tgateway ${n.gateway}`] : []), ''].join('\n');
}

/** What to enter in the provider's panel. */
export function panelText(n: HostNetworkConfig): string {
  return `${n.host}: ${n.interface} ${n.address}${n.gateway ? `, gateway ${n.gateway}` : ', no gateway (the segment reserves no address for one)'} (site ${n.site}, segment ${n.segment} ${n.prefix})\n`;
}

/** The configuration in the form its `manage` asks for. */
export function networkConfigText(n: HostNetworkConfig): string {
  return n.manage === 'networkd' ? networkdSnippet(n) : n.manage === 'ifupdown' ? ifupdownSnippet(n) : panelText(n);
}
