/**
 * A host's firewall (pure): what the site template's policy lets reach the host, rendered as
 * data (named sets of prefixes and accept rules) and as an `nft -f` script for hafen's own
 * table `inet hafen`.
 *
 * Invariants:
 * - only `table inet hafen` is touched: the script creates it (if missing), deletes it and
 *   creates it anew in one `nft -f` transaction, so the replacement is atomic and Docker's
 *   (or anyone's) other tables are never flushed;
 * - input is dropped unless a rule accepts it; replies to the host's own connections
 *   (established/related), loopback and IPv6 neighbour discovery always pass;
 * - output is open, unless the template restricts egress: then only the flows from the host's
 *   segment, management segments to anywhere in the fleet, and the allow list (forgetting the
 *   controller there locks the agent out, which its commit-confirm undoes);
 * - on hosts that run containers (runtime compose), connections to published container ports
 *   (Docker DNATs them, so they pass the forward hook, not input) are held to the same rules as
 *   the input chain, by their original destination port; traffic from the containers' own
 *   bridges and everything else forwarded is left to Docker's chains;
 * - deterministic: sets and rules in a stable order, so a plan shows only real change.
 *
 * Where the rules come from:
 * - every template rule whose `to` is the host's segment; `from` a segment means that
 *   segment at the host's own site (`scope: site`) or at every site (`scope: fleet`);
 * - rules from proxy or edge segments into the segments apps run in (roles apps and data) are
 *   narrowed to the ports of the apps placed on the host (a host without apps gets none): the
 *   proxies reach exactly those replicas;
 * - the probers (management segments, every site) reach the app and check ports of the apps
 *   on the host, so monitoring works under any template;
 * - management hosts take hafen's controller port from every site's prefixes;
 * - witness sites' hosts (probers with a fixed address, outside every prefix) reach the same
 *   check ports and the controller port; a witness host itself gets its segment's flows from
 *   every site (site-scoped ones have no segment there).
 */
import type { Fleet } from '../fleet/model.js';
import { hostSegment, witnessSites } from '../fleet/model.js';
import type { IpamResult } from '../ipam/allocate.js';
import { formatAddress, formatPrefix, parseAddress } from '../ipam/ipv4.js';
import type { Placement } from '../placement/types.js';
import { naturalCompare } from '../util/natural-sort.js';

/** The nftables table hafen owns on every host (family inet). */
export const NFT_TABLE = 'hafen';
/** The controller's port (hafen controller --listen default). */
export const CONTROLLER_PORT = 7400;

export interface NftSet {
  name: string;
  /** What the set holds ("segment mgmt at every site"). */
  comment: string;
  /** Prefixes, sorted. */
  elements: string[];
}

export interface NftRule {
  /** Where the rule comes from: "template: mgmt → apps (fleet)", "apps on this host", … */
  source: string;
  /** Source addresses (a set name), or undefined for anywhere. */
  from?: string;
  /** The `from` as written: "internet", a segment name, "probers", "every site". */
  fromLabel: string;
  protocol: 'tcp' | 'udp' | 'icmp';
  /** Destination ports and ranges ("443", "1024-65535"); undefined: every port. */
  ports?: string[];
  comment: string;
}

/** A destination the host may connect to when egress is restricted. */
export interface NftEgressRule {
  source: string;
  /** A set name, or undefined when `toAddress` is given. */
  to?: string;
  /** A literal address or prefix (the template's egress.allow). */
  toAddress?: string;
  /** The destination as written: a segment name, "every site", an address. */
  toLabel: string;
  protocol: 'tcp' | 'udp' | 'icmp';
  ports?: string[];
  comment: string;
}

export interface HostFirewall {
  host: string;
  site: string;
  segment: string;
  address: string;
  sets: NftSet[];
  rules: NftRule[];
  /** Outgoing connections allowed when the template restricts egress; undefined when open. */
  egress?: NftEgressRule[];
  /** How long the agent waits to reach the controller on a new connection before it restores the previous ruleset. */
  confirmMs: number;
  /** The host runs containers (runtime compose): published ports are filtered like local ones. */
  containers: boolean;
}

