/**
 * A real sshd for tests: its own host key and config, public keys only from one
 * authorized_keys file (the agent under test writes it), sftp by sshd's internal server.
 * StrictModes is off because the test's files sit under /tmp (world-writable), which sshd
 * would otherwise refuse. `sshdConfig` is shared with the network-namespace hosts (netns.ts).
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { run } from './system.js';
import { sleep } from './wait.js';

/** Debian's sshd (not on a user's PATH: it lives in /usr/sbin). */
export const SSHD = ['/usr/sbin/sshd', '/usr/bin/sshd', '/usr/local/sbin/sshd'].find((p) => existsSync(p));

/** Why a test cannot run sshd-to-rsync moves here (undefined: it can): root, sshd, ssh-keygen, ssh and rsync. */
export function sshMovesMissing(): string | undefined {
  if (process.getuid?.() !== 0) return 'needs root (sshd, and moves log in as root)';
  if (!SSHD) return 'sshd is not installed (openssh-server)';
  for (const [cmd, args] of [['ssh-keygen', ['-l', '-f', '/dev/null']], ['ssh', ['-V']], ['rsync', ['--version']]] as const) {
    if (run(cmd, [...args]).status === 127) return `${cmd} is not installed`;
  }
  return undefined;
}

/** Whether something accepts TCP connections at address:port. */
const listening = (address: string, port: number) =>
  new Promise<boolean>((resolve) => {
    const s = connect({ host: address, port }, () => (s.destroy(), resolve(true)));
    s.once('error', () => resolve(false));
  });

/** Writes the host key and config into `dir`; returns the config file and the authorized_keys path. */
export function sshdConfig(dir: string, listen: string, authorizedKeys = join(dir, 'authorized_keys')): { config: string; authorizedKeys: string } {
  mkdirSync(dir, { recursive: true });
  // sshd's privilege separation needs this directory (no systemd here to make it).
  mkdirSync('/run/sshd', { recursive: true, mode: 0o755 });
  const hostKey = join(dir, 'ssh_host_ed25519_key');
  const made = run('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', hostKey]);
  if (made.status !== 0) throw new Error(`ssh-keygen: ${made.stderr.trim()}`);
  const config = join(dir, 'sshd_config');
  writeFileSync(
    config,
    [
      `ListenAddress ${listen}`,
      `HostKey ${hostKey}`,
      'PidFile none',
      `AuthorizedKeysFile ${authorizedKeys}`,
      'StrictModes no',
      'PermitRootLogin prohibit-password',
      'PasswordAuthentication no',
      'KbdInteractiveAuthentication no',
      'UsePAM no',
      'Subsystem sftp internal-sftp',
      '',
    ].join('\n'),
  );
  return { config, authorizedKeys };
}

/** An sshd on a loopback address and port of this machine, reading `authorizedKeys`. */
export async function startLoopbackSshd(address: string, port: number, dir: string, authorizedKeys: string): Promise<{ stop(): void }> {
  const { config } = sshdConfig(dir, `${address}:${port}`, authorizedKeys);
  if (!SSHD) throw new Error('sshd is not installed (openssh-server)');
  const child = spawn(SSHD, ['-D', '-e', '-f', config], { stdio: 'ignore' });
  for (let i = 0; i < 50; i++) {
    if (await listening(address, port)) break;
    await sleep(100);
  }
  return { stop: () => void child.kill('SIGTERM') };
}
