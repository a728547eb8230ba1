import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { test } from 'node:test';
import { alive, identify, processTree, signalAll, stillRunning } from './proc.js';

test('processTree finds a child that left for its own process group, and signalAll reaches the tree', { skip: process.platform !== 'linux' && 'reads /proc' }, async () => {
  // A process that starts a detached grandchild (its own session, as setsid does), then waits. Node, not a shell: `npm test` needs nothing else.
  const child = spawn(process.execPath, ['-e', `require('node:child_process').spawn(process.execPath, ['-e', 'setTimeout(() => {}, 30000)'], { detached: true, stdio: 'ignore' }); setTimeout(() => {}, 30000);`], { stdio: 'ignore' });
  try {
    let tree: number[] = [];
    for (let i = 0; i < 50 && tree.length < 2; i++) {
      await new Promise((r) => setTimeout(r, 20));
      tree = processTree(child.pid!);
    }
    assert.equal(tree[0], child.pid, 'the root first');
    assert.ok(tree.length >= 2, `the grandchild is found: ${tree.join(', ')}`);
    assert.deepEqual(signalAll(tree, 'SIGKILL').sort(), [...tree].sort());
    await new Promise((r) => child.once('exit', r));
    const grandchild = tree.at(-1)!;
    for (let i = 0; i < 50 && alive(grandchild); i++) await new Promise((r) => setTimeout(r, 20));
    assert.equal(alive(grandchild), false);
    assert.deepEqual(processTree(child.pid!), [], 'a gone root has no tree');
  } finally {
    child.kill('SIGKILL');
  }
});

test('identify and stillRunning tell a process from a later one with its pid', { skip: process.platform !== 'linux' && 'reads /proc' }, async () => {
  const child = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 30000)'], { stdio: 'ignore' });
  try {
    const known = identify([child.pid!, 999_999_999]);
    assert.deepEqual([...known.keys()], [child.pid], 'a pid that does not exist is not identified');
    assert.deepEqual(stillRunning(known), [child.pid]);
    assert.deepEqual(stillRunning(new Map([[child.pid!, '1']])), [], 'same pid, another start time: another process');
  } finally {
    child.kill('SIGKILL');
    await new Promise((r) => child.once('exit', r));
  }
  assert.deepEqual(stillRunning(identify([child.pid!])), []);
});
