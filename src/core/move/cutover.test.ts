import assert from 'node:assert/strict';
import { test } from 'node:test';
import { answer, newRecord } from './consent.js';
import { moveMessage } from './messages.js';
import { copyView, moveOrders } from './copy-orders.js';
import { advanceCutover, copyOrder, cutoverMaintenance, type CopyReport, type CutoverOptions, type CutoverView } from './cutover.js';
import type { MoveRecord } from './record.js';
import { control, overlayOf, startRun } from './run.js';
import type { ScheduledMove } from './waves.js';

const move: ScheduledMove = {
  id: 'ledger:hel>nue', app: 'ledger', customer: 'verlag', from: 'hel', to: 'nue', replicas: [{ replica: 1, host: 'hel-1' }], strategy: 'cutover', bytes: 200e6, changePerDay: 1e9,
  downtimeSeconds: 61, switchSeconds: 121, consent: 'required', warnings: [], targets: [{ replica: 1, from: 'hel-1', to: 'nue-1' }],
  preCopy: { start: '2026-12-01T00:59:50.000Z', end: '2026-12-01T01:00:00.000Z' },
  start: '2026-12-01T01:00:00.000Z', end: '2026-12-01T01:02:01.000Z', wave: '2026-11-30', window: { start: '2026-12-01T01:00:00.000Z', end: '2026-12-01T04:00:00.000Z' },
  after: { group: 'site:nue', share: 0.3 },
};
const T0 = Date.parse('2026-12-01T00:59:50Z');
const at = (s: number) => new Date(T0 + s * 1000);
const O: CutoverOptions = { rounds: 3, closeSeconds: 5, staleSeconds: 600, stopTimeoutSeconds: 20, startTimeoutSeconds: 30, verifySeconds: 10 };
const healthy = { state: 'healthy' as const };
const starting = { state: 'starting' as const };
const started = () => startRun(newRecord('mig_1', move, 1, new Date(T0)).record, new Date(T0)).record;
const view = (v: Partial<CutoverView> = {}): CutoverView => ({ sourceStopped: false, source: healthy, target: starting, ...v });
const done = (r: MoveRecord, o: Partial<CopyReport> = {}): CopyReport => ({ id: copyOrder(r)!.id, state: 'done', bytes: 1000, seconds: 1, ...o });

test('a cutover: pre-copy rounds until one is short, ready, stop, final copy with checksums, start, verify, finish; with the overlay of each phase', () => {
  let r = started();
  const seen: string[] = [];
  const step = (v: CutoverView, s: number) => {
    const n = advanceCutover(r, v, at(s), O);
    if (!n) return undefined;
    r = n.record;
    const o = overlayOf([r])[0];
    seen.push(`${r.run!.phase}${o ? ` target-runs:${o.targetRuns} source-stops:${o.sourceStops} weight:${o.targetWeight}` : ''}`);
    return n;
  };
  assert.equal(r.run!.phase, 'copying');
  assert.deepEqual(copyOrder(r), { id: 'mig_1/copy-1', final: false });
  assert.equal(overlayOf([r]).length, 0, 'nothing changes for the app while it is copied');
  assert.equal(step(view({ copy: { id: 'mig_1/copy-1', state: 'running' } }), 1), undefined);
  assert.equal(step(view({ copy: { id: 'mig_1/copy-0', state: 'done' } }), 1), undefined, 'another copy’s result is no answer');
  step(view({ copy: done(r, { seconds: 8 }) }), 8);
  assert.deepEqual(copyOrder(r), { id: 'mig_1/copy-2', final: false }, 'a long round: another one');
  step(view({ copy: done(r, { seconds: 2 }) }), 9);
  assert.equal(r.run!.phase, 'ready');
  assert.equal(copyOrder(r), undefined);
  assert.equal(step(view(), 9.5), undefined, 'waits for its time');
  step(view(), 10);
  assert.equal(r.run!.phase, 'stopping');
  assert.equal(r.run!.stoppedAt, at(10).toISOString());
  assert.equal(step(view({ sourceStopped: false }), 12), undefined);
  step(view({ sourceStopped: true }), 13);
  assert.deepEqual(copyOrder(r), { id: 'mig_1/final', final: true });
  step(view({ sourceStopped: true, copy: done(r, { identical: true }) }), 14);
  assert.equal(r.run!.phase, 'starting');
  assert.equal(step(view({ target: starting }), 20), undefined);
  step(view({ target: healthy }), 21);
  assert.equal(r.run!.downtimeSeconds, 11);
  assert.equal(step(view({ target: healthy }), 25), undefined, 'verifies for 10 s');
  const fin = step(view({ target: healthy }), 31);
  assert.equal(fin?.finish, true);
  assert.deepEqual(r.run!.copies!.map((c) => c.round), [1, 2, 'final']);
  assert.deepEqual(seen, [
    'copying', 'ready', 'stopping target-runs:false source-stops:true weight:0', 'syncing target-runs:false source-stops:true weight:0',
    'starting target-runs:true source-stops:true weight:100', 'verifying target-runs:true source-stops:true weight:100', 'finishing target-runs:true source-stops:true weight:100',
  ]);
});