type Ipam = Pick<IpamResult, 'segments' | 'hosts'>;

/** An nft identifier from hafen names (letters, digits, underscores). */
const ident = (s: string) => s.replace(/[^A-Za-z0-9_]/g, '_');

/** Ports as nft writes them, merged, sorted, without duplicates. */
function portList(ports: readonly (number | string)[]): string[] {
  return [...new Set(ports.map(String))].sort((a, b) => Number(a.split('-')[0]) - Number(b.split('-')[0]) || a.localeCompare(b));
}

/** The ports of `ports` (numbers) that lie within the template rule's ports (undefined: all). */
function within(ports: readonly number[], allowed: readonly (number | string)[] | undefined): number[] {
  if (!allowed) return [...ports];
  return ports.filter((p) =>
    allowed.some((a) => {
      if (typeof a === 'number') return a === p;
      const [lo, hi] = a.split('-').map(Number) as [number, number];
      return p >= lo && p <= hi;
    }),
  );
}

/** What every host's firewall looks up, by key: built once per fleet, IPAM and placements (a fleet of 10,000 hosts renders in seconds, not minutes). */
interface FirewallIndex {
  fleet: object;
  ipam: Ipam;
  hosts: Map<string, Fleet['hosts'][number]>;
  addressed: Map<string, Ipam['hosts'][number]>;
  appsOn: Map<string, string[]>;
  apps: Map<string, Fleet['apps'][number]>;
  witnessSites: Set<string>;
  witnessAddresses: string[];
}

const INDEXES = new WeakMap<readonly Placement[], FirewallIndex>();

function indexOf(fleet: Pick<Fleet, 'sites' | 'hosts' | 'apps'>, ipam: Ipam, placements: readonly Placement[]): FirewallIndex {
  const known = INDEXES.get(placements);
  if (known && known.fleet === fleet && known.ipam === ipam) return known;
  const witnessSiteIds = witnessSites(fleet.sites);
  const appsOn = new Map<string, string[]>();
  for (const p of placements) {
    const list = appsOn.get(p.host);
    if (list) list.push(p.app);
    else appsOn.set(p.host, [p.app]);
  }
  const index: FirewallIndex = {
    fleet,
    ipam,
    hosts: new Map(fleet.hosts.map((h) => [h.id, h])),
    addressed: new Map(ipam.hosts.map((h) => [h.host, h])),
    appsOn,
    apps: new Map(fleet.apps.map((a) => [a.id, a])),
    witnessSites: witnessSiteIds,
    witnessAddresses: fleet.hosts.filter((h) => witnessSiteIds.has(h.site) && h.address !== undefined).map((h) => h.address!).sort(naturalCompare),
  };
  INDEXES.set(placements, index);
  return index;
}

/**
 * The firewall of `host`, or undefined when the host has no address (IPAM could not place it).
 * `placements` say which apps run on the host.
 */
