/**
 * The agent's side of sftp repositories: its own ed25519 key (made once with ssh-keygen,
 * kept in `<state>/ssh/`, 0600), the ssh command restic runs with it, and on a backup host
 * the restic user's authorized_keys file, written from the keys the controller says to let in.
 */
import { execFile } from 'node:child_process';
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { authorizedKeys, type BackupAccessKey } from '../../core/render/backups.js';
import { writeFileAtomic } from '../../lib/fs.js';

const run = promisify(execFile);

export interface AgentKey {
  /** The private key file. */
  keyFile: string;
  /** The public key line ("ssh-ed25519 AAAA… hafen-agent@HOST"). */
  publicKey: string;
  /** Backup hosts' host keys, learnt on first contact (trust on first use). */
  knownHosts: string;
}

/** The agent's key, made on first use; undefined (with the reason logged) when ssh-keygen is missing. */
export async function ensureAgentKey(stateDir: string, host: string, log: (line: string) => void = () => {}): Promise<AgentKey | undefined> {
  const dir = join(stateDir, 'ssh');
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const keyFile = join(dir, 'id_ed25519');
  const knownHosts = join(dir, 'known_hosts');
  try {
    return { keyFile, knownHosts, publicKey: readFileSync(`${keyFile}.pub`, 'utf8').trim() };
  } catch {
    // Not made yet.
  }
  try {
    await run('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', `hafen-agent@${host}`, '-f', keyFile]);
    return { keyFile, knownHosts, publicKey: readFileSync(`${keyFile}.pub`, 'utf8').trim() };
  } catch (err) {
    log(`no ssh key for sftp backup repositories: ssh-keygen failed (${(err as NodeJS.ErrnoException).code ?? (err as Error).message}); install openssh-client`);
    return undefined;
  }
}

/** Seconds ssh waits for a backup host to answer. */
export const SSH_CONNECT_TIMEOUT_S = 10;
/** A connection whose backup host stops answering is given up after 3 unanswered keepalives 5 s apart. */
const SSH_ALIVE_INTERVAL_S = 5;
const SSH_ALIVE_COUNT = 3;
/**
 * The longest a restic call waits on a backup host that went dark: a connection in its
 * handshake gives up after 3 × the connect timeout (measured: 30 s), an established one after
 * the keepalives (5 s until the first, 3 more periods: 20 s), and restic is then stopped at once
 * (see SSH_DEAD in restic.ts; restic itself would retry for another ~40 s).
 */
export const SSH_GIVE_UP_S = Math.max(3 * SSH_CONNECT_TIMEOUT_S, SSH_ALIVE_INTERVAL_S * (SSH_ALIVE_COUNT + 1));

/**
 * The command restic starts for an sftp repository: this agent's key only, never a prompt,
 * the backup host's key learnt on first contact and checked after, and a connection that
 * gives up when the host goes silent (a dark backup host must not hang the job for ever).
 */
export function sftpCommand(key: AgentKey, sftp: { user: string; address: string; port: number }): string {
  return [
    'ssh',
    '-i', key.keyFile,
    '-o', 'IdentitiesOnly=yes',
    '-o', 'BatchMode=yes',
    '-o', `UserKnownHostsFile=${key.knownHosts}`,
    '-o', 'StrictHostKeyChecking=accept-new',
    '-o', `ConnectTimeout=${SSH_CONNECT_TIMEOUT_S}`,
    '-o', `ServerAliveInterval=${SSH_ALIVE_INTERVAL_S}`,
    '-o', `ServerAliveCountMax=${SSH_ALIVE_COUNT}`,
    '-p', String(sftp.port),
    `${sftp.user}@${sftp.address}`,
    '-s', 'sftp',
  ].join(' ');
}

/** Writes the backup host's authorized_keys when it differs (0644: sshd reads it as the restic user). Returns whether it changed. */
export async function installAuthorizedKeys(file: string, keys: readonly BackupAccessKey[]): Promise<boolean> {
  const text = authorizedKeys(keys);
  let current: string | undefined;
  try {
    current = readFileSync(file, 'utf8');
  } catch {
    // Not there yet.
  }
  if (current === text) return false;
  await writeFileAtomic(file, text, 0o644);
  return true;
}
