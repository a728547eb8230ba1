/**
 * The host ports a compose project publishes (pure), read as Compose reads `ports:`: short
 * syntax ("8080:80", "127.0.0.1:8080:80", "8000-8001:80-81", "9090:9090/udp"; "80" alone
 * publishes nothing fixed), long syntax ({target, published, host_ip, protocol}). A host port is
 * "PORT/PROTOCOL"; two apps publishing one may not share a host. Values with variables cannot be
 * known before Compose interpolates them: `unknown` says a service has one.
 */

export interface PublishedPorts {
  /** "8080/tcp", sorted, each once. */
  ports: string[];
  /** True when a port entry holds a variable (or is not understood): the list may be incomplete. */
  unknown: boolean;
}

/** "8000-8002" → [8000, 8001, 8002]; undefined when it is not a port or a range of at most 1,000. */
function range(text: string): number[] | undefined {
  const m = /^(\d{1,5})(?:-(\d{1,5}))?$/.exec(text.trim());
  if (!m) return undefined;
  const from = Number(m[1]);
  const to = m[2] === undefined ? from : Number(m[2]);
  if (from < 1 || to > 65535 || to < from || to - from > 1000) return undefined;
  return Array.from({ length: to - from + 1 }, (_, i) => from + i);
}

/** The host ports ("8080/tcp") of one `ports:` entry: none when it publishes no fixed one; undefined when it cannot be read. */
function entryPorts(entry: unknown): string[] | undefined {
  if (typeof entry === 'number') return [];
  let published: string | undefined;
  let protocol = 'tcp';
  if (typeof entry === 'string') {
    if (entry.includes('$')) return undefined;
    const [spec, proto] = entry.split('/');
    if (proto) protocol = proto;
    // An IPv6 host address is bracketed: "[::1]:8080:80".
    const rest = spec!.startsWith('[') ? spec!.slice(spec!.indexOf(']') + 2) : spec!;
    const parts = rest.split(':');
    published = spec!.startsWith('[') ? parts[0] : parts.length >= 2 ? parts.at(-2) : undefined;
  } else if (entry !== null && typeof entry === 'object') {
    const e = entry as { published?: unknown; protocol?: unknown };
    if (e.published !== undefined) published = String(e.published);
    if (typeof e.protocol === 'string') protocol = e.protocol;
  } else return undefined;
  // "80" or "127.0.0.1::80": Docker picks a free host port.
  if (published === undefined || published === '') return [];
  if (published.includes('$')) return undefined;
  return range(published)?.map((p) => `${p}/${protocol}`);
}

/** The host ports the services publish. */
export function publishedPorts(services: Record<string, unknown>): PublishedPorts {
  const ports = new Set<string>();
  let unknown = false;
  for (const spec of Object.values(services)) {
    const list = spec !== null && typeof spec === 'object' ? (spec as { ports?: unknown }).ports : undefined;
    if (list === undefined) continue;
    if (!Array.isArray(list)) {
      unknown = true;
      continue;
    }
    for (const entry of list) {
      const got = entryPorts(entry);
      if (got === undefined) unknown = true;
      else for (const p of got) ports.add(p);
    }
  }
  return { ports: [...ports].sort((a, b) => parseInt(a, 10) - parseInt(b, 10) || (a < b ? -1 : 1)), unknown };
}
