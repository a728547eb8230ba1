import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { AlertView } from '../core/alerting/alerts.js';
import type { GroupState } from '../core/alerting/groups.js';
import type { CheckStatus } from '../core/monitor/status.js';
import { backoffMs, carryUnknown } from './alerting.js';

const alert = (key: string): AlertView => ({ key, severity: 'warning', group: 'customer:huber', summary: key, labels: { customer: 'huber' }, since: '2026-11-26T10:00:00.000Z' });
const status = (id: string, state: CheckStatus['state']) => ({ id, state }) as CheckStatus;

test('an alert whose check went unknown is carried on, not resolved; one whose check is up ends', () => {
  const groups = new Map<string, GroupState>([['customer:huber', { key: 'customer:huber', status: 'firing', since: 0, lastNotified: 0, notified: [alert('check:replica:a-r1'), alert('check:replica:b-r1')] }]]);
  const out = carryUnknown([], groups, [status('replica:a-r1', 'unknown'), status('replica:b-r1', 'up')]);
  assert.deepEqual(out.map((a) => a.key), ['check:replica:a-r1']);
  const pending = new Map<string, GroupState>([['customer:huber', { ...groups.get('customer:huber')!, status: 'pending' }]]);
  assert.deepEqual(carryUnknown([], pending, [status('replica:a-r1', 'unknown')]), [], 'only what was notified is carried');
});

test('retries back off: 2, 4, 8, 16, 32 s', () => {
  assert.deepEqual([1, 2, 3, 4, 5].map(backoffMs), [2000, 4000, 8000, 16000, 32000]);
});
