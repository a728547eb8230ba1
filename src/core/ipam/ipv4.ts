/**
 * IPv4 addresses and prefixes as plain numbers (0 … 2^32-1), parsed and printed with the
 * ip-address library. Numbers rather than objects keep allocation loops cheap and exact.
 */
import { Address4 } from 'ip-address';

export interface Prefix {
  /** First address of the prefix. */
  base: number;
  /** Prefix length, 0..32. */
  length: number;
}

export type PrefixParse =
  | { ok: true; prefix: Prefix }
  | { ok: false; reason: string; suggestion?: string };

/** Parses "a.b.c.d/len"; rejects host bits set (suggesting the network it probably means). */
export function parsePrefix(text: string): PrefixParse {
  const trimmed = text.trim();
  if (!/^\d{1,3}(\.\d{1,3}){3}\/\d{1,2}$/.test(trimmed)) {
    return { ok: false, reason: 'is not an IPv4 prefix in CIDR notation (like "198.18.0.0/23")' };
  }
  if (!Address4.isValid(trimmed)) {
    return { ok: false, reason: 'is not a valid IPv4 prefix (octets 0-255 without leading zeros, length 0-32)' };
  }
  const parsed = new Address4(trimmed);
  const length = parsed.subnetMask;
  const base = Number(parsed.startAddress().bigInt());
  const given = Number(parsed.bigInt());
  if (given !== base) {
    const suggestion = formatPrefix({ base, length });
    return { ok: false, reason: `has host bits set; the network is ${suggestion}`, suggestion };
  }
  return { ok: true, prefix: { base, length } };
}

/** Parses a plain address "a.b.c.d"; undefined when it is not one. */
export function parseAddress(text: string): number | undefined {
  const trimmed = text.trim();
  if (!/^\d{1,3}(\.\d{1,3}){3}$/.test(trimmed) || !Address4.isValid(trimmed)) return undefined;
  return Number(new Address4(trimmed).bigInt());
}

export function formatAddress(addr: number): string {
  return Address4.fromBigInt(BigInt(addr)).correctForm();
}

export function formatPrefix(p: Prefix): string {
  return `${formatAddress(p.base)}/${p.length}`;
}

/** Number of addresses in the prefix. */
export function prefixSize(p: Prefix): number {
  return 2 ** (32 - p.length);
}

/** Last address of the prefix. */
export function prefixEnd(p: Prefix): number {
  return p.base + prefixSize(p) - 1;
}

export function containsAddress(p: Prefix, addr: number): boolean {
  return addr >= p.base && addr <= prefixEnd(p);
}

export function overlaps(a: Prefix, b: Prefix): boolean {
  return a.base <= prefixEnd(b) && b.base <= prefixEnd(a);
}

export function containsPrefix(outer: Prefix, inner: Prefix): boolean {
  return inner.base >= outer.base && prefixEnd(inner) <= prefixEnd(outer);
}

/** Addresses a segment can give to hosts: not the network, broadcast or reserved ones. */
export function usableRange(p: Prefix, reserved: number): { first: number; last: number } {
  // /31 and /32 have no network/broadcast address (RFC 3021); segments are limited to /30.
  const first = p.base + 1 + reserved;
  const last = prefixEnd(p) - 1;
  return { first, last };
}

/** Count of usable addresses (never negative). */
export function usableCount(p: Prefix, reserved: number): number {
  const { first, last } = usableRange(p, reserved);
  return Math.max(0, last - first + 1);
}
