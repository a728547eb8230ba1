/**
 * The agent's side of sftp repositories: its own ed25519 key (made once with ssh-keygen,
 * kept in `<state>/ssh/`, 0600), the ssh command restic runs with it, and on a backup host
 * the restic user's authorized_keys file, written from the keys the controller says to let in.
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { promisify } from 'node:util';
import { authorizedKeys, type BackupAccessKey } from '../../core/render/backups.js';
import { writeFileIfChanged } from '../../lib/fs.js';

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

/** ssh options: this agent's key only, never a prompt, the host key learnt on first contact and checked after, a silent host given up. */
export function sshOptions(key: Pick<AgentKey, 'keyFile' | 'knownHosts'>): [string, string][] {
  return [
    ['IdentityFile', key.keyFile],
    ['IdentitiesOnly', 'yes'],
    ['BatchMode', 'yes'],
    ['UserKnownHostsFile', key.knownHosts],
    ['StrictHostKeyChecking', 'accept-new'],
    ['ConnectTimeout', String(SSH_CONNECT_TIMEOUT_S)],
    ['ServerAliveInterval', String(SSH_ALIVE_INTERVAL_S)],
    ['ServerAliveCountMax', String(SSH_ALIVE_COUNT)],
  ];
}

/**
 * The command restic starts for one sftp repository (restic's sftp.command). hafen itself uses
 * sshEnvironment instead, since restic applies sftp.command to both repositories of a copy.
 */
export function sftpCommand(key: AgentKey, sftp: { user: string; address: string; port: number }): string {
  return ['ssh', ...sshOptions(key).flatMap(([k, v]) => ['-o', `${k}=${v}`]), '-p', String(sftp.port), `${sftp.user}@${sftp.address}`, '-s', 'sftp'].join(' ');
}

const quote = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

/**
 * What restic needs to reach sftp repositories with this agent's key: an ssh config (the
 * options above, and each backup host's port) and an `ssh` on PATH that uses it, so restic's
 * own ssh command works for every sftp repository of a run (a copy has two). Written to
 * `<state>/ssh/` when it changes; returns the environment for restic.
 */
export function sshEnvironment(key: AgentKey, endpoints: readonly { address: string; port: number }[]): NodeJS.ProcessEnv {
  const dir = join(key.keyFile, '..');
  const bin = join(dir, 'bin');
  const config = join(dir, 'config');
  const hosts = [...new Map(endpoints.map((e) => [e.address, e.port])).entries()].sort();
  const text = [
    '# Written by the hafen agent for restic: edits are overwritten.',
    ...hosts.flatMap(([address, port]) => [`Host ${address}`, `  Port ${port}`]),
    'Host *',
    ...sshOptions(key).map(([k, v]) => `  ${k} ${v}`),
    '',
  ].join('\n');
  const path = process.env.PATH ?? '/usr/bin:/bin';
  const real = path.split(delimiter).filter((d) => d && d !== bin).map((d) => join(d, 'ssh')).find((p) => existsSync(p)) ?? '/usr/bin/ssh';
  const wrapper = `#!/bin/sh\nexec ${quote(real)} -F ${quote(config)} "$@"\n`;
  mkdirSync(bin, { recursive: true, mode: 0o700 });
  const write = (file: string, content: string, mode: number) => {
    let current: string | undefined;
    try {
      current = readFileSync(file, 'utf8');
    } catch {
      // Not written yet.
    }
    if (current !== content) writeFileSync(file, content, { mode });
  };
  write(config, text, 0o600);
  write(join(bin, 'ssh'), wrapper, 0o700);
  return { PATH: `${bin}${delimiter}${path}` };
}

/** Writes the backup host's authorized_keys when it differs (0644: sshd reads it as the restic user). Returns whether it changed. */
export async function installAuthorizedKeys(file: string, keys: readonly BackupAccessKey[]): Promise<boolean> {
  return writeFileIfChanged(file, authorizedKeys(keys), 0o644);
}
