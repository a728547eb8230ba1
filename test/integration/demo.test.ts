/**
 * `hafen demo` (what `npm start` runs): the three-site fleet comes up as real processes and
 * answers through every site's proxy; Ctrl-C (SIGINT) stops everything it started, units
 * included; a second start reuses the data directory.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { HafenClient } from '../../src/client/client.js';
import { BIN, ROOT } from '../helpers/paths.js';
import { getWithHost } from '../helpers/http.js';

const freePort = () =>
  new Promise<number>((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });

function demo(data: string, port: number): { child: ChildProcess; ready: Promise<string>; exited: Promise<number | null> } {
  const child = spawn(process.execPath, [BIN, 'demo', '--data', data, '--listen', `127.0.0.1:${port}`], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  const ready = new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`the demo was not ready in 120 s:\n${out}`)), 120_000);
    const on = (d: Buffer) => {
      out += d.toString();
      if (/^ready$/m.test(out)) {
        clearTimeout(timer);
        resolve(out);
      }
    };
    child.stdout!.on('data', on);
    child.stderr!.on('data', on);
  });
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  return { child, ready, exited };
}

/** The pids of the units the demo's agents started, from their state files. */
function unitPids(data: string): number[] {
  return readdirSync(data)
    .filter((d) => d.endsWith('-app-01'))
    .flatMap((h) => {
      try {
        return readdirSync(join(data, h, 'state', 'units')).map((f) => (JSON.parse(readFileSync(join(data, h, 'state', 'units', f), 'utf8')) as { pid: number }).pid);
      } catch {
        return [];
      }
    });
}

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

test('the demo fleet comes up, answers through every site\'s proxy, and Ctrl-C leaves nothing running', async () => {
  const data = mkdtempSync(join(tmpdir(), 'hafen-demo-'));
  const port = await freePort();
  try {
    const first = demo(data, port);
    try {
      const out = await first.ready;
      assert.match(out, /hafen demo: 3 sites \(nue, vie, hel\)/);
      assert.match(out, /proxy nue {3}http:\/\/127\.0\.11\.10:8080/);
      for (const proxy of ['127.0.11.10', '127.0.12.10', '127.0.13.10']) {
        const r = await getWithHost(`http://${proxy}:8080`, 'portal.stadtwerke.example');
        assert.equal(r.status, 200, `through ${proxy}`);
        assert.match(r.body, /^Stadtwerke from stadtwerke-portal-r\d/);
      }
      const pids = unitPids(data);
      assert.equal(pids.length, 6, 'six replicas run');
    } finally {
      first.child.kill('SIGINT');
    }
    assert.equal(await first.exited, 0);
    const left = unitPids(data).filter(alive);
    assert.deepEqual(left, [], 'no unit of the demo runs after Ctrl-C');

    // A second start reuses the data directory: same revision, hosts already joined.
    const second = demo(data, port);
    try {
      await second.ready;
      const admin = new HafenClient(`http://127.0.0.1:${port}`, readFileSync(join(data, 'controller', 'admin.token'), 'utf8').trim());
      assert.equal((await admin.status()).revision, 1, 'the same revision, not a new one');
      assert.equal((await getWithHost('http://127.0.12.10:8080', 'shop.huber.example')).status, 200);
    } finally {
      second.child.kill('SIGINT');
    }
    assert.equal(await second.exited, 0);
  } finally {
    rmSync(data, { recursive: true, force: true });
  }
});
