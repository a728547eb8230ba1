/**
 * The dashboard in a real browser, against the demo fleet (`hafen demo`: three sites, an agent
 * and prober per site, an edge proxy per site): Debian's Chromium driven by playwright-core.
 * A wrong token is refused; a viewer opens every page, each shows the API's numbers and logs
 * nothing to the console; an alert links to its app; a customer-scoped login sees only its own
 * apps and no team page; a user logs in with a password and out again; the pages carry a
 * strict CSP and keep the token in the tab's session only.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { chromium, type Browser, type Page } from 'playwright-core';
import { HafenClient } from '../../src/client/client.js';
import { formatBytes } from '../../src/core/fleet/units.js';
import { siteCards } from '../../src/web/fleet-view.js';
import { consentByCustomer } from '../../src/web/moves-view.js';
import { cores, percent } from '../../src/web/format.js';
import { demo, demoAddresses, freePort } from '../helpers/demo.js';
import { need } from '../helpers/system.js';
import { until } from '../helpers/wait.js';
import { getWithHost } from '../helpers/http.js';

const CHROMIUM = '/usr/bin/chromium';
const data = mkdtempSync(join(tmpdir(), 'hafen-dashboard-'));
let run: ReturnType<typeof demo> | undefined;
const { args: addresses, proxies } = demoAddresses();
let url = '';
let admin: HafenClient;
let browser: Browser | undefined;

before(async () => {
  if (!existsSync(CHROMIUM)) return;
  const port = await freePort();
  run = demo(data, port, addresses);
  await run.ready;
  url = `http://127.0.0.1:${port}`;
  admin = new HafenClient(url, readFileSync(join(data, 'controller', 'admin.token'), 'utf8').trim());
  browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox'] });
});

after(async () => {
  await browser?.close();
  if (run) {
    run.child.kill('SIGINT');
    await run.exited;
  }
  rmSync(data, { recursive: true, force: true });
});

/** A page that records console errors and warnings, and page errors. */
async function watched(): Promise<{ page: Page; problems: string[] }> {
  const page = await browser!.newPage({ viewport: { width: 1280, height: 900 } });
  const problems: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error' || m.type() === 'warning') problems.push(`${m.type()}: ${m.text()}`);
  });
  page.on('pageerror', (err) => problems.push(`page error: ${err.message}`));
  return { page, problems };
}

async function logIn(page: Page, token: string): Promise<void> {
  await page.goto(`${url}/ui/`);
  await page.fill('#token', token);
  await page.click('button[type=submit]');
  await page.waitForSelector('main section h1');
}

/** Waits until the page shows what the API says (the page polls; both move). */
async function shows(page: Page, what: string, selector: string, expected: () => Promise<string>): Promise<void> {
  let last = '';
  await until(what, async () => {
    const want = await expected();
    last = `page "${await page.locator(selector).first().innerText().catch(() => '(missing)')}", API "${want}"`;
    return (await page.locator(selector).first().innerText().catch(() => undefined)) === want ? true : undefined;
  }, 30_000, 500).catch((err: Error) => assert.fail(`${err.message}: ${last}`));
}

