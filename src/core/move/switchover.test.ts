import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { RouteTable } from '../render/routes.js';
import { newRecord } from './consent.js';
import { overlayRoutes } from './overlay.js';
import type { MoveRecord } from './record.js';
import { control, overlayOf, startRun, type RunOptions } from './run.js';
import { advanceSwitchover, placed, type SwitchoverView } from './switchover.js';
import type { ScheduledMove } from './waves.js';

// huber-notes: r1 at hel (the writer), r2 at vie; r1 moves to nue, starting at the whole minute of now.
const T0 = new Date(Math.floor(Date.now() / 60_000) * 60_000);
const move: ScheduledMove = {
  id: 'notes:hel>nue', app: 'notes', customer: 'huber', from: 'hel', to: 'nue', replicas: [{ replica: 1, host: 'hel-1' }], strategy: 'switchover', bytes: 0, changePerDay: 0,
  downtimeSeconds: 20, switchSeconds: 600, consent: 'announce', warnings: [], targets: [{ replica: 1, from: 'hel-1', to: 'nue-1' }],
  start: T0.toISOString(), end: new Date(T0.getTime() + 600_000).toISOString(), wave: T0.toISOString().slice(0, 10), after: { group: 'site:nue', share: 0.3 },
};
const at = (s: number) => new Date(T0.getTime() + s * 1000);
const O: RunOptions = { weights: [10, 50, 100], stepSeconds: 10, startTimeoutSeconds: 30, drainSeconds: 5 };
const started = () => startRun(newRecord('mig_1', move, 1, T0).record, T0).record;
const handTo = { replica: 2, site: 'vie' };

/** Applies a step, checking it is one. */
function step(r: MoveRecord, v: SwitchoverView, s: number) {
  const next = advanceSwitchover(r, v, at(s), O);
  assert.ok(next, `a step at ${s} s from ${r.run?.phase}`);
  return next;
}

test('the writer moving: hands over to the other standby, runs at the target as a standby until its copy is fresh, is placed there, and takes the writes back — never two writers', () => {
  let r = started();
  assert.equal(r.run?.phase, 'handing-over');
  assert.deepEqual(overlayOf([r], O), [], 'nothing runs at the target while r1 writes');
  // r1 writes: a switchover to r2 at vie is asked for.
  let s = step(r, { writer: 1, switching: false, handTo }, 1);
  assert.equal(s.switchTo, 'vie');
  r = s.record;
  assert.deepEqual(r.run?.handover, { replica: 2, site: 'vie' });
  assert.equal(advanceSwitchover(r, { writer: undefined, switching: true, handTo }, at(2), O), undefined, 'waits while it switches');
  assert.equal(overlayOf([r], O).length, 0, 'still nothing at the target');
  // r2 writes: r1 starts at nue as a standby.
  s = step(r, { writer: 2, switching: false }, 3);
  r = s.record;
  assert.equal(r.run?.phase, 'starting');
  const [o] = overlayOf([r], O);
  assert.deepEqual(o, { app: 'notes', units: [{ replica: 1, from: 'hel-1', to: 'nue-1' }], targetWeight: 0, sourceDrain: false, targetDrain: false, targetRuns: true, sourceStops: false, standby: true });
  // The route table is not touched: a standby takes no requests.
  const table: RouteTable = { revision: 1, routes: [{ app: 'notes', customer: 'huber', domains: ['notes.example'], replicas: [{ id: 'notes-r2', site: 'vie', host: 'vie-1', address: '10.0.0.2', port: 80, weight: 100, state: 'active' }] } as unknown as RouteTable['routes'][number]] };
  assert.deepEqual(overlayRoutes(table, [o!], () => 'nue', () => '10.0.0.9'), table);
  // A copy from before the phase does not count; one begun since does.
  assert.equal(advanceSwitchover(r, { writer: 2, switching: false, targetCopiedAt: at(2).getTime() }, at(4), O), undefined);
  s = step(r, { writer: 2, switching: false, targetCopiedAt: at(5).getTime() }, 6);
  assert.equal(s.finish, true);
  r = s.record;
  assert.equal(r.run?.phase, 'finishing');
  assert.equal(overlayOf([r], O).length, 1, 'the target keeps running until the revision places it');
  const refused = control(r, 'abort', 'ops', at(7));
  assert.ok('error' in refused && /placing its final revision/.test(refused.error), 'no abort once it places its revision');
  // Placed: the writes come back to r1, now at nue.
  s = placed(r, at(8), 7);
  r = s.record;
  assert.equal(r.run?.phase, 'handing-back');
  assert.deepEqual(overlayOf([r], O), [], 'the revision runs it now');
  s = step(r, { writer: 2, switching: false }, 9);
  assert.equal(s.switchTo, 'nue');
  r = s.record;
  assert.equal(advanceSwitchover(r, { writer: undefined, switching: true }, at(10), O), undefined);
  s = step(r, { writer: 1, switching: false }, 12);
  assert.equal(s.record.state, 'done');
  assert.match(s.event!.detail, /done: notes-r1 writes again, at nue/);
});

test('a standby moving goes straight to the target, and is done once placed; nothing switches over', () => {
  let r = started();
  let s = step(r, { writer: 2, switching: false, handTo }, 1);
  assert.equal(s.switchTo, undefined);
  r = s.record;
  assert.equal(r.run?.phase, 'starting');
  s = step(r, { writer: 2, switching: false, targetCopiedAt: at(3).getTime() }, 4);
  s = placed(s.record, at(5), 7);
  assert.equal(s.record.state, 'done');
  assert.match(s.event!.detail, /places notes-r1 at nue as a standby/);
});

test('a target that makes no copy in time rolls back: it goes, and the writes come back to the replica at the source', () => {
  let r = step(started(), { writer: 1, switching: false, handTo }, 1).record;
  r = step(r, { writer: 2, switching: false }, 2).record;
  assert.equal(advanceSwitchover(r, { writer: 2, switching: false, targetError: 'rsync exited 255' }, at(20), O), undefined, 'a failed copy is tried again until the time runs out');
  let s = step(r, { writer: 2, switching: false, targetError: 'rsync exited 255' }, 33);
  assert.equal(s.record.run?.phase, 'rolling-back');
  assert.match(s.event!.detail, /made no copy within 30 s \(its last copy failed: rsync exited 255\)/);
  r = s.record;
  assert.deepEqual(overlayOf([r], O), [], 'the target goes');
  s = step(r, { writer: 2, switching: false }, 34);
  assert.equal(s.switchTo, 'hel');
  r = s.record;
  s = step(r, { writer: 1, switching: false }, 36);
  assert.equal(s.record.state, 'rolled-back');
  assert.match(s.event!.detail, /notes-r1 stays at hel/);
});

test('no standby to take the writes: the move waits, then rolls back without touching the writer', () => {
  const r = started();
  assert.equal(advanceSwitchover(r, { writer: 1, switching: false }, at(10), O), undefined);
  const s = step(r, { writer: 1, switching: false }, 31);
  assert.equal(s.switchTo, undefined);
  assert.match(s.event!.detail, /no other standby of notes with a current copy/);
  const done = step(s.record, { writer: 1, switching: false }, 32);
  assert.equal(done.record.state, 'rolled-back');
});
