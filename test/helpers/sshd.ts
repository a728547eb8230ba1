/**
 * A real sshd for tests: its own host key and config, public keys only from one
 * authorized_keys file (the agent under test writes it), sftp by sshd's internal server.
 * StrictModes is off because the test's files sit under /tmp (world-writable), which sshd
 * would otherwise refuse. `sshdConfig` is shared with the network-namespace hosts (netns.ts).
 */
import { spawn } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { run } from './system.js';
import { sleep } from './wait.js';

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
  const child = spawn('/usr/sbin/sshd', ['-D', '-e', '-f', config], { stdio: 'ignore' });
  for (let i = 0; i < 50; i++) {
    if (run('ss', ['-Hltn', `src ${address}:${port}`]).stdout.includes(`:${port}`)) break;
    await sleep(100);
  }
  return { stop: () => void child.kill('SIGTERM') };
}
