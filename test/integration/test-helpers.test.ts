/**
 * The helpers every test leans on: `until` fails at once when the awaited state can no longer
 * come, and says why when it times out; `loopbackNet` gives each test process loopback blocks
 * no other test (or demo) holds.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { loopbackNet } from '../helpers/loopback.js';
import { ROOT } from '../helpers/paths.js';
import { until } from '../helpers/wait.js';

test('until: a failed assertion inside fails at once, with the reason; other errors are "not yet"', async () => {
  let calls = 0;
  const started = Date.now();
  await assert.rejects(
    until('the move done', async () => {
      calls++;
      const state: string = calls < 3 ? 'running' : 'rolled-back';
      assert.notEqual(state, 'rolled-back', 'the move rolled back: target not healthy');
      return state === 'done' ? state : undefined;
    }, 20_000, 10),
    (err: Error) => {
      assert.match(err.message, /while waiting for the move done: the move rolled back: target not healthy/);
      return true;
    },
  );
  assert.equal(calls, 3);
  assert.ok(Date.now() - started < 5_000, 'not after the timeout');

  let tries = 0;
  assert.equal(await until('a server', async () => (++tries < 3 ? Promise.reject(new Error('connect ECONNREFUSED')) : 'up'), 5_000, 10), 'up');
  await assert.rejects(until('a server', async () => Promise.reject(new Error('connect ECONNREFUSED 127.0.0.1:1')), 200, 10), /timed out after 200 ms waiting for a server \(last error: connect ECONNREFUSED 127\.0\.0\.1:1\)/);
});

test('loopbackNet: blocks of this process only, outside 127.0.x.x, locked until it exits; a dead holder\'s lock is taken over', () => {
  const a = loopbackNet();
  const b = loopbackNet();
  const three = loopbackNet(3);
  assert.match(a, /^127\.(6[4-9]|[7-9]\d|1\d\d|2[0-4]\d|25[0-4])\.\d{1,3}$/);
  assert.notEqual(a, b);
  const [x, y, z] = three.split('.').map(Number) as [number, number, number];
  assert.ok(z + 2 <= 255 && x === 127 && y >= 64);
  const locks = join(tmpdir(), 'hafen-test-loopback');
  for (const net of [a, b, three, `127.${y}.${z + 1}`, `127.${y}.${z + 2}`]) {
    assert.equal(readFileSync(join(locks, net), 'utf8').split(' ')[0], String(process.pid), `${net} is held by this process`);
  }
  // Another process gets other blocks while this one holds these, and frees its own on exit.
  const other = spawnSync(process.execPath, ['--import', 'tsx', '-e', `import('./test/helpers/loopback.ts').then((m) => console.log(m.loopbackNet()))`], { cwd: ROOT, encoding: 'utf8' });
  const theirs = other.stdout.trim();
  assert.match(theirs, /^127\.\d+\.\d+$/, other.stderr);
  assert.ok(![a, b, three].includes(theirs));
  assert.equal(existsSync(join(locks, theirs)), false, 'released when that process exited');
  // A lock left by a process that is gone (killed before its exit handler ran) is taken over.
  const gone = spawnSync(process.execPath, ['-e', 'console.log(process.pid)'], { encoding: 'utf8' }).stdout.trim();
  writeFileSync(join(locks, theirs), `${gone} 1`);
  const hold = (net: string) => spawnSync(process.execPath, ['--import', 'tsx', '-e', `import('./test/helpers/loopback.ts').then((m) => console.log(m.holdNet('${net}')))`], { cwd: ROOT, encoding: 'utf8' });
  assert.equal(hold(theirs).stdout.trim(), 'true', 'a dead holder\'s block is free');
  assert.equal(hold(a).stdout.trim(), 'false', 'a block this (running) process holds is not');
});
