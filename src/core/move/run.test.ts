import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import type { RouteTable } from '../render/routes.js';
import { newRecord } from './consent.js';
import { overlayRoutes, overlayUnits } from './overlay.js';
import type { MoveRecord } from './record.js';
import { advanceRun, control, finished, overlayOf, startRun, targetView, type RunOptions, type TargetView } from './run.js';
import type { ScheduledMove } from './waves.js';

const move: ScheduledMove = {
  id: 'blog:hel>nue', app: 'blog', customer: 'verlag', from: 'hel', to: 'nue', replicas: [{ replica: 1, host: 'hel-1' }], strategy: 'live', bytes: 0, changePerDay: 0,
  downtimeSeconds: 0, switchSeconds: 600, consent: 'announce', warnings: [], targets: [{ replica: 1, from: 'hel-1', to: 'nue-1' }],
  start: '2026-12-01T12:00:00.000Z', end: '2026-12-01T12:10:00.000Z', wave: '2026-12-01', after: { group: 'site:nue', share: 0.3 },
};
const T0 = new Date('2026-12-01T12:00:00Z');
const at = (s: number) => new Date(T0.getTime() + s * 1000);
const O: RunOptions = { weights: [10, 50, 100], stepSeconds: 10, startTimeoutSeconds: 30, drainSeconds: 5 };
const healthy: TargetView = { state: 'healthy' };
const started = () => startRun(newRecord('mig_1', move, 1, T0).record, T0).record;

test('a live move: starting → shifting 10/50/100 → draining → finishing (a revision) → done, with the overlay of each phase', () => {
  let r: MoveRecord = started();
  const phases: string[] = [];
  const overlays: string[] = [];
  const see = () => {
    const o = overlayOf([r], O)[0];
    phases.push(`${r.state}/${r.run?.phase}/${r.run?.step}`);
    overlays.push(o ? `${o.targetWeight}${o.sourceDrain ? ' source-drain' : ''}${o.targetDrain ? ' target-drain' : ''}` : 'none');
  };
  see();
  assert.equal(advanceRun(r, { state: 'starting' }, at(5), O), undefined, 'waits for the target');
  let t = 5;
  for (let i = 0; i < 8; i++) {
    t += 11;
    const s = advanceRun(r, healthy, at(t), O);
    if (!s) continue;
    r = s.record;
    see();
    if (s.finish) {
      r = finished(r, at(t), 7).record;
      see();
      break;
    }
  }
  assert.deepEqual(phases, ['running/starting/0', 'running/shifting/0', 'running/shifting/1', 'running/shifting/2', 'running/draining/2', 'running/finishing/2', 'done/finishing/2']);
  assert.deepEqual(overlays, ['0', '10', '50', '100', '100 source-drain', '100 source-drain', 'none']);
  assert.equal(advanceRun(r, healthy, at(t + 100), O), undefined, 'a done move does nothing');
});

test('a target that is not healthy in time, or falls ill while traffic shifts, rolls the move back; an abort too; pause holds it', () => {
  const r = started();
  const late = advanceRun(r, { state: 'starting', detail: 'blog-r1 not started yet' }, at(30), O)!;
  assert.equal(late.record.run?.phase, 'rolling-back');
  assert.equal(late.record.run?.reason, 'the target was not healthy within 30 s (blog-r1 not started yet)');
  assert.equal(overlayOf([late.record], O)[0]?.targetDrain, true);
  assert.equal(advanceRun(late.record, healthy, at(34), O), undefined, 'the target drains first');
  const back = advanceRun(late.record, healthy, at(36), O)!;
  assert.equal(back.record.state, 'rolled-back');
  assert.deepEqual(overlayOf([back.record], O), [], 'the target goes');

  const shifting = advanceRun(r, healthy, at(1), O)!.record;
  const ill = advanceRun(shifting, { state: 'failed', detail: 'blog-r1 failed: exit 1' }, at(2), O)!;
  assert.equal(ill.record.run?.reason, 'the target is failed at 10 % (blog-r1 failed: exit 1)');

  const paused = control(shifting, 'pause', 'ops', at(3));
  assert.ok('record' in paused);
  assert.equal(advanceRun(paused.record, { state: 'failed' }, at(100), O), undefined, 'a paused move waits');
  assert.match((control(paused.record, 'pause', 'ops', at(4)) as { error: string }).error, /already paused/);
  const resumed = control(paused.record, 'resume', 'ops', at(50));
  assert.ok('record' in resumed && resumed.record.run?.phaseSince === at(50).toISOString());
  const aborted = control(resumed.record, 'abort', 'ops', at(51));
  assert.ok('record' in aborted && aborted.record.run?.phase === 'rolling-back' && aborted.record.run.reason === 'aborted by ops');
  assert.match((control(newRecord('mig_2', move, 1, T0).record, 'abort', 'ops', at(1)) as { error: string }).error, /is accepted: only a running move can be aborted \(cancel it instead\)/);
});

