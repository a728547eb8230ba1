import assert from 'node:assert/strict';
import { test } from 'node:test';
import { slowestAnswers, TryTimeouts } from './try-timeouts.js';

const row = (pxname: string, svname: string, rtime_max: string) => ({ pxname, svname, rtime_max });

test('the slowest answer per backend in a window: server rows only, silent servers left out', () => {
  const rows = [row('app_shop', 'FRONTEND', '900'), row('app_shop', 'shop-r1', '120'), row('app_shop', 'shop-r2', '300'), row('app_shop', 'BACKEND', '300'), row('app_blog', 'blog-r1', '0'), row('app_blog', 'blog-r2', '')];
  assert.deepEqual([...slowestAnswers(rows)], [['app_shop', 300]]);
});

test('try timeout: 4 × the slowest answer of the last 12 windows with answers, within 1 s and 10 s; the fleet\'s own wins', () => {
  const t = new TryTimeouts();
  const shop = { name: 'app_shop' };
  assert.equal(t.timeoutMs(shop), 1000, 'before any answer: the floor');
  t.observe([row('app_shop', 'shop-r1', '400')]);
  assert.equal(t.timeoutMs(shop), 1600);
  t.observe([row('app_shop', 'shop-r1', '0')]);
  assert.equal(t.timeoutMs(shop), 1600, 'a window without answers changes nothing');
  for (let i = 0; i < 11; i++) t.observe([row('app_shop', 'shop-r1', '50')]);
  assert.equal(t.timeoutMs(shop), 1600, 'still among the last 12');
  t.observe([row('app_shop', 'shop-r1', '50')]);
  assert.equal(t.timeoutMs(shop), 1000, '12 fast windows later');
  t.observe([row('app_shop', 'shop-r1', '4000')]);
  assert.equal(t.timeoutMs(shop), 10_000, 'the ceiling');
  assert.equal(t.timeoutMs({ name: 'app_shop', tryTimeoutMs: 2500 }), 2500);
  assert.equal(t.mapText([shop, { name: 'app_blog', tryTimeoutMs: 30_000 }]), 'app_shop 10000\napp_blog 30000\n');
  t.keepOnly([{ name: 'app_blog' }]);
  assert.equal(t.timeoutMs(shop), 1000, 'forgotten once not served');
});

test('tries cut on a server whose HTTP checks pass: slow, not hung, so the next timeout is 4 × longer; a hung server (checks failing, or only TCP checks) teaches nothing', () => {
  const t = new TryTimeouts();
  const slow = { name: 'app_slow' };
  const at = (wretr: number, check_status: string) => [{ pxname: 'app_slow', svname: 'slow-r1', rtime_max: '0', wretr: String(wretr), check_status }];
  t.observe(at(0, 'L7OK'), () => t.timeoutMs(slow));
  assert.equal(t.timeoutMs(slow), 1000);
  t.observe(at(6, 'L7TOUT'), () => t.timeoutMs(slow));
  assert.equal(t.timeoutMs(slow), 1000, 'retries on a server whose checks time out: it hung');
  t.observe(at(8, 'L4OK'), () => t.timeoutMs(slow));
  assert.equal(t.timeoutMs(slow), 1000, 'a TCP check proves nothing');
  t.observe(at(12, 'L7OK'), () => t.timeoutMs(slow));
  assert.equal(t.timeoutMs(slow), 4000, 'retries on a server whose HTTP checks pass');
  t.observe(at(14, 'L7OK'), () => t.timeoutMs(slow));
  assert.equal(t.timeoutMs(slow), 10_000, 'still cut: longer again, up to the ceiling');
});