export function hostFirewall(fleet: Pick<Fleet, 'siteTemplate' | 'sites' | 'hosts' | 'apps'>, ipam: Ipam, placements: readonly Placement[], host: string): HostFirewall | undefined {
  const index = indexOf(fleet, ipam, placements);
  const spec = index.hosts.get(host);
  if (!spec) return undefined;
  // A witness site's hosts keep their fixed public address (no segments there).
  const witnessSiteIds = index.witnessSites;
  const addressed = index.addressed.get(host);
  const address = witnessSiteIds.has(spec.site) ? parseAddress(spec.address ?? '') : addressed?.address;
  if (address === undefined) return undefined;

  const segments = fleet.siteTemplate.segments;
  const segment = hostSegment(spec, segments) ?? addressed?.segment ?? (witnessSiteIds.has(spec.site) ? 'witness' : undefined);
  if (segment === undefined) return undefined;
  const sets = new Map<string, NftSet>();
  /** The set of segment `name` at `site`, or at every site; undefined when it has no prefix. */
  const segmentSet = (name: string, site: string | 'all'): string | undefined => {
    const setName = `seg_${ident(name)}_${site === 'all' ? 'all' : ident(site)}`;
    if (!sets.has(setName)) {
      const elements = ipam.segments.filter((s) => s.segment === name && (site === 'all' || s.site === site)).map((s) => formatPrefix(s.prefix));
      if (elements.length === 0) return undefined;
      sets.set(setName, { name: setName, comment: site === 'all' ? `segment ${name} at every site` : `segment ${name} at ${site}`, elements: elements.sort(naturalCompare) });
    }
    return setName;
  };
  const sitesSet = (): string | undefined => {
    const elements = fleet.sites.flatMap((s) => s.prefixes).sort(naturalCompare);
    if (elements.length === 0) return undefined;
    sets.set('sites_all', { name: 'sites_all', comment: 'every site prefix', elements });
    return 'sites_all';
  };
  /** The witness sites' hosts: probers outside every site prefix. */
  const witnessSet = (): string | undefined => {
    const elements = [...index.witnessAddresses];
    if (elements.length === 0) return undefined;
    sets.set('witnesses', { name: 'witnesses', comment: 'hosts of the witness sites (probers)', elements });
    return 'witnesses';
  };

  // The apps on this host and the ports they take traffic and checks on.
  const apps = [...new Set(index.appsOn.get(host) ?? [])].flatMap((id) => index.apps.get(id) ?? []);
  const appPorts = [...new Set(apps.flatMap((a) => (a.port !== undefined ? [a.port] : [])))];
  const checkPorts = [...new Set(apps.flatMap((a) => [...(a.port !== undefined ? [a.port] : []), ...(a.checks ?? []).flatMap((c) => (c.tcp ? [c.tcp.port] : c.http?.port ? [c.http.port] : []))]))];
  const roleOf = new Map(segments.map((s) => [s.name, s.role]));

  const rules: NftRule[] = [];
  for (const r of fleet.siteTemplate.firewall) {
    if (r.to !== segment) continue;
    const label = `${r.from} → ${r.to}${r.from === 'internet' ? '' : ` (${r.scope})`}`;
    const comment = r.description ?? label;
    let ports = r.ports?.map(String);
    const fromRole = roleOf.get(r.from);
    const runsApps = roleOf.get(segment) === 'apps' || roleOf.get(segment) === 'data';
    if ((fromRole === 'proxy' || fromRole === 'edge') && runsApps && r.protocol !== 'icmp') {
      // Proxies reach the replicas on this host (a segment apps are placed in), on their ports only.
      const reach = within(appPorts, r.ports);
      if (reach.length === 0) continue;
      ports = portList(reach);
    }
    if (r.from === 'internet') {
      rules.push({ source: `template: ${label}`, fromLabel: 'internet', protocol: r.protocol, ...(ports ? { ports: portList(ports) } : {}), comment });
      continue;
    }
    const from = segmentSet(r.from, r.scope === 'fleet' ? 'all' : spec.site);
    if (!from) continue;
    rules.push({ source: `template: ${label}`, from, fromLabel: r.from, protocol: r.protocol, ...(ports ? { ports: portList(ports) } : {}), comment });
  }
  // Probers in the management segments check the apps on this host.
  if (checkPorts.length > 0) {
    for (const m of segments.filter((s) => s.role === 'management')) {
      const from = segmentSet(m.name, 'all');
      if (from) rules.push({ source: 'apps on this host', from, fromLabel: m.name, protocol: 'tcp', ports: portList(checkPorts), comment: `probers check ${apps.map((a) => a.id).sort(naturalCompare).join(', ')}` });
    }
    const witnesses = witnessSet();
    if (witnesses) rules.push({ source: 'apps on this host', from: witnesses, fromLabel: 'witness probers', protocol: 'tcp', ports: portList(checkPorts), comment: `witness probers check ${apps.map((a) => a.id).sort(naturalCompare).join(', ')}` });
  }
  // A management host may run the controller: every site reaches it.
  if (roleOf.get(segment) === 'management') {
    const from = sitesSet();
    if (from) rules.push({ source: 'hafen controller', from, fromLabel: 'every site', protocol: 'tcp', ports: [String(CONTROLLER_PORT)], comment: 'agents, proxies and probers reach the controller' });
    const witnesses = witnessSet();
    if (witnesses) rules.push({ source: 'hafen controller', from: witnesses, fromLabel: 'witness probers', protocol: 'tcp', ports: [String(CONTROLLER_PORT)], comment: 'witness probers reach the controller' });
  }
  const egress = fleet.siteTemplate.egress.policy === 'restricted' ? egressRules(fleet, segment, spec.site, segmentSet, sitesSet) : undefined;
  return {
    host,
    site: spec.site,
    segment,
    address: formatAddress(address),
    sets: [...sets.values()].sort((a, b) => naturalCompare(a.name, b.name)),
    rules,
    ...(egress ? { egress } : {}),
    confirmMs: confirmMs(fleet.siteTemplate.firewallConfirm),
    containers: spec.runtime === 'compose',
  };
}

