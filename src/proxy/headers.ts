/**
 * Request header hygiene at the edge (responses: forward.ts): hop-by-hop headers never cross the proxy,
 * the X-Forwarded-* and Forwarded headers are the proxy's own (a client's are dropped, never
 * trusted or appended to), and the backend sees the Host the client asked for.
 */
import type { IncomingHttpHeaders } from 'node:http';

export const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'proxy-connection', 'te', 'trailer', 'transfer-encoding', 'upgrade', 'proxy-authorization', 'proxy-authenticate']);
const FORWARDING = new Set(['x-forwarded-for', 'x-forwarded-proto', 'x-forwarded-host', 'x-forwarded-port', 'x-real-ip', 'forwarded']);

/** Headers named in Connection are hop-by-hop too. */
function connectionListed(headers: IncomingHttpHeaders): Set<string> | undefined {
  const c = headers.connection;
  // "keep-alive" and "close" name no other header: the common case needs no set.
  if (!c || c === 'keep-alive' || c === 'close') return undefined;
  return new Set(c.split(',').map((s) => s.trim().toLowerCase()).filter(Boolean));
}

export interface ClientInfo {
  ip: string;
  proto: 'http' | 'https';
  host: string;
}

/** Formats an address for Forwarded: IPv6 quoted in brackets (RFC 7239). */
function forwardedNode(ip: string): string {
  return ip.includes(':') ? `"[${ip}]"` : ip;
}

/** Headers to send to the backend. `keepUpgrade` keeps Connection/Upgrade for a WebSocket handshake. */
export function upstreamHeaders(headers: IncomingHttpHeaders, client: ClientInfo, keepUpgrade = false): Record<string, string | string[]> {
  const listed = connectionListed(headers);
  const out: Record<string, string | string[]> = {};
  for (const name in headers) {
    const value = headers[name];
    if (value === undefined || HOP_BY_HOP.has(name) || FORWARDING.has(name) || listed?.has(name)) continue;
    out[name] = value;
  }
  if (keepUpgrade && headers.upgrade) {
    out.connection = 'upgrade';
    out.upgrade = headers.upgrade;
  }
  out['x-forwarded-for'] = client.ip;
  out['x-forwarded-proto'] = client.proto;
  out['x-forwarded-host'] = client.host;
  out.forwarded = `for=${forwardedNode(client.ip)};proto=${client.proto};host=${client.host}`;
  return out;
}
