/**
 * Sends a dynamic DNS update (core/render/dns.ts renders it) to a zone's primary server, signed
 * with the zone's TSIG key, through Debian's `nsupdate` (bind9-dnsutils): a well-kept RFC 2136
 * and RFC 8945 client rather than a hand-written one. The key goes to nsupdate in a file only
 * this process can read (never on its command line, where `ps` would show it) that is removed
 * afterwards; errors name the server and what it answered, never the key's secret.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { HafenError } from '../lib/errors.js';

export const TSIG_ALGORITHMS = ['hmac-sha256', 'hmac-sha384', 'hmac-sha512'] as const;

export interface TsigKey {
  name: string;
  algorithm: (typeof TSIG_ALGORITHMS)[number];
  /** The shared secret, base64. */
  secret: string;
}

export interface DnsUpdateOptions {
  /** The nsupdate binary (default: nsupdate on the PATH). */
  binary?: string;
  /** How long the server may take to answer (default 5 s). */
  timeoutMs?: number;
}

/** BIND's key-file format, as nsupdate -k reads it. */
function keyFile(key: TsigKey): string {
  if (!/^[A-Za-z0-9._-]+$/.test(key.name)) throw new HafenError('HAFEN_DNS_BAD_KEY', `the TSIG key name ${JSON.stringify(key.name)} must be letters, digits, ".", "_" or "-"`);
  if (!(TSIG_ALGORITHMS as readonly string[]).includes(key.algorithm)) throw new HafenError('HAFEN_DNS_BAD_KEY', `the TSIG key ${key.name}: algorithm ${key.algorithm} is not one of ${TSIG_ALGORITHMS.join(', ')}`);
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(key.secret) || Buffer.from(key.secret, 'base64').length < 16) throw new HafenError('HAFEN_DNS_BAD_KEY', `the TSIG key ${key.name}: its secret is not base64 of at least 16 bytes`);
  return `key "${key.name}" {\n  algorithm ${key.algorithm};\n  secret "${key.secret}";\n};\n`;
}

/** Why nsupdate failed, from what it printed: unreachable (retry later), refused by the server, or something else. */
function failure(server: string, stderr: string, code: number | null): HafenError {
  const said = stderr.split('\n').map((l) => l.trim()).filter(Boolean).slice(-3).join('; ') || `nsupdate exited with ${code}`;
  if (/timed out|connection refused|network is unreachable|host is unreachable|couldn't get address|communication with .* failed/i.test(stderr)) {
    return new HafenError('HAFEN_DNS_UNREACHABLE', `the DNS server ${server} did not take the update: ${said}`);
  }
  if (/REFUSED|NOTAUTH|NOTZONE|BADSIG|BADKEY|BADTIME|tsig verify failure/i.test(stderr)) {
    return new HafenError('HAFEN_DNS_REFUSED', `the DNS server ${server} refused the update (check the zone, the TSIG key and the server's update ACL): ${said}`);
  }
  return new HafenError('HAFEN_DNS_UPDATE', `the update to the DNS server ${server} failed: ${said}`);
}

/** Sends `script` (nsupdate input) signed with `key`; resolves once the server confirmed it. */
export async function sendDnsUpdate(script: string, key: TsigKey, server: string, o: DnsUpdateOptions = {}): Promise<void> {
  const text = keyFile(key);
  const dir = mkdtempSync(join(tmpdir(), 'hafen-nsupdate-'));
  try {
    const file = join(dir, 'tsig.key');
    writeFileSync(file, text, { mode: 0o600 });
    const seconds = Math.max(1, Math.ceil((o.timeoutMs ?? 5000) / 1000));
    // -v: TCP (a large update fits, no truncation); -t: the whole update's time limit.
    const child = spawn(o.binary ?? 'nsupdate', ['-v', '-t', String(seconds), '-k', file], { stdio: ['pipe', 'pipe', 'pipe'] });
    let stderr = '';
    child.stdout!.on('data', (d: Buffer) => (stderr += d.toString()));
    child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    const code = await new Promise<number | null>((resolve, reject) => {
      child.once('error', (err: NodeJS.ErrnoException) =>
        reject(err.code === 'ENOENT' ? new HafenError('HAFEN_DNS_UPDATE', `${o.binary ?? 'nsupdate'} is not installed: DNS updates need it (apt install bind9-dnsutils)`) : err),
      );
      child.once('close', resolve);
      child.stdin!.on('error', () => {});
      child.stdin!.end(script);
    });
    if (code !== 0) throw failure(server, stderr, code);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
