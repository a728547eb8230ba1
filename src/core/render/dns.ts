/**
 * Dynamic DNS updates (RFC 2136) as data: the input of `nsupdate` that replaces the address
 * records of names in one zone. Each name's A and AAAA sets are replaced whole (deleted, then
 * added), so an update is idempotent and a repeat changes nothing; an empty list withdraws the
 * name's addresses. The executor (controller/dns-update.ts) signs it with a TSIG key and sends it.
 */
import { Address4, Address6 } from 'ip-address';

/** Plain addresses only: no prefix length, no zone id (ip-address accepts both). */
const isIPv4 = (a: string) => /^\d{1,3}(\.\d{1,3}){3}$/.test(a) && Address4.isValid(a);
const isIPv6 = (a: string) => /^[0-9a-f:]+$/i.test(a) && Address6.isValid(a);

export interface DnsServer {
  /** Address (or name) of the zone's primary server. */
  host: string;
  port: number;
}

export interface AddressSet {
  /** A name inside the zone ("shop.example.com", "*.example.com"). */
  name: string;
  /** Every address the name should resolve to now, IPv4 and IPv6 mixed; empty withdraws them. */
  addresses: readonly string[];
}

const absolute = (name: string) => (name.endsWith('.') ? name : `${name}.`).toLowerCase();

/** A host name, absolute, optionally a wildcard: letters, digits, "-" and "_" in dot-separated labels (nothing nsupdate would read as syntax). */
const NAME = /^(\*\.)?([a-z0-9_]([a-z0-9_-]{0,61}[a-z0-9_])?\.)+$/;

function checkedName(name: string, what: string): string {
  const n = absolute(name);
  if (!NAME.test(n)) throw new Error(`${what} ${JSON.stringify(name)} is not a host name`);
  return n;
}

/** Whether `name` lies in `zone` (the zone's apex included). */
export function inZone(name: string, zone: string): boolean {
  const n = absolute(name);
  const z = absolute(zone);
  return n === z || n.endsWith(`.${z}`);
}

/**
 * nsupdate's input: for each set, its name's A and AAAA records replaced by `addresses` with
 * `ttl` seconds. Throws on a name outside the zone or something that is not an address (the
 * caller's data is wrong; nothing is sent).
 */
export function nsupdateScript(server: DnsServer, zone: string, sets: readonly AddressSet[], ttl: number): string {
  if (!Number.isInteger(ttl) || ttl < 1) throw new Error(`a TTL is a whole number of seconds, not ${ttl}`);
  if (!(isIPv4(server.host) || isIPv6(server.host) || NAME.test(absolute(server.host))) || !Number.isInteger(server.port) || server.port < 1 || server.port > 65535) {
    throw new Error(`the DNS server ${JSON.stringify(server.host)} port ${server.port} is not an address and port`);
  }
  const lines = [`server ${server.host} ${server.port}`, `zone ${checkedName(zone, 'the zone')}`];
  for (const set of [...sets].sort((a, b) => (absolute(a.name) < absolute(b.name) ? -1 : 1))) {
    const name = checkedName(set.name, 'the name');
    if (!inZone(set.name, zone)) throw new Error(`${set.name} is not in zone ${zone}`);
    lines.push(`update delete ${name} A`, `update delete ${name} AAAA`);
    for (const a of [...new Set(set.addresses)].sort()) {
      if (isIPv4(a)) lines.push(`update add ${name} ${ttl} A ${a}`);
      else if (isIPv6(a)) lines.push(`update add ${name} ${ttl} AAAA ${a}`);
      else throw new Error(`${a} (for ${set.name}) is not an IPv4 or IPv6 address`);
    }
  }
  lines.push('send', '');
  return lines.join('\n');
}
