/**
 * The edge proxies of a site (pure): where each listens, from the template's flows from the
 * internet into its segment (port 80 → plain HTTP, 443 → HTTPS), how it is started (a systemd
 * unit for `hafen proxy`), and the route table it serves: every domain with its replicas, the
 * site's own first (each proxy prefers its site and fails over to the others).
 */
import type { Fleet } from '../fleet/model.js';
import type { IpamResult } from '../ipam/allocate.js';
import { formatAddress } from '../ipam/ipv4.js';
import type { Placement } from '../placement/types.js';
import { routeTable } from './routes.js';

export interface SiteProxy {
  host: string;
  address: string;
  segment: string;
  /** host:port of plain HTTP, when the template lets the internet reach port 80. */
  listen?: string;
  /** host:port of HTTPS, when the template lets the internet reach port 443. */
  tlsListen?: string;
  /** Ports the internet may reach on the proxy that no listener takes. */
  otherPorts: string[];
}

export interface SiteProxies {
  site: string;
  proxies: SiteProxy[];
  /** Each domain and its replicas, the site's own first. */
  routes: { host: string; pathPrefix: string; app: string; replicas: { id: string; site: string; address: string; port: number; local: boolean }[] }[];
}

/** Does a template rule's port list take `port` (undefined: every port)? */
const takes = (ports: readonly (number | string)[] | undefined, port: number) =>
  !ports || ports.some((p) => (typeof p === 'number' ? p === port : Number(p.split('-')[0]) <= port && port <= Number(p.split('-')[1])));

export function siteProxies(fleet: Fleet, ipam: Pick<IpamResult, 'hosts'>, placements: readonly Placement[], site: string): SiteProxies | undefined {
  if (!fleet.sites.some((s) => s.id === site)) return undefined;
  const addresses = new Map(ipam.hosts.map((h) => [h.host, formatAddress(h.address)]));
  const proxies: SiteProxy[] = [];
  for (const h of fleet.hosts.filter((x) => x.site === site && (x.role === 'proxy' || x.role === 'edge'))) {
    const address = addresses.get(h.id);
    if (!address) continue;
    const open = fleet.siteTemplate.firewall.filter((r) => r.from === 'internet' && r.to === h.segment && r.protocol === 'tcp');
    const plain = open.some((r) => takes(r.ports, 80));
    const tls = open.some((r) => takes(r.ports, 443));
    const otherPorts = [...new Set(open.flatMap((r) => (r.ports ?? ['all']).map(String)))].filter((p) => p !== '80' && p !== '443');
    proxies.push({ host: h.id, address, segment: h.segment, ...(plain ? { listen: `${address}:80` } : {}), ...(tls ? { tlsListen: `${address}:443` } : {}), otherPorts });
  }
  const table = routeTable(fleet, placements, 0, addresses);
  const routes = table.routes.map((r) => ({
    host: r.host,
    pathPrefix: r.pathPrefix,
    app: r.app,
    replicas: r.replicas
      .map((x) => ({ id: x.id, site: x.site, address: x.address, port: x.port, local: x.site === site }))
      .sort((a, b) => Number(b.local) - Number(a.local)),
  }));
  return { site, proxies, routes };
}

/** How a proxy reaches the controller: its URL(s), the CA its certificate chains to, plain HTTP allowed. */
export interface ProxyController {
  url: string;
  ca?: string;
  allowPlainHttp?: boolean;
}

/** A systemd unit that runs `hafen proxy` for one proxy host, following `controller`. */
export function proxyUnit(p: SiteProxy, site: string, controller: ProxyController): string {
  const args = [`--controller ${controller.url}`, `--site ${site}`, '--data /var/lib/hafen', `--listen ${p.listen ?? `${p.address}:80`}`];
  if (controller.ca) args.splice(1, 0, `--ca ${controller.ca}`);
  if (controller.allowPlainHttp) args.splice(1, 0, '--allow-plain-http');
  if (p.tlsListen) args.push(`--tls-listen ${p.tlsListen}`, '--certs /etc/hafen/certs');
  return [
    `# hafen: the edge proxy of ${p.host} (site ${site}); rendered by hafen`,
    '[Unit]',
    `Description=hafen edge proxy (${p.host}, site ${site})`,
    'Wants=network-online.target',
    'After=network-online.target',
    '',
    '[Service]',
    `ExecStart=/usr/local/bin/hafen proxy ${args.join(' ')}`,
    'Restart=always',
    'RestartSec=1',
    'LimitNOFILE=65536',
    '',
    '[Install]',
    'WantedBy=multi-user.target',
    '',
  ].join('\n');
}

export function siteProxiesText(s: SiteProxies): string {
  const lines = [`edge proxies of site ${s.site}:`];
  if (s.proxies.length === 0) lines.push('  none (no host of role proxy or edge with an address)');
  for (const p of s.proxies) {
    const where = [p.listen ? `http ${p.listen}` : '', p.tlsListen ? `https ${p.tlsListen}` : ''].filter(Boolean).join(', ');
    lines.push(`  ${p.host.padEnd(20)} ${where || `no listener: the template lets nothing from the internet reach port 80 or 443 of segment ${p.segment}`}${p.otherPorts.length ? ` (also open to the internet, no listener: ${p.otherPorts.join(', ')})` : ''}`);
  }
  lines.push('', `routes (${s.routes.length}; replicas at ${s.site} first, the others take over when they fail):`);
  for (const r of s.routes) {
    lines.push(`  ${`${r.host}${r.pathPrefix === '/' ? '' : r.pathPrefix}`.padEnd(36)} ${r.app.padEnd(28)} ${r.replicas.map((x) => `${x.id}@${x.site}${x.local ? '*' : ''} ${x.address}:${x.port}`).join(', ') || 'no replica with an address'}`);
  }
  return `${lines.join('\n')}\n`;
}
