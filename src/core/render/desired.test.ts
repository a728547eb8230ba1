import assert from 'node:assert/strict';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { test } from 'node:test';
import { validateFleet } from '../fleet/validate.js';
import type { Fleet } from '../fleet/model.js';
import { schedule } from '../placement/schedule.js';
import { desiredState } from './desired.js';

const load = (rel: string) => validateFleet([{ name: rel, text: readFileSync(new URL(`../../../${rel}`, import.meta.url), 'utf8') }]).fleet!;
const minimal = load('examples/minimal.yaml');
const composeSmall = load('test/fixtures/valid/compose-small.yaml');
const GOLDEN = new URL('../../../test/fixtures/golden/minimal.desired.json', import.meta.url);

test('golden: the desired state of the minimal fleet (process units)', () => {
  const plan = schedule(minimal);
  const text = `${JSON.stringify([...desiredState(minimal, plan.placements, 1).values()], null, 2)}\n`;
  // UPDATE_GOLDEN=1 rewrites the file after a deliberate change; review the diff before committing.
  if (process.env.UPDATE_GOLDEN === '1') writeFileSync(GOLDEN, text);
  assert.ok(existsSync(GOLDEN), 'golden file missing: run with UPDATE_GOLDEN=1 once and review it');
  assert.equal(text, readFileSync(GOLDEN, 'utf8'));
});

test('units carry ownership labels, keep the user\'s labels, and declare the app\'s volumes', () => {
  const state = desiredState(composeSmall, schedule(composeSmall).placements, 1);
  const db = [...state.values()].flatMap((h) => h.units).find((u) => u.app === 'huber-db')!;
  assert.equal(db.name, 'huber-db-r1');
  assert.equal(db.compose?.name, 'hafen-huber-db-r1');
  assert.deepEqual(db.compose?.services.db?.labels, { 'dev.hafen.owned': 'true', 'dev.hafen.app': 'huber-db', 'dev.hafen.unit': 'huber-db-r1' });
  assert.deepEqual(Object.keys(db.compose?.volumes ?? {}), ['data']);
  assert.equal(db.compose?.services.db?.restart, 'unless-stopped');
});

test('the hash changes with what runs, not with the revision number', () => {
  const placements = schedule(composeSmall).placements;
  const hashes = (f: Fleet, rev: number) => [...desiredState(f, placements, rev).values()].flatMap((h) => h.units.map((u) => `${u.name}:${u.hash}`));
  assert.deepEqual(hashes(composeSmall, 1), hashes(composeSmall, 7));
  const changed: Fleet = {
    ...composeSmall,
    apps: composeSmall.apps.map((a) => (a.id === 'huber-shop' ? { ...a, workload: { compose: { services: { web: { image: 'nginx:1.28' } } } } } : a)),
  };
  const before = new Map(hashes(composeSmall, 1).map((x) => x.split(':') as [string, string]));
  const after = new Map(hashes(changed, 2).map((x) => x.split(':') as [string, string]));
  assert.notEqual(after.get('huber-shop-r1'), before.get('huber-shop-r1'));
  assert.equal(after.get('huber-db-r1'), before.get('huber-db-r1'), 'other apps untouched');
});

test('hosts without units are listed, so agents stop what they no longer run', () => {
  const state = desiredState(minimal, [], 3);
  assert.deepEqual([...state.keys()], ['nue-app-01', 'nue-app-02']);
  for (const h of state.values()) assert.deepEqual(h.units, []);
});
