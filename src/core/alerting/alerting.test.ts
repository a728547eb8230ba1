import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import type { CheckStatus, SiteStatus } from '../monitor/status.js';
import { deriveAlerts, matches, plannedSilences, type AlertView, type Silence } from './alerts.js';
import { receiversFor, silenceReminders, stepGroups, type GroupState } from './groups.js';

const NOW = new Date('2026-11-26T12:00:00.000Z');

function check(id: string, state: CheckStatus['state'], extra: Partial<CheckStatus> = {}): CheckStatus {
  const replica = id.startsWith('replica:');
  return {
    id,
    kind: id.startsWith('tls:') ? 'tls' : 'http',
    title: id,
    app: extra.app ?? 'shop',
    customer: extra.customer ?? 'huber',
    critical: false,
    ...(replica ? { site: 'hel', host: 'hel-app-01' } : {}),
    state,
    downFrom: state === 'up' ? [] : ['nue', 'vie'],
    upFrom: [],
    reason: state,
    since: NOW.toISOString(),
    views: {},
    ...extra,
  };
}
const site = (name: string, state: SiteStatus['state'] = 'up', probers: SiteStatus['probers'] = 'reporting'): SiteStatus => ({ site: name, state, seenBy: state === 'lost' ? ['nue', 'vie'] : [], probesAt: NOW.toISOString(), probers });

test('severity: a visitor\'s path or a critical app down is critical; one replica down is a warning; degraded is info', () => {
  const alerts = deriveAlerts(
    [
      check('replica:shop-r1', 'down'),
      check('domain:shop.example', 'down'),
      check('replica:grid-r1', 'down', { app: 'grid', customer: 'stadtwerke', critical: true }),
      check('replica:blog-r1', 'degraded', { app: 'blog', downFrom: ['hel'] }),
      check('tls:shop.example', 'down'),
      check('replica:up-r1', 'up'),
    ],
    [site('nue'), site('vie'), site('hel')],
    [],
    NOW,
  );
  const by = new Map(alerts.map((a) => [a.key, a]));
  assert.equal(by.get('check:replica:shop-r1')!.severity, 'warning');
  assert.equal(by.get('check:domain:shop.example')!.severity, 'critical');
  assert.equal(by.get('check:replica:grid-r1')!.severity, 'critical');
  assert.equal(by.get('check:replica:blog-r1')!.severity, 'info');
  assert.equal(by.get('check:replica:blog-r1')!.group, 'path:hel', 'a path problem is grouped by the site that sees it');
  assert.equal(by.get('check:tls:shop.example')!.severity, 'warning');
  assert.equal(by.get('check:replica:grid-r1')!.group, 'customer:stadtwerke');
  assert.ok(!by.has('check:replica:up-r1'));
});

test('a lost site inhibits what it explains: its replicas, apps that live only there, its probers, paths seen only from it', () => {
  const alerts = deriveAlerts(
    [
      check('replica:shop-r1', 'down'),
      check('replica:shop-r2', 'up', { site: 'nue' }),
      check('domain:blog.example', 'down', { app: 'blog' }),
      check('replica:blog-r1', 'down', { app: 'blog' }),
      check('domain:shop.example', 'down'),
      check('replica:other-r1', 'degraded', { app: 'other', site: 'nue', downFrom: ['hel'] }),
    ],
    [site('nue'), site('vie'), site('hel', 'lost', 'silent')],
    [],
    NOW,
  );
  const by = new Map(alerts.map((a) => [a.key, a]));
  assert.equal(by.get('site:hel')!.inhibitedBy, undefined);
  assert.equal(by.get('check:replica:shop-r1')!.inhibitedBy, 'site:hel');
  assert.equal(by.get('check:domain:blog.example')!.inhibitedBy, 'site:hel', 'blog runs only at hel');
  assert.equal(by.get('check:domain:shop.example')!.inhibitedBy, undefined, 'shop also runs at nue: its domain down is not explained by hel');
  assert.equal(by.get('prober:hel')!.inhibitedBy, 'site:hel');
  assert.equal(by.get('check:replica:other-r1')!.inhibitedBy, 'site:hel');
});