/** "60s", "2m" in ms. */
function confirmMs(text: string): number {
  const m = /^\s*(\d+)\s*(s|m)\s*$/.exec(text);
  return m ? Number(m[1]) * (m[2] === 'm' ? 60_000 : 1000) : 60_000;
}

/**
 * Restricted egress: the host opens connections only along the flows from its segment (to the
 * target segment at its site or every site, the flow's ports), anywhere in the fleet from a
 * management segment, and to the template's allow list. Nothing else: the controller must be
 * on the allow list (or in a segment a flow reaches), or the agent cannot reach it, and
 * restores its previous ruleset after firewallConfirm.
 */
function egressRules(
  fleet: Pick<Fleet, 'siteTemplate'>,
  segment: string,
  site: string,
  segmentSet: (name: string, site: string | 'all') => string | undefined,
  sitesSet: () => string | undefined,
): NftEgressRule[] {
  const out: NftEgressRule[] = [];
  for (const r of fleet.siteTemplate.firewall) {
    if (r.from !== segment) continue;
    const to = segmentSet(r.to, r.scope === 'fleet' ? 'all' : site);
    if (!to) continue;
    out.push({ source: `template: ${r.from} → ${r.to} (${r.scope})`, to, toLabel: r.to, protocol: r.protocol, ...(r.ports ? { ports: portList(r.ports) } : {}), comment: r.description ?? `${r.from} → ${r.to}` });
  }
  if (fleet.siteTemplate.segments.find((s) => s.name === segment)?.role === 'management') {
    const to = sitesSet();
    if (to) out.push({ source: 'management', to, toLabel: 'every site', protocol: 'tcp', comment: 'management reaches every host of the fleet' });
  }
  for (const a of fleet.siteTemplate.egress.allow) {
    out.push({ source: 'template: egress.allow', toAddress: a.to, toLabel: a.to, protocol: a.protocol, ...(a.ports ? { ports: portList(a.ports) } : {}), comment: a.description ?? `allowed: ${a.to}` });
  }
  return out;
}

