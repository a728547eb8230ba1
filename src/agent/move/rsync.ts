/**
 * One volume of a move, pulled with rsync over ssh from the source host (where rrsync lets this
 * move's key read that volume only): the copy (`-a --delete`, numeric ids, so the target ends
 * as the source is), and the check after a final copy (`--checksum --dry-run`: every file read
 * on both sides; anything listed differs). ssh failures are retried for a while, since the
 * source host's agent lets the key in only once the controller has passed it on.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { sshOptions } from '../backup/ssh.js';

/** A word of rsync's -e command: rsync splits on spaces and keeps quoted words, a doubled quote being a quote (no backslashes: not sh's rules). */
const quote = (s: string) => (/^[\w@%+=:,./-]+$/.test(s) ? s : `'${s.replace(/'/g, "''")}'`);

export interface Pull {
  keyFile: string;
  knownHosts: string;
  source: { address: string; port: number; user: string };
  bindAddress?: string;
  /** The local directory the volume goes to. */
  into: string;
}

export class PullError extends Error {}

/** rsync's exit codes that mean ssh did not get through (or the forced command refused): worth another try. */
const RETRY_CODES = new Set([255, 12, 5]);


function rsyncArgs(p: Pull, extra: string[]): string[] {
  const ssh = ['ssh', ...sshOptions(p).flatMap(([k, v]) => ['-o', `${k}=${v}`]), ...(p.bindAddress ? ['-o', `BindAddress=${p.bindAddress}`] : []), '-p', String(p.source.port)].map(quote).join(' ');
  return ['-a', '--delete', '--numeric-ids', ...extra, '-e', ssh, `${p.source.user}@${p.source.address}:./`, `${p.into.replace(/\/+$/, '')}/`];
}

function runRsync(args: string[], track: (c: ChildProcess) => void): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn('rsync', args, { stdio: ['ignore', 'pipe', 'pipe'] });
    track(child);
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout = (stdout + d).slice(-65_536)));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr = (stderr + d).slice(-8192)));
    child.on('error', (err) => resolve({ code: null, stdout, stderr: `${stderr}${err.message}` }));
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

const said = (stderr: string) => stderr.trim().split('\n').filter(Boolean).slice(-2).join(' / ');

/** Runs rsync, retrying ssh failures for `retryMs`; throws a PullError saying what rsync said. */
async function rsync(args: string[], retryMs: number, track: (c: ChildProcess) => void, stopped: () => boolean): Promise<string> {
  const until = Date.now() + retryMs;
  for (;;) {
    const r = await runRsync(args, track);
    if (r.code === 0) return r.stdout;
    if (stopped()) throw new PullError('stopped');
    if (r.code !== null && RETRY_CODES.has(r.code) && Date.now() < until) {
      await new Promise((res) => setTimeout(res, 2000));
      continue;
    }
    const hint = /Permission denied|publickey/.test(r.stderr) ? ": the source host's sshd refused this move's key (is its agent started with --move-authorized-keys, and does its sshd read that file for this user?)" : '';
    throw new PullError(`rsync from ${args.at(-2)} exited ${r.code ?? 'without a code'}${hint}${said(r.stderr) ? ` (${said(r.stderr)})` : ''}`);
  }
}

/** Copies the volume; returns the bytes that came over the wire. */
export async function pull(p: Pull, retryMs: number, track: (c: ChildProcess) => void, stopped: () => boolean): Promise<number> {
  const out = await rsync(rsyncArgs(p, ['--partial', '--stats']), retryMs, track, stopped);
  const m = /Total bytes received: ([\d,.]+)/.exec(out);
  return m ? Number(m[1]!.replace(/[,.]/g, '')) : 0;
}

/** Compares every file of the volume with the source by checksum; returns the paths that differ (none: identical). */
export async function differences(p: Pull, retryMs: number, track: (c: ChildProcess) => void, stopped: () => boolean): Promise<string[]> {
  const out = await rsync(rsyncArgs(p, ['--checksum', '--dry-run', '--itemize-changes']), retryMs, track, stopped);
  return out
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean)
    .map((l) => l.replace(/^\S+\s+/, ''));
}
