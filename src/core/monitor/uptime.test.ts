import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { CheckStatus } from './status.js';
import { accumulate, appStates, availability, type UptimeDay } from './uptime.js';

const c = (id: string, app: string, state: CheckStatus['state']): CheckStatus =>
  ({ id, app, customer: `${app}-co`, kind: id.startsWith('tls:') ? 'tls' : 'http', state }) as CheckStatus;

test('an app is as up as its visitors see it; without domains, as long as one replica answers', () => {
  const states = appStates([
    c('domain:shop.example', 'shop', 'up'),
    c('replica:shop-r1', 'shop', 'down'),
    c('domain:blog.example', 'blog', 'down'),
    c('replica:blog-r1', 'blog', 'up'),
    c('domain:wiki.example', 'wiki', 'degraded'),
    c('replica:db-r1', 'db', 'down'),
    c('replica:db-r2', 'db', 'up'),
    c('replica:queue-r1', 'queue', 'down'),
    c('replica:new-r1', 'new', 'unknown'),
    c('tls:shop.example', 'shop', 'down'),
  ]);
  assert.deepEqual(Object.fromEntries([...states].map(([app, s]) => [app, s.state])), { shop: 'up', blog: 'down', wiki: 'up', db: 'up', queue: 'down', new: 'unknown' });
});

test('seconds add up per app and day; availability counts known time only', () => {
  const days = new Map<string, UptimeDay>();
  const up = new Map([['shop', { customer: 'huber', state: 'up' as const }]]);
  const down = new Map([['shop', { customer: 'huber', state: 'down' as const }]]);
  accumulate(days, up, new Date('2026-11-26T23:59:59Z'), 3600 * 23);
  accumulate(days, down, new Date('2026-11-26T23:59:59Z'), 3600);
  accumulate(days, new Map([['shop', { customer: 'huber', state: 'unknown' as const }]]), new Date('2026-11-27T00:00:01Z'), 60);
  assert.deepEqual([...days.values()].map((d) => [d.day, d.upSeconds, d.downSeconds, d.unknownSeconds]), [
    ['2026-11-26T00:00:00.000Z', 82800, 3600, 0],
    ['2026-11-27T00:00:00.000Z', 0, 0, 60],
  ]);
  assert.deepEqual(availability([...days.values()]), { upSeconds: 82800, downSeconds: 3600, unknownSeconds: 60, availability: 95.8333 });
  assert.equal(availability([]).availability, null);
});
