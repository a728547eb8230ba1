/**
 * Request header hygiene at the edge (responses: forward.ts): hop-by-hop headers never cross the proxy,
 * the X-Forwarded-* and Forwarded headers are the proxy's own (a client's are dropped, never
 * trusted or appended to), as are the other headers some backends take a client's address or
 * path from (True-Client-IP, X-Client-IP, CF-Connecting-IP, X-Original-URL, …), and the backend
 * sees the Host the client asked for (a Connection header naming it does not remove it).
 */
import type { IncomingHttpHeaders } from 'node:http';
import { CLIENT_CLAIM_HEADERS } from '../core/render/client-claims.js';

export const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'proxy-connection', 'te', 'trailer', 'transfer-encoding', 'upgrade', 'proxy-authorization', 'proxy-authenticate']);
const FORWARDING = new Set<string>(['x-forwarded-for', 'x-forwarded-proto', 'x-forwarded-host', 'forwarded', ...CLIENT_CLAIM_HEADERS]);

/** Headers named in Connection are hop-by-hop too. */
function connectionListed(headers: IncomingHttpHeaders): Set<string> | undefined {
  const c = headers.connection;
  // "keep-alive" and "close" name no other header: the common case needs no set.
  if (!c || c === 'keep-alive' || c === 'close') return undefined;
  return new Set(c.split(',').map((s) => s.trim().toLowerCase()).filter((s) => s && s !== 'host'));
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
