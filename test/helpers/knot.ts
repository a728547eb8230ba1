/**
 * Knot DNS (Debian's `knot`) as a real authoritative server for tests: one zone, a TSIG key made
 * when the test runs, dynamic updates allowed with that key only; on a loopback address and a
 * port free right now. `query` asks it with `dig` as a resolver would. Stopped by the PID it was
 * started as.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { freeListen } from '../../src/proxy/haproxy/engine.js';
import { until } from './wait.js';

export const KNOTD = '/usr/sbin/knotd';
export const DIG = '/usr/bin/dig';
export const NSUPDATE = '/usr/bin/nsupdate';

export interface Knot {
  address: string;
  port: number;
  zone: string;
  key: { name: string; algorithm: 'hmac-sha256'; secret: string };
  /** The addresses `name` resolves to now (A and AAAA), sorted; [] for none. */
  query(name: string): string[];
  /** The TTL of `name`'s A records, or undefined. */
  ttl(name: string): number | undefined;
  /** Its log so far (for a failing test's message). */
  log(): string;
  stop(): Promise<void>;
}

export async function startKnot(dir: string, address: string, zone = 'hafen-test.example'): Promise<Knot> {
  mkdirSync(join(dir, 'zones'), { recursive: true });
  mkdirSync(join(dir, 'db'), { recursive: true });
  const port = Number((await freeListen({ host: address, port: 0 })).split(':').pop());
  const key = { name: 'hafen-test', algorithm: 'hmac-sha256' as const, secret: randomBytes(32).toString('base64') };
  writeFileSync(
    join(dir, `zones/${zone}.zone`),
    [`$ORIGIN ${zone}.`, '$TTL 300', `@ SOA ns.${zone}. hostmaster.${zone}. 1 3600 900 604800 300`, '@ NS ns', `ns A ${address}`, ''].join('\n'),
  );
  const user = spawnSync('id', ['-un'], { encoding: 'utf8' }).stdout.trim();
  const group = spawnSync('id', ['-gn'], { encoding: 'utf8' }).stdout.trim();
  writeFileSync(
    join(dir, 'knot.conf'),
    [
      'server:',
      `  listen: ${address}@${port}`,
      `  rundir: ${dir}`,
      `  user: ${user}:${group}`,
      'log:',
      '  - target: stderr',
      '    any: info',
      'database:',
      `  storage: ${join(dir, 'db')}`,
      'key:',
      `  - id: ${key.name}`,
      `    algorithm: ${key.algorithm}`,
      `    secret: ${key.secret}`,
      'acl:',
      '  - id: hafen-update',
      `    key: ${key.name}`,
      '    action: update',
      'template:',
      '  - id: default',
      `    storage: ${join(dir, 'zones')}`,
      '    file: "%s.zone"',
      'zone:',
      `  - domain: ${zone}`,
      '    acl: hafen-update',
      '',
    ].join('\n'),
    { mode: 0o600 },
  );
  const child: ChildProcess = spawn(KNOTD, ['-c', join(dir, 'knot.conf')], { stdio: ['ignore', 'pipe', 'pipe'] });
  let log = '';
  child.stdout!.on('data', (d: Buffer) => (log += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (log += d.toString()));
  const dig = (args: string[]) => spawnSync(DIG, [`@${address}`, '-p', String(port), '+time=1', '+tries=1', ...args], { encoding: 'utf8' }).stdout;
  const knot: Knot = {
    address,
    port,
    zone,
    key,
    query: (name) =>
      [...dig(['+short', name, 'A']).split('\n'), ...dig(['+short', name, 'AAAA']).split('\n')]
        .map((l) => l.trim())
        .filter((l) => l && !l.startsWith(';'))
        .sort(),
    ttl: (name) => {
      const line = dig(['+noall', '+answer', name, 'A']).split('\n').find((l) => l.trim());
      return line ? Number(line.split(/\s+/)[1]) : undefined;
    },
    log: () => log,
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null || child.signalCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
        setTimeout(() => child.kill('SIGKILL'), 5000).unref();
      }),
  };
  try {
    await until('knotd answers', async () => (dig(['+short', zone, 'SOA']).includes(`ns.${zone}.`) ? true : undefined), 15_000, 100);
  } catch (err) {
    child.kill('SIGKILL');
    throw new Error(`${(err as Error).message}:\n${log}`);
  }
  return knot;
}
