/**
 * A month of traffic history, generated and delivered the way proxies deliver it (per app and
 * minute, with connection peaks, through POST /v1/proxy/status with a host credential), read
 * back as the report the users read: requests per day, the average day of the week, and the
 * peak of concurrent connections, through the API and `hafen traffic`.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { HafenClient } from '../../src/client/client.js';
import { startController } from '../../src/controller/main.js';
import { EXAMPLES, hafenAsync } from '../helpers/paths.js';

const DAY = 86_400_000;
let dir: string;
let controller: Awaited<ReturnType<typeof startController>>;
let admin: HafenClient;
let token: string;
const expectedPerDay = new Map<string, number>();

/** Requests per minute of an app: a weekly curve (weekends a third), higher for the shop. */
function perMinute(app: string, t: number): number {
  const weekday = new Date(t).getUTCDay();
  const base = app === 'huber-shop' ? 6 : 3;
  return weekday === 0 || weekday === 6 ? base / 3 : base;
}

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'hafen-traffic-'));
  controller = await startController({ data: join(dir, 'controller'), listen: '127.0.0.1:0' });
  token = readFileSync(join(dir, 'controller', 'admin.token'), 'utf8').trim();
  admin = new HafenClient(controller.url, token);
  await admin.apply([{ name: 'minimal.yaml', text: readFileSync(join(EXAMPLES, 'minimal.yaml'), 'utf8') }], null);
  const joined = await new HafenClient(controller.url).join((await admin.joinToken('nue-app-01')).token);
  const proxy = new HafenClient(controller.url, joined.credential);
  // 30 days up to now, every minute, two apps: delivered in batches as a proxy would after an outage.
  const now = Date.now();
  const start = Math.floor((now - 29 * DAY) / DAY) * DAY;
  let traffic: { app: string; minute: string; requests: number; errors: number }[] = [];
  let connections: { minute: string; peak: number }[] = [];
  for (let t = start; t <= now - 60_000; t += 60_000) {
    const minute = new Date(t).toISOString();
    for (const app of ['huber-shop', 'huber-orders']) {
      const requests = perMinute(app, t);
      traffic.push({ app, minute, requests, errors: app === 'huber-orders' && new Date(t).getUTCHours() === 3 ? 1 : 0 });
      const day = minute.slice(0, 10);
      expectedPerDay.set(day, (expectedPerDay.get(day) ?? 0) + requests);
    }
    // A daily peak at 12:00 UTC: 700 connections on weekdays, 300 at weekends.
    const d = new Date(t);
    connections.push({ minute, peak: d.getUTCHours() === 12 && d.getUTCMinutes() === 0 ? (d.getUTCDay() % 6 === 0 ? 300 : 700) : 50 });
    if (traffic.length >= 40_000) {
      await proxy.reportProxyStatus({ site: 'nue', revision: 1, replicas: [], traffic, connections });
      traffic = [];
      connections = [];
    }
  }
  await proxy.reportProxyStatus({ site: 'nue', revision: 1, replicas: [], traffic, connections });
});

after(async () => {
  await controller?.close();
  rmSync(dir, { recursive: true, force: true });
});

test('requests per day and by weekday for a month of history', async () => {
  const r = await admin.trafficReport({ days: 30 });
  assert.equal(r.days.length, 30);
  for (const d of r.days) assert.equal(d.requests, expectedPerDay.get(d.day.slice(0, 10)) ?? 0, `requests on ${d.day}`);
  const total = [...expectedPerDay.values()].reduce((a, b) => a + b, 0);
  assert.equal(r.totalRequests, total);
  const mon = r.weekdays.find((w) => w.weekday === 'Mon')!;
  const sat = r.weekdays.find((w) => w.weekday === 'Sat')!;
  assert.ok(mon.days >= 4 && sat.days >= 4);
  assert.ok(mon.averageRequests > 2.5 * sat.averageRequests, `the weekly curve shows: Mon ${mon.averageRequests}, Sat ${sat.averageRequests}`);
  // Whole days (not today): 1,440 minutes of 6 + 3 requests on weekdays, 2 + 1 at weekends.
  for (const d of r.days.slice(0, -1)) {
    const weekend = [0, 6].includes(new Date(d.day).getUTCDay());
    assert.equal(d.requests, 1440 * (weekend ? 3 : 9), `a whole ${weekend ? 'weekend day' : 'weekday'}: ${d.day}`);
  }
  assert.equal(r.peak!.connections, 700);
  assert.ok(r.peaks.filter((p) => p.connections === 300).length >= 6, 'weekend peaks are lower');

  const shop = await admin.trafficReport({ days: 30, app: 'huber-shop' });
  assert.ok(shop.totalRequests > 0 && shop.totalRequests < r.totalRequests);
  assert.deepEqual(shop.peaks.filter((p) => p.connections > 0), [], 'connection peaks are the proxies\', not an app\'s');
  const orders = await admin.traffic(new Date(Date.now() - 12 * 3600_000).toISOString(), 'huber-orders', 'hour');
  assert.ok(orders.traffic.every((t) => t.at.endsWith(':00:00.000Z')));
});

test('hafen traffic prints the month, the weekdays and the peak; bad input is named', async () => {
  const env = { ...process.env, HAFEN_TOKEN: token };
  const text = await hafenAsync(['traffic', '--controller', controller.url, '--days', '30'], { env });
  assert.equal(text.status, 0, text.stderr);
  assert.match(text.stdout, /^requests per day, \d{4}-\d{2}-\d{2} to \d{4}-\d{2}-\d{2}: [\d,]+ in all/);
  assert.match(text.stdout, /average day of the week:\nMon +[\d,]+ +\(\d days\)/);
  assert.match(text.stdout, /peak concurrent connections: 700 on/);
  const parsed = JSON.parse((await hafenAsync(['traffic', '--controller', controller.url, '--days', '7', '--format', 'json'], { env })).stdout) as { days: unknown[] };
  assert.equal(parsed.days.length, 7);
  const bad = await hafenAsync(['traffic', '--controller', controller.url, '--customer', 'nobody'], { env });
  assert.equal(bad.status, 1);
  assert.match(bad.stderr, /no customer "nobody"/);
});
