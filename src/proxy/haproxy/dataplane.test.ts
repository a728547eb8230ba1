import assert from 'node:assert/strict';
import { test } from 'node:test';
import { requestDeltas } from './dataplane.js';
import { parseStat } from './runtime.js';

const csv = (rows: [string, string, number, number][]) => `# pxname,svname,req_tot,hrsp_5xx,\n${rows.map(([p, s, r, e]) => `${p},${s},${r},${e},`).join('\n')}\n`;

test('show stat CSV: one record per row, named by the header', () => {
  const rows = parseStat(csv([['app_shop', 'BACKEND', 5, 1], ['app_shop', 'shop-r1', 5, 1]]));
  assert.deepEqual(rows[0], { pxname: 'app_shop', svname: 'BACKEND', req_tot: '5', hrsp_5xx: '1', '': '' });
  assert.deepEqual(parseStat('not csv'), []);
});

test('request deltas per app between samples (HAProxy starts at zero with us); a reload starts the counters again', () => {
  const last = new Map<string, { requests: number; errors: number }>();
  assert.deepEqual(requestDeltas(parseStat(csv([['app_shop', 'BACKEND', 100, 2], ['hafen', 'FRONTEND', 500, 0], ['app_shop', 'shop-r1', 90, 2]])), last), [{ app: 'shop', requests: 100, errors: 2 }], 'backends only');
  assert.deepEqual(requestDeltas(parseStat(csv([['app_shop', 'BACKEND', 130, 3]])), last), [{ app: 'shop', requests: 30, errors: 1 }]);
  assert.deepEqual(requestDeltas(parseStat(csv([['app_shop', 'BACKEND', 130, 3]])), last), [], 'nothing new: nothing reported');
  assert.deepEqual(requestDeltas(parseStat(csv([['app_shop', 'BACKEND', 7, 0]])), last), [{ app: 'shop', requests: 7, errors: 0 }], 'after a reload');
});
