/**
 * A host of its own for a system test: a network namespace the test makes, joined to this
 * machine by a veth pair with one address at each end (point to point, so no other route
 * changes), an sshd in it if asked, and nftables inside it to make the host go dark. Removed
 * on close; names carry the test's number so parallel test files never meet.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { SSHD, sshdConfig } from './sshd.js';
import { run } from './system.js';
import { sleep } from './wait.js';

export interface Netns {
  name: string;
  /** The address inside the namespace. */
  address: string;
  /** Runs a command inside the namespace; throws with its stderr when it fails. */
  exec(args: string[]): string;
  /** Drops every packet that reaches the namespace (a host gone dark), or lets them in again. */
  dark(on: boolean): void;
  close(): void;
}

function sh(args: string[]): string {
  const r = run(args[0]!, args.slice(1));
  if (r.status !== 0) throw new Error(`${args.join(' ')}: ${r.stderr.trim()}`);
  return r.stdout;
}

/** A namespace `hafen-t<id>` with `inside` as its address and `outside` as this machine's end. */
export function makeNetns(id: number, inside: string, outside: string): Netns {
  const name = `hafen-t${id}`;
  const [out, inn] = [`ht${id}o`, `ht${id}i`];
  run('ip', ['netns', 'del', name]);
  run('ip', ['link', 'del', out]);
  sh(['ip', 'netns', 'add', name]);
  const exec = (args: string[]) => sh(['ip', 'netns', 'exec', name, ...args]);
  try {
    sh(['ip', 'link', 'add', out, 'type', 'veth', 'peer', 'name', inn]);
    sh(['ip', 'link', 'set', inn, 'netns', name]);
    sh(['ip', 'addr', 'add', outside, 'peer', inside, 'dev', out]);
    sh(['ip', 'link', 'set', out, 'up']);
    exec(['ip', 'addr', 'add', inside, 'peer', outside, 'dev', inn]);
    exec(['ip', 'link', 'set', inn, 'up']);
    exec(['ip', 'link', 'set', 'lo', 'up']);
  } catch (err) {
    run('ip', ['link', 'del', out]);
    run('ip', ['netns', 'del', name]);
    throw err;
  }
  return {
    name,
    address: inside,
    exec,
    dark(on) {
      if (on) {
        exec(['nft', 'add', 'table', 'inet', 'dark']);
        exec(['nft', 'add chain inet dark input { type filter hook input priority 0; policy drop; }']);
      } else {
        exec(['nft', 'delete', 'table', 'inet', 'dark']);
      }
    },
    close() {
      // What still runs inside (sshd's children waiting on a connection) goes with it.
      for (const pid of run('ip', ['netns', 'pids', name]).stdout.split('\n').filter(Boolean)) run('kill', ['-9', pid]);
      run('ip', ['link', 'del', out]);
      run('ip', ['netns', 'del', name]);
    },
  };
}

export interface Sshd {
  /** The authorized_keys file sshd reads for every user (the backup host's agent writes it). */
  authorizedKeys: string;
  stop(): void;
}

/** A real sshd in the namespace, on port 22 of its address (sshd.ts has its config). */
export async function startSshd(ns: Netns, dir: string): Promise<Sshd> {
  const { config, authorizedKeys } = sshdConfig(dir, ns.address);
  const child: ChildProcess = spawn('ip', ['netns', 'exec', ns.name, SSHD ?? '/usr/sbin/sshd', '-D', '-e', '-f', config], { stdio: 'ignore' });
  for (let i = 0; i < 50; i++) {
    if (run('ip', ['netns', 'exec', ns.name, 'ss', '-Hltn', `src ${ns.address}:22`]).stdout.includes(':22')) break;
    await sleep(100);
  }
  return { authorizedKeys, stop: () => void child.kill('SIGTERM') };
}