test('property: whatever the target does, traffic never leaves the source before the target was healthy, and a move ends done only through finishing', () => {
  const views = fc.constantFrom<TargetView>({ state: 'healthy' }, { state: 'starting' }, { state: 'failed' });
  fc.assert(
    fc.property(fc.array(fc.tuple(views, fc.integer({ min: 0, max: 20 })), { maxLength: 30 }), (steps) => {
      let r = started();
      let t = 0;
      let wasHealthy = false;
      let finishing = false;
      for (const [view, dt] of steps) {
        t += dt;
        const s = advanceRun(r, view, at(t), O);
        if (s?.finish) {
          finishing = true;
          r = finished(s.record, at(t), 2).record;
          break;
        }
        if (s) r = s.record;
        if (view.state === 'healthy') wasHealthy = true;
        const o = overlayOf([r], O)[0];
        if (o && o.targetWeight > 0) assert.ok(wasHealthy, 'traffic to a target never seen healthy');
      }
      if (r.state === 'done') assert.ok(finishing);
      assert.ok(['running', 'done', 'rolled-back'].includes(r.state));
    }),
    { numRuns: 300 },
  );
});

test('the target as its host reports it', () => {
  const unit = { name: 'blog-r1', hash: 'h1', health: { path: '/healthz' } };
  const since = '2026-12-01T12:00:00.000Z';
  const report = (u: object[], reportedAt = '2026-12-01T12:00:05.000Z') => ({ reportedAt, units: u as never });
  assert.deepEqual(targetView(undefined, unit, since), { state: 'starting', detail: 'no report from its host since the move started' });
  assert.equal(targetView(report([], '2026-12-01T11:59:00.000Z'), unit, since).detail, 'no report from its host since the move started');
  assert.equal(targetView(report([{ name: 'blog-r1', hash: 'old', state: 'running', healthy: true }]), unit, since).detail, 'blog-r1 not started yet');
  assert.equal(targetView(report([{ name: 'blog-r1', hash: 'h1', state: 'failed', lastError: 'exit 1' }]), unit, since).state, 'failed');
  assert.equal(targetView(report([{ name: 'blog-r1', hash: 'h1', state: 'running' }]), unit, since).detail, 'blog-r1 is not healthy');
  assert.deepEqual(targetView(report([{ name: 'blog-r1', hash: 'h1', state: 'running', healthy: true }]), unit, since), { state: 'healthy' });
});

test('the overlay: the target host runs the source unit too; the routes weigh both replicas alike at every site', () => {
  const unit = { name: 'blog-r1', app: 'blog', customer: 'verlag', replica: 1, kind: 'process' as const, hash: 'h1' };
  const o = { app: 'blog', units: [{ replica: 1, from: 'hel-1', to: 'nue-1' }], targetWeight: 10, sourceDrain: false, targetDrain: false, targetRuns: true, sourceStops: false };
  const nue = overlayUnits({ host: 'nue-1', site: 'nue', revision: 3, units: [] }, [o], (h) => (h === 'hel-1' ? [unit] : []));
  assert.deepEqual(nue.units, [unit]);
  const vie = { host: 'vie-1', site: 'vie', revision: 3, units: [] };
  assert.equal(overlayUnits(vie, [o], () => [unit]), vie, 'other hosts unchanged');
  const table: RouteTable = { revision: 3, routes: [{ host: 'blog.example', pathPrefix: '/', app: 'blog', redirectHttps: false, replicas: [{ id: 'blog-r1', site: 'hel', host: 'hel-1', address: '10.0.2.1', port: 8082, weight: 100, state: 'active' }] }] };
  const moved = overlayRoutes(table, [o], (h) => (h === 'nue-1' ? 'nue' : 'hel'), (h) => (h === 'nue-1' ? '10.0.0.1' : '10.0.2.1'));
  assert.equal(moved.routes[0]!.siteAffinity, false);
  assert.deepEqual(moved.routes[0]!.replicas.map((r) => [r.id, r.site, r.address, r.weight, r.state]), [
    ['blog-r1', 'hel', '10.0.2.1', 90, 'active'],
    ['blog-r1@nue-1', 'nue', '10.0.0.1', 10, 'active'],
  ]);
  assert.equal(overlayRoutes(table, [], () => undefined, () => undefined), table);
});