test('a cutover rolls back on a failed copy, different checksums, a target not healthy in time or falling ill, and an abort; the source comes back on its own data', () => {
  const upTo = (phase: string): MoveRecord => {
    let r = started();
    const script: [CutoverView | ((r: MoveRecord) => CutoverView), number][] = [
      [(x) => view({ copy: done(x) }), 5],
      [view(), 10],
      [view({ sourceStopped: true }), 11],
      [(x) => view({ sourceStopped: true, copy: done(x, { identical: true }) }), 12],
      [view({ target: healthy }), 13],
    ];
    for (const [v, s] of script) {
      if (r.run!.phase === phase) return r;
      r = advanceCutover(r, typeof v === 'function' ? v(r) : v, at(s), O)!.record;
    }
    assert.equal(r.run!.phase, phase);
    return r;
  };
  const back = (r: MoveRecord, v: CutoverView, s: number) => advanceCutover(r, v, at(s), O)!.record.run!;
  assert.match(back(upTo('copying'), view({ copy: { id: 'mig_1/copy-1', state: 'failed', error: 'denied' } }), 3).reason!, /the pre-copy failed: denied/);
  assert.equal(back(upTo('copying'), view({ copy: { id: 'mig_1/copy-1', state: 'failed' } }), 3).stoppedAt, undefined, 'never stopped');
  assert.match(back(upTo('stopping'), view(), 40).reason!, /did not stop at hel within 20 s/);
  const syncing = upTo('syncing');
  assert.match(back(syncing, view({ sourceStopped: true, copy: done(syncing, { identical: false, differences: ['ledger.log'] }) }), 13).reason!, /differs from the source after the final copy: ledger.log/);
  assert.match(back(upTo('starting'), view({ target: { state: 'failed', detail: 'exit 1' } }), 14).reason!, /the target failed to start \(exit 1\)/);
  assert.match(back(upTo('starting'), view({ target: starting }), 50).reason!, /not healthy within 30 s/);
  assert.match(back(upTo('verifying'), view({ target: { state: 'starting', detail: 'not healthy' } }), 15).reason!, /while verified/);
  const aborted = control(upTo('syncing'), 'abort', 'ops', at(13));
  assert.ok(!('error' in aborted));
  let r = aborted.record;
  assert.equal(r.run!.phase, 'rolling-back');
  assert.deepEqual(overlayOf([r]), [], 'rolling back: the source runs, the target does not');
  assert.equal(advanceCutover(r, view({ source: starting }), at(20), O), undefined, 'waits for the source to be healthy again');
  r = advanceCutover(r, view({ source: healthy }), at(21), O)!.record;
  assert.equal(r.state, 'rolled-back');
  // Too late in the window: the app is never stopped.
  const late = upTo('ready');
  const end = Date.parse(move.window!.end);
  assert.equal(advanceCutover(late, view(), new Date(end - 60_000), O)!.record.run!.phase, 'rolling-back');
  // A stale copy gets one more round first.
  assert.equal(advanceCutover(late, view(), at(5 + 700), O)!.record.run!.phase, 'copying');
  assert.equal(advanceCutover(late, view(), at(5 + 500), O)!.record.run!.phase, 'stopping');
});

