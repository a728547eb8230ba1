/**
 * Plain HTTP stays on this machine. Host credentials, API tokens and app secrets' values cross
 * the controller's API, so by default every hafen process refuses to serve or reach a
 * controller over plain HTTP anywhere but loopback (127.0.0.0/8, ::1, localhost): the
 * controller with --tls-cert/--tls-key and https:// URLs, or the operator says the network is
 * trusted with --allow-plain-http (or HAFEN_ALLOW_PLAIN_HTTP=1).
 */
import { BlockList, isIP } from 'node:net';
import { HafenError } from './errors.js';

/** How to say yes, for error messages. */
export const ALLOW_PLAIN_HTTP = '--allow-plain-http (or HAFEN_ALLOW_PLAIN_HTTP=1)';

/** The help of --allow-plain-http wherever a process talks to a controller. */
export const ALLOW_PLAIN_HTTP_HELP = 'talk to a controller on another machine over plain http:// (only on a network you trust: credentials and secret values cross it in clear; or HAFEN_ALLOW_PLAIN_HTTP=1); without it only https:// and loopback are used';

const LOOPBACK = new BlockList();
LOOPBACK.addSubnet('127.0.0.0', 8, 'ipv4');
LOOPBACK.addAddress('::1', 'ipv6');

/** Whether a host name or address (brackets allowed) is this machine's loopback. */
export function isLoopbackHost(host: string): boolean {
  const h = host.replace(/^\[(.*)\]$/, '$1').replace(/\.$/, '').toLowerCase();
  if (h === 'localhost' || h.endsWith('.localhost')) return true;
  const family = isIP(h);
  // IPv4-mapped IPv6 addresses (::ffff:127.0.0.1) count as their IPv4 address.
  return family !== 0 && LOOPBACK.check(h, family === 4 ? 'ipv4' : 'ipv6');
}

/** --allow-plain-http, else HAFEN_ALLOW_PLAIN_HTTP (1/true/yes or 0/false/no; anything else is an error). */
export function plainHttpAllowed(flag: boolean | undefined, env: NodeJS.ProcessEnv = process.env): boolean {
  if (flag) return true;
  const v = (env.HAFEN_ALLOW_PLAIN_HTTP ?? '').trim().toLowerCase();
  if (v === '' || v === '0' || v === 'false' || v === 'no') return false;
  if (v === '1' || v === 'true' || v === 'yes') return true;
  throw new HafenError('HAFEN_CLI_BAD_OPTION', `HAFEN_ALLOW_PLAIN_HTTP must be 1, true or yes (or 0, false, no), not "${env.HAFEN_ALLOW_PLAIN_HTTP}"`);
}

/**
 * Refuses controller URLs that would carry credentials over plain HTTP off this machine, unless
 * allowed. `where` names the option or variable the URLs came from.
 */
export function refusePlainHttpUrls(urls: readonly string[], where: string, allowed: boolean): void {
  for (const u of urls) {
    let url: URL;
    try {
      url = new URL(u);
    } catch {
      throw new HafenError('HAFEN_CLI_BAD_OPTION', `${where}: "${u}" is not a URL (expected https://HOST:PORT, or http://127.0.0.1:PORT on this machine)`);
    }
    if (url.protocol === 'https:') continue;
    if (url.protocol !== 'http:') throw new HafenError('HAFEN_CLI_BAD_OPTION', `${where}: "${u}" is neither http:// nor https://`);
    if (allowed || isLoopbackHost(url.hostname)) continue;
    throw new HafenError(
      'HAFEN_PLAIN_HTTP_REFUSED',
      `${where}: ${url.origin} is plain HTTP to another machine: the host credential or API token, and secret values, would cross the network in clear. Use https:// (the controller with --tls-cert/--tls-key; --ca or HAFEN_CA for a private CA), or on a network you trust, ${ALLOW_PLAIN_HTTP}`,
    );
  }
}

/** Refuses serving the API over plain HTTP on an address other machines reach, unless allowed. */
export function refusePlainHttpListen(listen: string, host: string, allowed: boolean): void {
  if (allowed || isLoopbackHost(host)) return;
  throw new HafenError(
    'HAFEN_PLAIN_HTTP_REFUSED',
    `--listen ${listen} without --tls-cert/--tls-key would serve the API in plain HTTP to other machines: host credentials, API tokens and secret values would cross the network in clear. Give --tls-cert and --tls-key, listen on loopback (127.0.0.1) behind a TLS proxy of your own, or on a network you trust, ${ALLOW_PLAIN_HTTP}`,
  );
}
