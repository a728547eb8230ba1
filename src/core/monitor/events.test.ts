import assert from 'node:assert/strict';
import { test } from 'node:test';
import { EMPTY_SNAPSHOT, monitorEvents, type MonitorSnapshot } from './events.js';
import type { CheckStateName, Verdict } from './quorum.js';

const T = Date.parse('2030-01-01T00:00:00Z');
const checks = new Map([['replica:shop-r1', { title: 'shop-r1 (http)', app: 'shop', customer: 'acme', site: 'hel' }]]);
const v = (state: CheckStateName): Verdict => ({ state, downFrom: state === 'down' ? ['nue', 'vie'] : [], upFrom: state === 'up' ? ['nue', 'vie'] : [], reason: `${state} by quorum` });
const snap = (o: Partial<MonitorSnapshot>): MonitorSnapshot => ({ ...EMPTY_SNAPSHOT, ...o });
const check = (state?: CheckStateName) => snap({ verdicts: new Map(state ? [['replica:shop-r1', v(state)]] : []) });
const host = (state?: 'up' | 'down' | 'unknown') => snap({ hosts: new Map(state ? [['hel-app-01', { host: 'hel-app-01', site: 'hel', state, lastReport: '2029-12-31T23:59:30.000Z' }]] : []) });
const events = (before: MonitorSnapshot, after: MonitorSnapshot) => monitorEvents(before, after, checks, T).map((e) => `${e.kind} ${e.subject} ${e.state}`);

test('check transitions: each change of state is an event; a new check that is up is not news', () => {
  const table: [CheckStateName | undefined, CheckStateName | undefined, string[]][] = [
    [undefined, 'up', []],
    [undefined, 'down', ['check replica:shop-r1 down']],
    [undefined, 'unknown', ['check replica:shop-r1 unknown']],
    ['up', 'up', []],
    ['up', 'down', ['check replica:shop-r1 down']],
    ['up', 'degraded', ['check replica:shop-r1 degraded']],
    ['down', 'up', ['check replica:shop-r1 up']],
    ['unknown', 'up', ['check replica:shop-r1 up']],
    ['down', undefined, []],
  ];
  for (const [before, after, want] of table) assert.deepEqual(events(check(before), check(after)), want, `${before} → ${after}`);
  const [down] = monitorEvents(check('up'), check('down'), checks, T);
  assert.deepEqual(down, { at: '2030-01-01T00:00:00.000Z', kind: 'check', subject: 'replica:shop-r1', state: 'down', message: 'shop-r1 (http): down (down by quorum)', data: { app: 'shop', customer: 'acme', site: 'hel', downFrom: ['nue', 'vie'], upFrom: [], was: 'up' } });
  assert.deepEqual(monitorEvents(check(), check('down'), new Map(), T), [], 'a verdict of a check no longer in the fleet says nothing');
});

test('site, host and prober transitions', () => {
  const lost = (sites: Record<string, string[]>) => snap({ lost: new Map(Object.entries(sites)) });
  const silent = (sites: string[]) => snap({ silent: new Map(sites.map((s) => [s, T - 45_000])) });
  const table: [MonitorSnapshot, MonitorSnapshot, string[]][] = [
    [lost({}), lost({ hel: ['nue', 'vie'] }), ['site hel lost']],
    [lost({ hel: ['nue', 'vie'] }), lost({ hel: ['nue', 'vie'] }), []],
    [lost({ hel: ['nue', 'vie'] }), lost({}), ['site hel up']],
    [lost({ hel: ['nue', 'vie'] }), lost({ vie: ['nue', 'hel'] }), ['site vie lost', 'site hel up']],
    [host(), host('up'), []],
    [host('up'), host('down'), ['host hel-app-01 down']],
    [host('down'), host('up'), ['host hel-app-01 up']],
    [host('up'), host('unknown'), []],
    [host('down'), host('down'), []],
    [silent([]), silent(['hel']), ['prober hel silent']],
    [silent(['hel']), silent(['hel']), []],
    [silent(['hel']), silent([]), ['prober hel reporting']],
  ];
  for (const [before, after, want] of table) assert.deepEqual(events(before, after), want);
  assert.match(monitorEvents(silent([]), silent(['hel']), checks, T)[0]!.message, /^no probe results from site hel for 45 s$/);
  assert.match(monitorEvents(lost({}), lost({ hel: ['nue', 'vie'] }), checks, T)[0]!.message, /^site hel is lost: every check of it is down as seen from nue and vie$/);
  assert.match(monitorEvents(host('up'), host('down'), checks, T)[0]!.message, /^host hel-app-01 \(hel\) has not reported since 2029-12-31T23:59:30\.000Z$/);
});
