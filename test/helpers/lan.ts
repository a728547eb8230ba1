/**
 * Hosts on one network for firewall tests: a namespace per host, all on one bridge (in a
 * namespace of its own), each with its fleet address and an on-link route to every address,
 * so hosts in different segments and sites reach each other directly (no router to model).
 * Nothing touches this machine's own namespace; names carry the test's number.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { run } from './system.js';

export interface LanHost {
  name: string;
  ns: string;
  address: string;
  /** Runs a command in the host's namespace; throws with its stderr when it fails. */
  exec(args: string[], input?: string): string;
}

export interface Lan {
  hosts: Map<string, LanHost>;
  /** Listens on `ports` (tcp) in every host's namespace, answering "ok" to each connection. */
  listen(ports: readonly number[]): Promise<void>;
  /** Which of `targets` (address:port) `from` reaches over tcp within `timeoutMs`. */
  reaches(from: string, targets: readonly string[], timeoutMs?: number): Record<string, boolean>;
  close(): void;
}

function sh(args: string[], input?: string): string {
  const r = run(args[0]!, args.slice(1), input === undefined ? {} : { input });
  if (r.status !== 0) throw new Error(`${args.join(' ')}: ${r.stderr.trim()}`);
  return r.stdout;
}

const LISTENER = `
const net = require('node:net');
for (const p of JSON.parse(process.argv[1])) net.createServer((s) => { s.on('error', () => {}); s.end('ok'); }).listen(p, '0.0.0.0');
setInterval(() => {}, 1 << 30);
console.log('listening');
`;

const PROBE = `
const net = require('node:net');
const [targets, timeout] = [JSON.parse(process.argv[1]), Number(process.argv[2])];
Promise.all(targets.map((t) => new Promise((resolve) => {
  const i = t.lastIndexOf(':');
  const s = net.connect({ host: t.slice(0, i), port: Number(t.slice(i + 1)) });
  const done = (ok) => { s.destroy(); resolve([t, ok]); };
  s.setTimeout(timeout, () => done(false));
  s.on('connect', () => done(true));
  s.on('error', () => done(false));
}))).then((r) => console.log(JSON.stringify(Object.fromEntries(r))));
`;

/** Namespaces `hl<id>-<n>` for `members` (name → address), on a bridge in `hl<id>-br`. */
export function makeLan(id: number, members: readonly { name: string; address: string }[]): Lan {
  const bridgeNs = `hl${id}-br`;
  const names = members.map((_, i) => `hl${id}-${i}`);
  const cleanup = () => {
    for (const ns of [...names, bridgeNs]) {
      for (const pid of run('ip', ['netns', 'pids', ns]).stdout.split('\n').filter(Boolean)) run('kill', ['-9', pid]);
      run('ip', ['netns', 'del', ns]);
    }
  };
  cleanup();
  const hosts = new Map<string, LanHost>();
  const listeners: ChildProcess[] = [];
  try {
    sh(['ip', 'netns', 'add', bridgeNs]);
    sh(['ip', 'netns', 'exec', bridgeNs, 'ip', 'link', 'add', 'br0', 'type', 'bridge']);
    sh(['ip', 'netns', 'exec', bridgeNs, 'ip', 'link', 'set', 'br0', 'up']);
    members.forEach((m, i) => {
      const ns = names[i]!;
      sh(['ip', 'netns', 'add', ns]);
      // The pair is made in the host's namespace, its other end moved to the bridge's.
      sh(['ip', 'netns', 'exec', ns, 'ip', 'link', 'add', 'eth0', 'type', 'veth', 'peer', 'name', `p${i}`]);
      sh(['ip', 'netns', 'exec', ns, 'ip', 'link', 'set', `p${i}`, 'netns', bridgeNs]);
      sh(['ip', 'netns', 'exec', bridgeNs, 'ip', 'link', 'set', `p${i}`, 'master', 'br0', 'up']);
      sh(['ip', 'netns', 'exec', ns, 'ip', 'addr', 'add', `${m.address}/32`, 'dev', 'eth0']);
      sh(['ip', 'netns', 'exec', ns, 'ip', 'link', 'set', 'eth0', 'up']);
      sh(['ip', 'netns', 'exec', ns, 'ip', 'link', 'set', 'lo', 'up']);
      // Every other address is on the link: one L2 network, no router.
      sh(['ip', 'netns', 'exec', ns, 'ip', 'route', 'add', '0.0.0.0/0', 'dev', 'eth0']);
      hosts.set(m.name, { name: m.name, ns, address: m.address, exec: (args, input) => sh(['ip', 'netns', 'exec', ns, ...args], input) });
    });
  } catch (err) {
    cleanup();
    throw err;
  }
  return {
    hosts,
    async listen(ports) {
      await Promise.all(
        [...hosts.values()].map(
          (h) =>
            new Promise<void>((resolve, reject) => {
              const child = spawn('ip', ['netns', 'exec', h.ns, process.execPath, '-e', LISTENER, JSON.stringify(ports)], { stdio: ['ignore', 'pipe', 'pipe'] });
              listeners.push(child);
              let err = '';
              child.stderr.on('data', (d: Buffer) => (err += d.toString()));
              child.stdout.once('data', () => resolve());
              child.once('exit', (code) => reject(new Error(`listener in ${h.name} exited ${code}: ${err}`)));
            }),
        ),
      );
    },
    reaches(from, targets, timeoutMs = 700) {
      const h = hosts.get(from);
      if (!h) throw new Error(`no host ${from} on the lan`);
      return JSON.parse(h.exec([process.execPath, '-e', PROBE, JSON.stringify(targets), String(timeoutMs)])) as Record<string, boolean>;
    },
    close() {
      for (const l of listeners) l.kill('SIGKILL');
      cleanup();
    },
  };
}