test('silences match on every label they name, only while they last', () => {
  const silence: Silence = { id: 's1', matchers: { customer: 'huber', app: 'shop' }, startsAt: '2026-11-26T11:00:00.000Z', endsAt: '2026-11-26T13:00:00.000Z', comment: 'deploy', createdBy: 'ops' };
  const alerts = deriveAlerts([check('replica:shop-r1', 'down'), check('replica:blog-r1', 'down', { app: 'blog' })], [], [silence], NOW);
  assert.equal(alerts.find((a) => a.key === 'check:replica:shop-r1')!.silencedBy, 's1');
  assert.equal(alerts.find((a) => a.key === 'check:replica:blog-r1')!.silencedBy, undefined);
  assert.equal(deriveAlerts([check('replica:shop-r1', 'down')], [], [silence], new Date('2026-11-26T13:00:00.000Z'))[0]!.silencedBy, undefined, 'ended');
  assert.equal(matches({ matchers: {} }, { labels: { app: 'shop' } }), false, 'an empty silence matches nothing');
});

const alert = (key: string, group = 'customer:huber', severity: AlertView['severity'] = 'warning'): AlertView => ({ key, severity, group, summary: key, labels: { customer: 'huber' }, since: NOW.toISOString() });
const T = { groupWaitMs: 10_000, repeatMs: 4 * 3600_000 };

test('a group waits, then notifies once with everything that joined, again when more join, and once resolved', () => {
  let groups = new Map<string, GroupState>();
  const t0 = NOW.getTime();
  const step = (alerts: AlertView[], at: number) => {
    const r = stepGroups(groups, alerts, at, T);
    groups = r.groups;
    return r.notifications;
  };
  assert.deepEqual(step([alert('a')], t0), [], 'waits for more');
  assert.deepEqual(step([alert('a'), alert('b')], t0 + 5000), []);
  const first = step([alert('a'), alert('b')], t0 + 10_000);
  assert.equal(first.length, 1);
  assert.equal(first[0]!.kind, 'firing');
  assert.deepEqual(first[0]!.alerts.map((a) => a.key), ['a', 'b']);
  assert.equal(first[0]!.customer, 'huber');
  assert.deepEqual(step([alert('a'), alert('b')], t0 + 20_000), [], 'nothing new: nothing sent');
  const joined = step([alert('a'), alert('b'), alert('c', 'customer:huber', 'critical')], t0 + 30_000);
  assert.equal(joined.length, 1);
  assert.equal(joined[0]!.severity, 'critical');
  assert.deepEqual(step([alert('a')], t0 + 40_000), [], 'partly resolved: wait for the rest');
  const repeat = step([alert('a')], t0 + 30_000 + T.repeatMs);
  assert.equal(repeat.length, 1, 'repeated while it fires');
  const resolved = step([], t0 + 30_001 + T.repeatMs);
  assert.equal(resolved.length, 1);
  assert.equal(resolved[0]!.kind, 'resolved');
  assert.equal(groups.size, 0);
});

test('a flap shorter than the group wait is never notified; inhibited and silenced alerts never are', () => {
  let groups = new Map<string, GroupState>();
  const t0 = NOW.getTime();
  groups = stepGroups(groups, [alert('a')], t0, T).groups;
  const r = stepGroups(groups, [], t0 + 5000, T);
  assert.deepEqual(r.notifications, []);
  assert.equal(r.groups.size, 0);
  const muted = [{ ...alert('x'), inhibitedBy: 'site:hel' }, { ...alert('y'), silencedBy: 's1' }];
  let g = new Map<string, GroupState>();
  for (let t = t0; t <= t0 + 60_000; t += 1000) {
    const step = stepGroups(g, muted, t, T);
    assert.deepEqual(step.notifications, []);
    g = step.groups;
  }
});

