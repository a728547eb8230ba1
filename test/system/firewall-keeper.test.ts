/**
 * The agent's firewall keeper (src/agent/firewall.ts) with the real nft, in a network namespace
 * of its own (nft runs there through a two-line wrapper): an agent that dies while a new
 * ruleset waits for its confirmation leaves it pending on disk with the saved ruleset, and the
 * next start confirms it when the controller answers, or restores the saved one when its time
 * is up; a ruleset nft refuses changes nothing.
 */
import assert from 'node:assert/strict';
import { chmodSync, existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { FirewallKeeper } from '../../src/agent/firewall.js';
import { need, run, works } from '../helpers/system.js';
import { until } from '../helpers/wait.js';

const NS = 'hafen-t75';
const usable = process.getuid?.() === 0 && works('nft', ['--version']) && works('ip', ['netns', 'list']);
const dir = mkdtempSync(join(tmpdir(), 'hafen-fw-keeper-'));
const nft = join(dir, 'nft');
const table = () => run('ip', ['netns', 'exec', NS, 'nft', 'list', 'table', 'inet', 'hafen']);
const ruleset = (port: number) => `table inet hafen\ndelete table inet hafen\ntable inet hafen {\n\tchain input {\n\t\ttype filter hook input priority filter; policy accept;\n\t\ttcp dport ${port} accept comment "port ${port}"\n\t}\n}\n`;
const noLog = () => {};

before(() => {
  if (!usable) return;
  run('ip', ['netns', 'del', NS]);
  run('ip', ['netns', 'add', NS]);
  writeFileSync(nft, `#!/bin/sh\nexec ip netns exec ${NS} nft "$@"\n`);
  chmodSync(nft, 0o755);
});

after(() => {
  run('ip', ['netns', 'del', NS]);
  rmSync(dir, { recursive: true, force: true });
});

test('an agent that dies while a ruleset waits for confirmation: the next start confirms it, or restores the saved one', async (t) => {
  if (!need(t, usable, 'needs root, nft and ip netns')) return;
  const state = join(dir, 'agent');
  const unreachable = async () => {
    throw new Error('no controller');
  };
  // The running ruleset, confirmed.
  const first = new FirewallKeeper({ stateDir: state, nft, log: noLog, reach: async () => {} });
  await first.want({ script: ruleset(22), hash: 'h22', confirmMs: 5000 });
  assert.equal(first.report()?.state, 'confirmed');
  const saved = table().stdout;
  assert.match(saved, /tcp dport 22 accept/);

  // A new one is applied; the agent dies before the controller answers.
  const dying = new FirewallKeeper({ stateDir: state, nft, log: noLog, reach: unreachable });
  void dying.want({ script: ruleset(23), hash: 'h23', confirmMs: 1500 });
  await until('the new ruleset applied and pending', async () => (existsSync(join(state, 'firewall', 'pending.json')) && /dport 23/.test(table().stdout)) || undefined, 5000, 50);
  dying.stop();
  await new Promise((r) => setTimeout(r, 1200));
  assert.ok(existsSync(join(state, 'firewall', 'pending.json')), 'still pending after the agent is gone');
  assert.match(table().stdout, /dport 23/, 'nobody undid it yet');

  // The next start, past the deadline, the controller still unreachable: the saved ruleset is back.
  const next = new FirewallKeeper({ stateDir: state, nft, log: noLog, reach: unreachable });
  await next.recover();
  assert.equal(next.report()?.state, 'rolled-back');
  assert.equal(table().stdout, saved);
  assert.ok(!existsSync(join(state, 'firewall', 'pending.json')));
  // The rolled-back ruleset is not tried again.
  await next.want({ script: ruleset(23), hash: 'h23', confirmMs: 1500 });
  assert.equal(table().stdout, saved);

  // Again, but this time the controller answers after the restart: the new ruleset stays.
  const dying2 = new FirewallKeeper({ stateDir: state, nft, log: noLog, reach: unreachable });
  void dying2.want({ script: ruleset(24), hash: 'h24', confirmMs: 60_000 });
  await until('the next ruleset applied and pending', async () => (existsSync(join(state, 'firewall', 'pending.json')) && /dport 24/.test(table().stdout)) || undefined, 5000, 50);
  dying2.stop();
  const recovered = new FirewallKeeper({ stateDir: state, nft, log: noLog, reach: async () => {} });
  await recovered.recover();
  assert.equal(recovered.report()?.state, 'confirmed');
  assert.match(table().stdout, /dport 24/);

  // nft refuses a broken ruleset: nothing changes, and it says why.
  const before = table().stdout;
  await recovered.want({ script: 'table inet hafen {\n\tthis is not nft\n}\n', hash: 'broken', confirmMs: 5000 });
  assert.equal(recovered.report()?.state, 'failed');
  assert.match(recovered.report()!.error!, /^nft refused the ruleset, nothing changed: /);
  assert.equal(table().stdout, before);
});

test('a confirmed ruleset gone after a reboot is applied again at the next start; a table changed by hand is reported as drifted and applied again with the next desired state', async (t) => {
  if (!need(t, usable, 'needs root, nft and ip netns')) return;
  const state = join(dir, 'agent-drift');
  const keeper = new FirewallKeeper({ stateDir: state, nft, log: noLog, reach: async () => {} });
  await keeper.want({ script: ruleset(30), hash: 'h30', confirmMs: 5000 });
  const confirmed = table().stdout;
  await keeper.check();
  assert.equal(keeper.report()?.drifted, false);
  // Changed by hand: the heartbeat's check says so, and leaves the table alone.
  run('ip', ['netns', 'exec', NS, 'nft', 'add', 'rule', 'inet', 'hafen', 'input', 'tcp', 'dport', '9999', 'accept']);
  await keeper.check();
  assert.equal(keeper.report()?.drifted, true);
  await keeper.check();
  assert.match(table().stdout, /dport 9999/, 'a check changes nothing');
  // The next start applies it again, and the drift is gone.
  const restarted = new FirewallKeeper({ stateDir: state, nft, log: noLog, reach: async () => {} });
  await restarted.want({ script: ruleset(30), hash: 'h30', confirmMs: 5000 });
  assert.equal(table().stdout, confirmed);
  await restarted.check();
  assert.equal(restarted.report()?.drifted, false);
  // A reboot: the table is gone; the next start applies the confirmed ruleset again.
  run('ip', ['netns', 'exec', NS, 'nft', 'delete', 'table', 'inet', 'hafen']);
  const rebooted = new FirewallKeeper({ stateDir: state, nft, log: noLog, reach: async () => {} });
  await rebooted.want({ script: ruleset(30), hash: 'h30', confirmMs: 5000 });
  assert.equal(table().stdout, confirmed);
});

test('a rolled-back ruleset is not tried again for the same generation; a new generation (hafen firewall reapply) tries it again', async (t) => {
  if (!need(t, usable, 'needs root, nft and ip netns')) return;
  const state = join(dir, 'agent-reapply');
  let reachable = false;
  const reach = async () => {
    if (!reachable) throw new Error('no controller');
  };
  const keeper = new FirewallKeeper({ stateDir: state, nft, log: noLog, reach });
  await keeper.want({ script: ruleset(40), hash: 'h40', confirmMs: 1000 });
  assert.equal(keeper.report()?.state, 'rolled-back');
  await keeper.want({ script: ruleset(40), hash: 'h40', confirmMs: 1000 });
  assert.equal(keeper.report()?.generation, undefined, 'the same desired state again: not retried');
  // The cause is mended; the controller raises the generation.
  reachable = true;
  await keeper.want({ script: ruleset(40), hash: 'h40', confirmMs: 1000, generation: 1 });
  assert.deepEqual([keeper.report()?.state, keeper.report()?.generation], ['confirmed', 1]);
  assert.match(table().stdout, /dport 40/);
  // A confirmed, undrifted ruleset asked for again is applied again (and confirmed again).
  const before = keeper.report()!.at;
  await new Promise((r) => setTimeout(r, 10));
  await keeper.want({ script: ruleset(40), hash: 'h40', confirmMs: 1000, generation: 2 });
  assert.deepEqual([keeper.report()?.state, keeper.report()?.generation], ['confirmed', 2]);
  assert.notEqual(keeper.report()!.at, before);
  await keeper.want({ script: ruleset(40), hash: 'h40', confirmMs: 1000, generation: 2 });
  assert.equal(keeper.report()!.generation, 2, 'the same generation again changes nothing');
});