test('a viewer opens every page: the API\'s numbers, an alert linked to its app, no console error', async (t) => {
  if (!need(t, existsSync(CHROMIUM), 'Chromium is not installed')) return;
  const viewer = await admin.createToken('dashboard-test', 'viewer');
  await until('every replica running and checked', async () => ((await admin.status()).apps.every((a) => a.running === a.desired && a.units.every((u) => u.check === 'up')) ? true : undefined), 90_000, 500);
  const { page, problems } = await watched();
  const res = await page.goto(`${url}/ui/`);
  assert.equal(res?.status(), 200);
  assert.match(res!.headers()['content-security-policy'] ?? '', /default-src 'self'/);
  await page.fill('#token', 'hft_not-a-token-at-all');
  await page.click('button[type=submit]');
  assert.match(await page.locator('[role=alert]').innerText(), /token/i);
  // The browser logs the refused request itself; nothing else may have been logged.
  assert.deepEqual(problems.splice(0), ['error: Failed to load resource: the server responded with a status of 401 (Unauthorized)']);
  await logIn(page, viewer.token);

  // Fleet: every site's card with the API's numbers and capacity.
  await page.waitForSelector('article[data-site] [data-capacity=cpu]');
  const capacity = await admin.capacity();
  const cards = async () => siteCards(await admin.status(), (await admin.alerts()).alerts, capacity);
  assert.equal(await page.locator('article[data-site]').count(), 3);
  for (const c of await cards()) {
    const card = `article[data-site="${c.site}"]`;
    await shows(page, `${c.site} hosts`, `${card} [data-field=hosts]`, async () => { const x = (await cards()).find((y) => y.site === c.site)!; return `${x.hostsUp} of ${x.hosts}`; });
    await shows(page, `${c.site} apps`, `${card} [data-field=apps]`, async () => { const x = (await cards()).find((y) => y.site === c.site)!; return `${x.apps.up} up, ${x.apps.degraded} degraded, ${x.apps.down} down`; });
    const cap = c.capacity!;
    assert.equal(await page.locator(`${card} [data-capacity=cpu] .capacity-value`).innerText(), `${cores(cap.cpu.allocated)} / ${cores(cap.cpu.usable)} (${percent(cap.cpu.allocated / cap.cpu.usable)})`);
    assert.equal(await page.locator(`${card} [data-capacity=memory] .capacity-value`).innerText(), `${formatBytes(cap.memory.allocated)} / ${formatBytes(cap.memory.usable)} (${percent(cap.memory.allocated / cap.memory.usable)})`);
    assert.match(await page.locator(`${card} p.muted`).innerText(), new RegExp(`${c.facility}$`));
  }

  // Site: its hosts with the addresses IPAM gave them.
  await page.click('article[data-site="nue"] h2 a');
  await page.waitForSelector('tr[data-host]');
  const nue = await admin.site('nue');
  assert.equal(await page.locator('tr[data-host]').count(), nue.hosts.length);
  assert.equal(await page.locator('tr[data-host="nue-app-01"] td').nth(2).innerText(), nue.hosts.find((h) => h.host === 'nue-app-01')!.address);
  assert.equal(await page.locator('tr[data-segment]').count(), nue.segments.length);

  // App: replicas, each site's view of each check.
  await page.click('tr[data-host="nue-app-01"] a[href^="#/app/"]');
  await page.waitForSelector('tr[data-unit]');
  const app = decodeURIComponent((await page.evaluate('location.hash') as string).slice('#/app/'.length));
  await shows(page, 'replicas', '[data-field=replicas]', async () => { const a = (await admin.status()).apps.find((x) => x.app === app)!; return `${a.running} of ${a.desired}`; });
  await page.waitForSelector('tr[data-check]');
  assert.equal(await page.locator('tr[data-check]').count(), (await admin.checks({ app })).checks.length);

  // Risk: the policy line and what a site's loss takes down.
  await page.click('nav a[href="#/risk"]');
  await page.waitForSelector('button[data-scenario]');
  const risk = await admin.risk();
  assert.equal(await page.locator('[data-field=limit]').innerText(), percent(risk.limit));
  assert.equal(await page.locator('button[data-scenario]').count(), risk.scenarios.length);
  // Keyboard: a scenario is a button; focus it and press Enter.
  await page.focus('button[data-scenario="site:hel"]');
  await page.keyboard.press('Enter');
  const hel = risk.scenarios.find((s) => s.group === 'site:hel')!;
  assert.equal(await page.locator('[data-detail="site:hel"] [data-field=down]').innerText(), hel.down.join(', ') || 'nothing');

  // Traffic: the month's total as the API counts it.
  for (let i = 0; i < 20; i++) assert.equal((await getWithHost(`http://${proxies[0]}:8080`, 'portal.stadtwerke.example')).status, 200);
  const before = await until('the proxies\' counts', async () => (await admin.trafficReport({ days: 30 })).totalRequests || undefined, 30_000, 500);
  await page.click('nav a[href="#/traffic"]');
  await page.waitForSelector('[data-field=total]');
  const shown = Number((await page.locator('[data-field=total]').innerText()).replace(/,/g, ''));
  const later = (await admin.trafficReport({ days: 30 })).totalRequests;
  // The probes through the proxies count as traffic, so the total grows while the test reads it.
  assert.ok(shown >= before && shown <= later, `page ${shown}, API ${before} before and ${later} after`);
  assert.equal(await page.locator('figure.chart').count(), 3);

  // Migrations: none in the demo, and the page says so; then one proposed for a later night.
  await page.click('nav a[href="#/migrations"]');
  await page.waitForSelector('section p.muted');
  assert.equal((await admin.moves()).migrations.length, 0);
  assert.match(await page.locator('section p.muted').innerText(), /No moves between sites planned/);
  const proposal = await admin.proposeMoves({ apps: ['huber-shop'], from: 'hel', to: 'nue', start: new Date(Date.now() + 3 * 86_400_000).toISOString() });
  // It stays proposed (for a night three days ahead): the customer's view shows it below.
  const move = proposal.migrations[0]!;
  await page.waitForSelector(`[data-day] li[data-migration="${move.id}"]`, { timeout: 20_000 });
  assert.equal(await page.locator('[data-day]').getAttribute('data-day'), move.move.wave);
  const row = consentByCustomer((await admin.moves()).migrations).find((r) => r.customer === 'huber')!;
  assert.deepEqual(await page.locator('tr[data-customer=huber] td').allInnerTexts(), ['huber', String(row.waiting), String(row.accepted), String(row.declined), String(row.other)]);
  assert.equal(row.waiting, 1);
  assert.equal(await page.locator('[data-field=running]').innerText(), '0');

  // History: the proposal is there, with who proposed it, newest first as the API has it.
  await page.click('nav a[href="#/history"]');
  await page.waitForSelector(`table[data-table=history] tr[data-action="move.propose"]`);
  const newest = (await admin.audit({ limit: 1 })).entries[0]!;
  assert.equal(newest.action, 'move.propose');
  const cells = await page.locator('table[data-table=history] tbody tr').first().locator('td').allInnerTexts();
  assert.deepEqual(cells.slice(1, 4), [newest.actor, 'move.propose', `${move.id} (huber)`]);

  // Alerts: freeze one replica; its alert shows, and links to its app.
  const units = join(data, 'vie-app-01', 'state', 'units');
  const pid = (JSON.parse(readFileSync(join(units, 'huber-shop-r2.json'), 'utf8')) as { pid: number }).pid;
  process.kill(pid, 'SIGSTOP');
  try {
    await until('the replica\'s alert', async () => ((await admin.alerts()).alerts.some((a) => a.labels.app === 'huber-shop') ? true : undefined), 60_000, 500);
    await page.click('nav a[href="#/alerts"]');
    await shows(page, 'alerts firing', '[data-field=firing]', async () => String((await admin.alerts()).alerts.length));
    await page.click('tr[data-alert="check:replica:huber-shop-r2"] a[data-link=app]');
    await page.waitForSelector('tr[data-unit="huber-shop-r2"]');
    assert.equal(await page.locator('#page-title').innerText(), 'App huber-shop');
  } finally {
    process.kill(pid, 'SIGCONT');
  }
  assert.equal(await page.evaluate('localStorage.length'), 0, 'the token lives in this tab\'s session only');
  assert.deepEqual(problems, []);
  await page.close();
});

