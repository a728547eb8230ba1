import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { CheckStatus } from './status.js';
import { restartsDue } from './remediation.js';

const NOW = Date.parse('2026-11-26T12:00:00Z');
const check = (state: CheckStatus['state'], fails: number[], extra: Partial<CheckStatus> = {}): CheckStatus =>
  ({
    id: 'replica:blog-r1',
    kind: 'http',
    title: 'replica blog-r1 on hel-app-01',
    app: 'blog',
    customer: 'verlag',
    critical: false,
    site: 'hel',
    host: 'hel-app-01',
    state,
    downFrom: ['nue', 'vie'],
    upFrom: [],
    reason: '',
    since: '',
    views: Object.fromEntries(fails.map((f, i) => [['nue', 'vie', 'hel'][i]!, { up: f === 0 ? true : f >= 2 ? false : true, fails: f, at: '', ms: 1 }])),
    ...extra,
  }) as CheckStatus;
const policies = new Map([['blog', { restartAfter: 3, maxPerHour: 2 }]]);
const cooldown = () => 30_000;

test('a replica down by quorum, failed restartAfter times from every site that sees it down, is restarted', () => {
  const due = restartsDue([check('down', [3, 4, 0])], policies, new Map(), NOW, cooldown);
  assert.deepEqual(due.restart.map((r) => [r.unit, r.host]), [['blog-r1', 'hel-app-01']]);
  assert.match(due.restart[0]!.reason, /failed 3 times in a row from nue, vie/);
});

test('not restarted: fewer failures, not down, no opt-in, within the cool-down; over the hourly limit it is said once', () => {
  assert.deepEqual(restartsDue([check('down', [2, 4, 0])], policies, new Map(), NOW, cooldown).restart, []);
  assert.deepEqual(restartsDue([check('degraded', [5, 0, 0])], policies, new Map(), NOW, cooldown).restart, []);
  assert.deepEqual(restartsDue([check('down', [5, 5, 0], { app: 'other' })], policies, new Map(), NOW, cooldown).restart, []);
  assert.deepEqual(restartsDue([check('down', [5, 5, 0])], policies, new Map([['blog-r1', [NOW - 10_000]]]), NOW, cooldown).restart, [], 'cooling down');
  const limited = restartsDue([check('down', [5, 5, 0])], policies, new Map([['blog-r1', [NOW - 50 * 60_000, NOW - 40 * 60_000]]]), NOW, cooldown);
  assert.deepEqual(limited.restart, []);
  assert.deepEqual(limited.limited.map((r) => r.unit), ['blog-r1']);
  assert.equal(restartsDue([check('down', [5, 5, 0])], policies, new Map([['blog-r1', [NOW - 70 * 60_000, NOW - 40 * 60_000]]]), NOW, cooldown).restart.length, 1, 'an hour later the budget is back');
});