test('one site loss is one notification, whatever the number of apps (property)', () => {
  fc.assert(
    fc.property(fc.integer({ min: 1, max: 300 }), (apps) => {
      const checks = Array.from({ length: apps }, (_, i) => check(`replica:app${i}-r1`, 'down', { app: `app${i}`, customer: `c${i}` }));
      const alerts = deriveAlerts(checks, [site('nue'), site('vie'), site('hel', 'lost', 'silent')], [], NOW);
      let groups = new Map<string, GroupState>();
      const sent = [];
      for (const at of [0, 10_000, 20_000]) {
        const r = stepGroups(groups, alerts, NOW.getTime() + at, T);
        groups = r.groups;
        sent.push(...r.notifications);
      }
      assert.deepEqual(sent.map((n) => n.group), ['site:hel']);
    }),
    { numRuns: 30 },
  );
});

test('silence reminders come once, shortly before the end; receivers get what they asked for', () => {
  const s: Silence = { id: 's1', matchers: { site: 'hel' }, startsAt: '2026-11-26T10:00:00.000Z', endsAt: '2026-11-26T12:10:00.000Z', comment: 'move to vie', createdBy: 'ops' };
  const due = silenceReminders([s], new Set(), NOW.getTime(), 15 * 60_000);
  assert.equal(due.length, 1);
  assert.match(due[0]!.title, /silence s1 \(site=hel\) ends at 2026-11-26T12:10:00.000Z/);
  assert.deepEqual(silenceReminders([s], new Set(['s1']), NOW.getTime(), 15 * 60_000), []);
  assert.deepEqual(silenceReminders([s], new Set(), NOW.getTime(), 5 * 60_000), [], 'not yet');
  const receivers = [
    { id: 'ops', minSeverity: 'warning' as const, webhook: { url: 'http://x', format: 'json' as const } },
    { id: 'pager', minSeverity: 'critical' as const, webhook: { url: 'http://y', format: 'json' as const } },
    { id: 'huber-contact', minSeverity: 'warning' as const, customers: ['huber'], webhook: { url: 'http://z', format: 'json' as const } },
  ];
  assert.deepEqual(receiversFor({ severity: 'warning', customer: 'huber' }, receivers).map((r) => r.id), ['ops', 'huber-contact']);
  assert.deepEqual(receiversFor({ severity: 'critical' }, receivers).map((r) => r.id), ['ops', 'pager']);
  assert.deepEqual(receiversFor({ severity: 'info', customer: 'huber' }, receivers).map((r) => r.id), []);
});

test('planned work in the fleet mutes what it names while it lasts, in its own time zone', () => {
  const planned = plannedSilences([{ id: 'hel-power', from: '2026-11-26T12:30:00+01:00', to: '2026-11-26T14:00:00+01:00', site: 'hel', comment: 'power work at hel' }]);
  assert.deepEqual(planned[0], { id: 'maintenance:hel-power', matchers: { site: 'hel' }, startsAt: '2026-11-26T11:30:00.000Z', endsAt: '2026-11-26T13:00:00.000Z', comment: 'power work at hel', createdBy: 'fleet' });
  const during = deriveAlerts([check('replica:shop-r1', 'down')], [], planned, NOW);
  assert.equal(during[0]!.silencedBy, 'maintenance:hel-power', 'the replica at hel is muted');
  assert.equal(deriveAlerts([check('replica:shop-r1', 'down')], [], planned, new Date('2026-11-26T11:00:00Z'))[0]!.silencedBy, undefined, 'not before it starts');
});

test('a host whose agent stopped reporting is a warning for its site, muted when the site is lost', () => {
  const host = { host: 'hel-app-01', site: 'hel', state: 'down' as const, lastReport: '2026-11-26T11:59:00.000Z' };
  const [a] = deriveAlerts([], [site('hel')], [], NOW, [host]);
  assert.deepEqual([a!.key, a!.severity, a!.group, a!.inhibitedBy], ['host:hel-app-01', 'warning', 'site:hel', undefined]);
  assert.match(a!.summary, /host hel-app-01 has not reported since 2026-11-26T11:59:00.000Z/);
  const lost = deriveAlerts([], [site('hel', 'lost')], [], NOW, [host]);
  assert.equal(lost.find((x) => x.key === 'host:hel-app-01')!.inhibitedBy, 'site:hel');
});