test('a customer\'s login sees its own apps and planned maintenance, and no team page', async (t) => {
  if (!need(t, existsSync(CHROMIUM), 'Chromium is not installed')) return;
  const token = await admin.createToken('huber-portal', 'viewer', 'huber');
  const { page, problems } = await watched();
  await logIn(page, token.token);
  await page.waitForSelector('tr[data-app]');
  const own = (await admin.status()).apps.filter((a) => a.customer === 'huber').map((a) => a.app);
  assert.deepEqual(await page.locator('tr[data-app]').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-app'))), own);
  assert.deepEqual(await page.locator('nav a').allInnerTexts(), ['Your services']);
  assert.match(await page.locator('[data-field=who]').innerText(), /customer huber/);
  // The move proposed in the first test is its planned maintenance.
  const planned = (await admin.moves()).migrations.filter((m) => m.customer === 'huber' && m.state === 'proposed');
  assert.equal(planned.length, 1);
  assert.equal(await page.locator('[data-list=maintenance] li').count(), 1);
  assert.match(await page.locator('[data-list=maintenance] li').innerText(), /huber-shop moves from hel to nue \(short downtime\)/);
  // Team pages do not exist for it, another customer's app is not there, and the API refuses the rest.
  for (const hash of ['#/fleet', '#/risk', '#/alerts', '#/site/nue']) {
    await page.goto(`${url}/ui/${hash}`);
    await page.waitForSelector('main [role=alert]');
    assert.match(await page.locator('main [role=alert]').innerText(), /No such page/);
  }
  await page.goto(`${url}/ui/#/app/stadtwerke-portal`);
  await page.waitForSelector('main [role=alert]');
  assert.match(await page.locator('main [role=alert]').innerText(), /No app "stadtwerke-portal" in revision \d+ among your services/);
  const scoped = new HafenClient(url, token.token);
  await assert.rejects(scoped.alerts(), /scoped to customer "huber"/);
  await assert.rejects(scoped.capacity(), /scoped to customer "huber"/);
  assert.deepEqual(problems, []);
  await page.close();
});

test('a user logs in with a password; logging out ends the session at the controller', async (t) => {
  if (!need(t, existsSync(CHROMIUM), 'Chromium is not installed')) return;
  await admin.setUser('anna', { role: 'viewer', password: 'correct horse battery' });
  const { page, problems } = await watched();
  await page.goto(`${url}/ui/`);
  await page.click('text=Name and password');
  await page.fill('#name', 'anna');
  await page.fill('#password', 'correct horse battery');
  await page.click('button[type=submit]');
  await page.waitForSelector('article[data-site]');
  const token = (await page.evaluate("sessionStorage.getItem('hafen.token')")) as string;
  assert.match(token, /^hfs_/);
  assert.equal((await new HafenClient(url, token).whoami()).name, 'user:anna');
  await page.click('text=Log out');
  await page.waitForSelector('#token');
  await until('the session ended', async () => ((await new HafenClient(url, token).whoami().then(() => false, () => true)) ? true : undefined), 5000, 100);
  assert.deepEqual(problems, []);
  await page.close();
});
