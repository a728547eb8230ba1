import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Check } from '../core/monitor/checks.js';
import { HEARTBEAT_DOWN_MS, Monitor, PROBER_SILENT_MS } from './monitor.js';
import { SqliteStore } from './store/sqlite.js';

const check = (id: string, site: string): Check => ({ id, kind: 'http', title: id, app: 'shop', customer: 'huber', critical: false, site, host: `${site}-app-01`, address: '127.0.0.1', port: 1, via: 'direct', intervalMs: 1000, timeoutMs: 500, fall: 2, rise: 2 });

test('host heartbeats: down after four missed reports, back when it reports; each change is an event', async () => {
  const store = new SqliteStore(':memory:');
  let t = Date.parse('2026-11-26T12:00:00Z');
  const monitor = new Monitor(store, () => new Date(t));
  monitor.setChecks([], 3);
  const report = (at: number | null) => monitor.setHosts([{ host: 'hel-app-01', site: 'hel', reportedAt: at === null ? null : new Date(at).toISOString() }, { host: 'nue-app-01', site: 'nue', reportedAt: null }]);
  report(t);
  await monitor.evaluate();
  assert.deepEqual(monitor.hosts().map((h) => [h.host, h.state]), [['hel-app-01', 'up'], ['nue-app-01', 'unknown']]);
  const last = t;
  t += HEARTBEAT_DOWN_MS + 1;
  await monitor.evaluate();
  assert.equal(monitor.hosts()[0]!.state, 'down');
  report(t);
  await monitor.evaluate();
  assert.deepEqual((await store.events({ kind: 'host' })).map((e) => e.state), ['up', 'down']);
  const down = (await store.events({ kind: 'host' })).find((e) => e.state === 'down')!;
  assert.equal(down.message, `host hel-app-01 (hel) has not reported since ${new Date(last).toISOString()}`);
  await store.close();
});

test('a prober that stops delivering is silent after 30 s, and the event says how long', async () => {
  const store = new SqliteStore(':memory:');
  let t = Date.parse('2026-11-26T12:00:00Z');
  const monitor = new Monitor(store, () => new Date(t));
  monitor.setChecks([check('replica:shop-r1', 'nue')], 3);
  monitor.record('hel', [{ check: 'replica:shop-r1', ok: true, at: new Date(t).toISOString(), ms: 1 }]);
  await monitor.evaluate();
  t += PROBER_SILENT_MS + 1000;
  await monitor.evaluate();
  assert.equal(monitor.sites().find((s) => s.site === 'hel')!.probers, 'silent');
  const [e] = await store.events({ kind: 'prober' });
  assert.match(e!.message, /no probe results from site hel for 31 s/);
  await store.close();
});

test('a site is lost when its replicas are down from two sites, even while an extra TCP check there still connects', async () => {
  const store = new SqliteStore(':memory:');
  let t = Date.parse('2026-11-26T12:00:00Z');
  const monitor = new Monitor(store, () => new Date(t));
  // A hung site: the kernel still accepts connections on the port, the app never answers.
  monitor.setChecks([check('replica:shop-r1', 'hel'), { ...check('extra:shop-r1:port', 'hel'), kind: 'tcp' }], 3);
  for (let round = 0; round < 2; round++) {
    for (const from of ['nue', 'vie']) {
      monitor.record(from, [
        { check: 'replica:shop-r1', ok: false, at: new Date(t).toISOString(), ms: 500, error: 'timeout' },
        { check: 'extra:shop-r1:port', ok: true, at: new Date(t).toISOString(), ms: 1 },
      ]);
    }
    t += 1000;
  }
  await monitor.evaluate();
  assert.equal(monitor.stateOf('replica:shop-r1'), 'down');
  assert.equal(monitor.stateOf('extra:shop-r1:port'), 'up');
  assert.deepEqual(monitor.lostSites(), ['hel']);
  // One site seeing it down is not enough.
  monitor.record('vie', [{ check: 'replica:shop-r1', ok: true, at: new Date(t).toISOString(), ms: 1 }]);
  monitor.record('vie', [{ check: 'replica:shop-r1', ok: true, at: new Date(t + 1).toISOString(), ms: 1 }]);
  await monitor.evaluate();
  assert.deepEqual(monitor.lostSites(), []);
  await store.close();
});
