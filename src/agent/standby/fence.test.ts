import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync, mkdirSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import type { DesiredUnit } from '../../core/render/desired.js';
import { withRole } from '../../core/standby/overlay.js';
import { ProcessDriver } from '../drivers/process.js';
import { Fencer } from './fence.js';

const unit = (name: string): DesiredUnit => ({ name, app: name.replace(/-r\d+$/, ''), customer: 'c', replica: Number(name.slice(-1)), kind: 'process', process: { command: ['true'], env: {} }, hash: `h-${name}` });
const as = (u: DesiredUnit, role: 'active' | 'standby', term: number, planned = false) =>
  withRole(u, { app: u.app, term, active: role === 'active' ? u.replica : 9, ...(planned ? { previous: { replica: u.replica, planned: true } } : {}) }, ['data']);

test('a unit that wrote in an older term and is now a standby of a newer one has its data kept aside once, reported until removed; a planned handover keeps nothing', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'hafen-fence-'));
  try {
    const driver = ProcessDriver.open({ stateDir: dir });
    const logs: string[] = [];
    const fencer = new Fencer({ stateDir: dir, driver, log: (l) => logs.push(l) });
    const db = unit('db-r1');
    const data = join(dir, 'data', 'db-r1');
    mkdirSync(data, { recursive: true });
    writeFileSync(join(data, 'notes.log'), 'written while cut off\n');
    assert.deepEqual(fencer.demoted([as(db, 'standby', 1)]), [], 'a standby from the start was never a writer');
    await fencer.record([as(db, 'active', 1), unit('web-r1')]);
    assert.deepEqual(JSON.parse(readFileSync(join(dir, 'standby', 'terms.json'), 'utf8')), { 'db-r1': 1, 'web-r1': 0 });
    assert.deepEqual(fencer.demoted([as(db, 'standby', 2, true)]), [], 'a switchover hands over: nothing to keep');
    // A new agent on the same state directory (the host came back) remembers the term.
    const again = new Fencer({ stateDir: dir, driver, log: (l) => logs.push(l) });
    const demoted = again.demoted([as(db, 'standby', 2), as(unit('db-r2'), 'standby', 2)]);
    assert.deepEqual(demoted.map((u) => u.name), ['db-r1']);
    await again.keepAside(demoted[0]!, new Date());
    await again.record([as(db, 'standby', 2)]);
    const [kept] = again.report() ?? [];
    assert.equal(kept?.unit, 'db-r1');
    assert.equal(kept?.term, 1);
    assert.equal(readFileSync(join(kept!.path, 'data', 'notes.log'), 'utf8'), 'written while cut off\n', 'what it wrote, as it was');
    assert.match(logs.join('\n'), /fenced db-r1: it wrote in term 1, its app now writes elsewhere in term 2/);
    assert.deepEqual(again.demoted([as(db, 'standby', 2)]), [], 'kept aside once: the term is forgotten');
    rmSync(kept!.path, { recursive: true });
    assert.equal(again.report(), undefined, 'removed by the operator: no longer reported');
    assert.ok(existsSync(data), 'its own data directory stays for the copies from the new writer');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a unit that ran before its app had roles counts as a writer of term 0: made a standby, its data is kept aside', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'hafen-fence-'));
  try {
    const driver = ProcessDriver.open({ stateDir: dir });
    const fencer = new Fencer({ stateDir: dir, driver, log: () => {} });
    await fencer.record([unit('db-r2')]);
    assert.deepEqual(fencer.demoted([as(unit('db-r2'), 'standby', 1)]).map((u) => u.name), ['db-r2']);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