/** A comment nft accepts: no quotes or newlines, at most 128 characters. */
const nftComment = (s: string) => s.replace(/["\\\n\r]/g, "'").slice(0, 128);

/** What follows the address match: protocol and ports, accept, the comment. */
function matchTail(r: Pick<NftRule, 'protocol' | 'ports' | 'comment'>, parts: string[], original = false): string {
  const ports = r.ports?.length ? (r.ports.length === 1 ? r.ports[0]! : `{ ${r.ports.join(', ')} }`) : undefined;
  if (r.protocol === 'icmp') parts.push('ip protocol icmp');
  // A published port is matched by the destination port before Docker's DNAT rewrote it.
  else if (ports && original) parts.push(`meta l4proto ${r.protocol} ct original proto-dst ${ports}`);
  else if (ports) parts.push(`${r.protocol} dport ${ports}`);
  else parts.push(`meta l4proto ${r.protocol}`);
  parts.push('accept', `comment "${nftComment(r.comment)}"`);
  return parts.join(' ');
}

/** One outgoing rule as an nft statement. */
export function nftEgressRule(r: NftEgressRule): string {
  return matchTail(r, [r.to ? `ip daddr @${r.to}` : `ip daddr ${r.toAddress}`]);
}

/** One rule as an nft statement; `published`: for connections to published container ports (by their original port). */
export function nftRule(r: NftRule, published = false): string {
  const parts: string[] = [];
  if (r.from) parts.push(`ip saddr @${r.from}`);
  return matchTail(r, parts, published);
}

/**
 * The `nft -f` script that replaces hafen's table with this firewall in one transaction
 * (create if missing, delete, create: nft applies a file atomically or not at all).
 */
export function nftScript(fw: HostFirewall): string {
  const lines = [
    `# hafen firewall of ${fw.host} (site ${fw.site}, segment ${fw.segment}, ${fw.address}); rendered by hafen, replaced as a whole`,
    `table inet ${NFT_TABLE}`,
    `delete table inet ${NFT_TABLE}`,
    `table inet ${NFT_TABLE} {`,
  ];
  for (const s of fw.sets) {
    lines.push(`\tset ${s.name} {`, '\t\ttype ipv4_addr', '\t\tflags interval', `\t\tcomment "${nftComment(s.comment)}"`, `\t\telements = { ${s.elements.join(', ')} }`, '\t}');
  }
  lines.push(
    '\tchain input {',
    '\t\ttype filter hook input priority filter; policy drop;',
    '\t\tct state established,related accept comment "replies to this host\'s own connections"',
    '\t\tct state invalid drop',
    '\t\tiif "lo" accept',
    '\t\tmeta l4proto ipv6-icmp icmpv6 type { nd-neighbor-solicit, nd-neighbor-advert, nd-router-advert } accept comment "IPv6 neighbour discovery"',
    ...fw.rules.map((r) => `\t\t${nftRule(r)}`),
    '\t}',
  );
  if (fw.containers) {
    lines.push(
      '\tchain forward {',
      '\t\ttype filter hook forward priority filter - 1; policy accept;',
      '\t\tiifname "docker0" accept comment "from the containers: left to Docker\'s chains"',
      '\t\tiifname "br-*" accept comment "from compose networks: left to Docker\'s chains"',
      '\t\tct status dnat ct state new jump published comment "new connections to published container ports"',
      '\t}',
      '\tchain published {',
      ...fw.rules.filter((r) => r.protocol !== 'icmp').map((r) => `\t\t${nftRule(r, true)}`),
      '\t\tdrop comment "published ports take only what the input rules allow"',
      '\t}',
    );
  }
  if (fw.egress) {
    lines.push(
      '\tchain output {',
      '\t\ttype filter hook output priority filter; policy drop;',
      '\t\tct state established,related accept comment "replies, and connections made before"',
      '\t\toif "lo" accept',
      '\t\tmeta l4proto ipv6-icmp icmpv6 type { nd-neighbor-solicit, nd-neighbor-advert, nd-router-solicit } accept comment "IPv6 neighbour discovery"',
      ...fw.egress.map((r) => `\t\t${nftEgressRule(r)}`),
      '\t}',
    );
  }
  lines.push('}');
  return `${lines.join('\n')}\n`;
}
