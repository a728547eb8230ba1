/**
 * The real components hafen drives are installed and usable on this machine: the Docker
 * engine runs a container built without a registry and serves HTTP on loopback, nftables
 * checks a ruleset, restic backs up and lists a snapshot, PostgreSQL answers, network
 * namespaces can be made. Later issues build on each of these; this suite shows early and
 * plainly when the machine (or CI) cannot provide one.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { ensureBusyboxImage } from '../helpers/docker.js';
import { DOCKER, need, run, works } from '../helpers/system.js';

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
  });
}

test('docker engine runs a locally built busybox image that serves HTTP on loopback', async (t) => {
  if (!need(t, works(DOCKER, ['info']), 'the Docker engine does not answer')) return;
  const image = ensureBusyboxImage();
  const port = await freePort();
  const name = `hafen-sys-${process.pid}`;
  const started = run(DOCKER, ['run', '-d', '--rm', '--name', name, '-p', `127.0.0.1:${port}:8080`, image, 'sh', '-c', 'echo hafen-ok > /www/index.html && httpd -f -p 8080 -h /www']);
  assert.equal(started.status, 0, started.stderr);
  try {
    let body = '';
    for (let i = 0; i < 50 && !body; i++) {
      body = await fetch(`http://127.0.0.1:${port}/`).then((r) => r.text(), () => '');
      if (!body) await new Promise((r) => setTimeout(r, 100));
    }
    assert.equal(body.trim(), 'hafen-ok');
  } finally {
    run(DOCKER, ['rm', '-f', name]);
  }
});

test('docker-compose is installed', (t) => {
  if (!need(t, works('docker-compose', ['--version']), 'docker-compose is not installed')) return;
  assert.match(run('docker-compose', ['--version']).stdout, /docker-compose version \d/);
});

test('nftables accepts a ruleset for hafen\'s own table in check mode', (t) => {
  if (!need(t, works('nft', ['--version']), 'nftables is not installed')) return;
  const dir = mkdtempSync(join(tmpdir(), 'hafen-nft-'));
  const file = join(dir, 'rules.nft');
  writeFileSync(file, 'table inet hafen {\n  chain input {\n    type filter hook input priority 0; policy accept;\n    tcp dport { 80, 443 } accept\n  }\n}\n');
  const ok = run('nft', ['-c', '-f', file]);
  assert.equal(ok.status, 0, ok.stderr);
  writeFileSync(file, 'table inet hafen {\n  chain input {\n    tcp dport { 80, 443 accept\n  }\n}\n');
  assert.notEqual(run('nft', ['-c', '-f', file]).status, 0, 'a broken ruleset is rejected');
  rmSync(dir, { recursive: true, force: true });
});

test('restic initialises a repository, backs up and lists the snapshot', (t) => {
  if (!need(t, works('restic', ['version']), 'restic is not installed')) return;
  const dir = mkdtempSync(join(tmpdir(), 'hafen-restic-'));
  const env = { ...process.env, RESTIC_REPOSITORY: join(dir, 'repo'), RESTIC_PASSWORD: 'test-only-password' };
  writeFileSync(join(dir, 'data.txt'), 'customer data\n');
  assert.equal(run('restic', ['init'], { env }).status, 0);
  const backup = run('restic', ['backup', '--json', join(dir, 'data.txt')], { env });
  assert.equal(backup.status, 0, backup.stderr);
  const snapshots = JSON.parse(run('restic', ['snapshots', '--json'], { env }).stdout) as unknown[];
  assert.equal(snapshots.length, 1);
  rmSync(dir, { recursive: true, force: true });
});

test('postgresql answers queries', (t) => {
  if (!need(t, works('pg_isready', ['-q']), 'PostgreSQL is not running')) return;
  const res = run('su', ['postgres', '-c', "psql -Atc 'select 40 + 2'"]);
  assert.equal(res.status, 0, res.stderr);
  assert.equal(res.stdout.trim(), '42');
});

test('network namespaces can be created and removed', (t) => {
  if (!need(t, works('ip', ['netns', 'list']), 'iproute2 (ip netns) is not usable')) return;
  const ns = `hafen-sys-${process.pid}`;
  assert.equal(run('ip', ['netns', 'add', ns]).status, 0);
  try {
    const lo = run('ip', ['netns', 'exec', ns, 'ip', 'link', 'show', 'lo']);
    assert.equal(lo.status, 0, lo.stderr);
  } finally {
    run('ip', ['netns', 'del', ns]);
  }
});

test('proxy engines and load generator are installed', (t) => {
  for (const [cmd, args] of [['haproxy', ['-v']], ['nginx', ['-v']], ['wrk', ['--version']]] as const) {
    // wrk prints its version with exit status 1; what matters is that it runs.
    const res = run(cmd, [...args]);
    if (!need(t, res.status !== 127, `${cmd} is not installed`)) return;
  }
});