test('copy orders: the target pulls every moving unit, the source lets the reported keys in from the target only, while the move copies', () => {
  let r = started();
  const ctx = {
    addressOf: (h: string) => ({ 'hel-1': '10.0.4.1', 'nue-1': '10.0.0.1' })[h],
    volumesOf: () => ['data'],
    projectOf: () => undefined,
    ssh: { user: 'root', port: 22 },
    reportOf: (h: string) => (h === 'nue-1' ? { keys: [{ migration: 'mig_1', unit: 'ledger-r1', volume: 'data', key: 'ssh-ed25519 AAAA x' }, { migration: 'mig_9', unit: 'ledger-r1', volume: 'data', key: 'ssh-ed25519 BBBB' }], copies: [{ id: 'mig_1/copy-1', unit: 'ledger-r1', state: 'done' as const, bytes: 5, seconds: 1 }] } : undefined),
  };
  assert.deepEqual(moveOrders([r], 'nue-1', ctx).copies, [{ migration: 'mig_1', unit: 'ledger-r1', volumes: ['data'], source: { host: 'hel-1', address: '10.0.4.1', port: 22, user: 'root' }, bindAddress: '10.0.0.1', copy: { id: 'mig_1/copy-1', final: false } }]);
  assert.deepEqual(moveOrders([r], 'hel-1', ctx).access, [{ migration: 'mig_1', unit: 'ledger-r1', volume: 'data', key: 'ssh-ed25519 AAAA x', from: '10.0.0.1' }], "another move's key is not let in");
  assert.deepEqual(moveOrders([r], 'vie-1', ctx), { copies: [], access: [] });
  // A compose project directory: its data by the names it has on the hosts, and where the target finds them before it runs there.
  const project = { ...ctx, volumesOf: () => ['db_data', './postgres'], projectOf: () => ({ name: 'ledger', workingDir: '/srv/ledger' }) };
  assert.deepEqual(moveOrders([r], 'nue-1', project).copies.map((c) => [c.volumes, c.project]), [[['db_data', './postgres'], { name: 'ledger', workingDir: '/srv/ledger' }]]);
  assert.deepEqual(copyView(r, ctx.reportOf), { id: 'mig_1/copy-1', state: 'done', bytes: 5, seconds: 1 });
  r = advanceCutover(r, view({ copy: copyView(r, ctx.reportOf) }), at(5), O)!.record;
  r = advanceCutover(r, view(), at(11), O)!.record;
  r = advanceCutover(r, view({ sourceStopped: true }), at(12), O)!.record;
  assert.equal(copyView(r, ctx.reportOf)?.state, 'running', 'the final copy not reported yet');
  r = advanceCutover(r, view({ sourceStopped: true, copy: { id: 'mig_1/final', state: 'done', identical: true } }), at(13), O)!.record;
  assert.equal(r.run!.phase, 'starting');
  assert.deepEqual(moveOrders([r], 'hel-1', ctx), { copies: [], access: [] }, 'the keys go once the data is there');
});

test('the customer is told when the copy begins (and when the switch is), and afterwards how long the app was down', () => {
  const ctx = { customerName: 'Verlag Nord', timezone: 'Europe/Berlin', siteNames: new Map([['hel', 'Helsinki'], ['nue', 'Nuremberg']]) };
  const r = started();
  assert.match(moveMessage('started', r, ctx).text, /We have started copying the data of ledger from Helsinki to Nuremberg while it runs; the switch is on Tuesday, 1 December 2026 at 02:00 CET/);
  const done = { ...r, state: 'done' as const, run: { ...r.run!, downtimeSeconds: 11 } };
  assert.match(moveMessage('finished', done, ctx).text, /ledger now runs at Nuremberg; the move is complete\. It was unavailable for 11 s\./);
});

test('the customer may still decline while the data is only copied; once the app is stopped, only the team can stop the move', () => {
  const r = started();
  const no = answer(r, { decision: 'decline', by: 'Jens', at: at(3).toISOString(), via: 'link' });
  assert.ok(!('error' in no));
  assert.equal(no.record.state, 'declined');
  assert.deepEqual(moveOrders([no.record], 'nue-1', { addressOf: () => '10.0.0.1', volumesOf: () => [], projectOf: () => undefined, ssh: { user: 'root', port: 22 }, reportOf: () => undefined }).copies, [], 'the copy stops');
  const stopping = { ...r, run: { ...r.run!, phase: 'stopping' as const } };
  assert.match((answer(stopping, { decision: 'decline', by: 'Jens', at: at(3).toISOString(), via: 'link' }) as { error: string }).error, /has started; ask the team to stop it/);
});

test("a cutover's planned downtime mutes its app's alerts from the stop, while it runs, and only then", () => {
  const r = started();
  assert.deepEqual(cutoverMaintenance([r], at(1)), [], 'copying: nothing is down');
  const stopped = advanceCutover(advanceCutover(r, view({ copy: done(r) }), at(5), O)!.record, view(), at(10), O)!.record;
  assert.deepEqual(cutoverMaintenance([stopped], at(12)), [{ id: 'migration-mig_1', from: at(10).toISOString(), to: at(312).toISOString(), app: 'ledger', comment: 'cutover mig_1: ledger moves from hel to nue (stopping)' }]);
  assert.deepEqual(cutoverMaintenance([{ ...stopped, state: 'done' }], at(12)), []);
});
