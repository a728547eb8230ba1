/**
 * The dashboard in a real browser: Debian's Chromium driven by playwright-core against a
 * controller running the three-site fleet on loopback (an agent per host, process driver).
 * Logging in with a wrong token says so; a viewer's token opens the fleet page, whose numbers
 * are the API's; nothing is logged to the console; the pages carry a strict CSP.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { chromium, type Browser } from 'playwright-core';
import type { Agent } from '../../src/agent/agent.js';
import { ProcessDriver } from '../../src/agent/drivers/process.js';
import { startAgent } from '../../src/agent/main.js';
import { HafenClient } from '../../src/client/client.js';
import { startController } from '../../src/controller/main.js';
import { siteCards } from '../../src/web/fleet-view.js';
import { EXAMPLES } from '../helpers/paths.js';
import { need } from '../helpers/system.js';
import { until } from '../helpers/wait.js';

const CHROMIUM = '/usr/bin/chromium';
const HOSTS = ['nue-app-01', 'vie-app-01', 'hel-app-01'];
const dir = mkdtempSync(join(tmpdir(), 'hafen-dashboard-'));
let controller: Awaited<ReturnType<typeof startController>> | undefined;
let admin: HafenClient;
const agents: Agent[] = [];
let browser: Browser | undefined;

before(async () => {
  if (!existsSync(CHROMIUM)) return;
  controller = await startController({ data: join(dir, 'controller'), listen: '127.0.0.1:0' });
  admin = new HafenClient(controller.url, readFileSync(controller.adminTokenFile!, 'utf8').trim());
  await admin.apply([{ name: 'three-sites.yaml', text: readFileSync(join(EXAMPLES, 'three-sites.yaml'), 'utf8') }], null, 'the fleet');
  for (const [i, host] of HOSTS.entries()) {
    const { agent } = await startAgent({ controller: controller.url, data: join(dir, host), joinToken: (await admin.joinToken(host)).token, driver: 'process', address: `127.0.81.${i + 1}` });
    agents.push(agent);
  }
  browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox'] });
});

after(async () => {
  await browser?.close();
  for (const [i, a] of agents.entries()) {
    await a.stop();
    await ProcessDriver.open({ stateDir: join(dir, HOSTS[i]!, 'state') }).stopAll();
  }
  await controller?.close();
  rmSync(dir, { recursive: true, force: true });
});

test('log in with a viewer token: the fleet page shows every site with the numbers of the API, and no console error', async (t) => {
  if (!need(t, existsSync(CHROMIUM), 'Chromium is not installed')) return;
  const viewer = await admin.createToken('dashboard-test', 'viewer');
  // Every app running everywhere first, so the numbers are settled.
  await until('every replica running', async () => ((await admin.status()).apps.every((a) => a.running === a.desired) ? true : undefined), 60_000, 250);

  const page = await browser!.newPage();
  const problems: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error' || m.type() === 'warning') problems.push(`${m.type()}: ${m.text()}`);
  });
  page.on('pageerror', (err) => problems.push(`page error: ${err.message}`));
  const res = await page.goto(`${controller!.url}/ui/`);
  assert.equal(res?.status(), 200);
  assert.match(res!.headers()['content-security-policy'] ?? '', /default-src 'self'/);

  await page.fill('#token', 'hft_not-a-token-at-all');
  await page.click('button[type=submit]');
  assert.match(await page.locator('[role=alert]').innerText(), /token/i);
  // The browser logs the refused request itself; nothing else may have been logged.
  assert.deepEqual(problems.splice(0), ['error: Failed to load resource: the server responded with a status of 401 (Unauthorized)']);

  await page.fill('#token', viewer.token);
  await page.click('button[type=submit]');
  await page.waitForSelector('article[data-site]');
  const status = await admin.status();
  const cards = siteCards(status, (await admin.alerts()).alerts);
  assert.equal(await page.locator('article[data-site]').count(), status.sites.length);
  for (const c of cards) {
    const card = page.locator(`article[data-site="${c.site}"]`);
    assert.equal(await card.locator('[data-field=hosts]').innerText(), `${c.hostsUp} of ${c.hosts}`);
    assert.equal(await card.locator('[data-field=apps]').innerText(), `${c.apps.up} up, ${c.apps.degraded} degraded, ${c.apps.down} down`);
    assert.equal(await card.locator('[data-field=alerts]').innerText(), String(c.alerts));
    assert.match(await card.locator('h2').innerText(), new RegExp(`^${c.name} ${c.state}$`));
  }
  // The numbers are the fleet's, not zeros: three sites with a host up each, and apps up.
  assert.deepEqual(cards.map((c) => c.hostsUp), [1, 1, 1]);
  assert.ok(cards.every((c) => c.apps.up > 0));
  // The token lives in this tab's session only.
  assert.equal(await page.evaluate('localStorage.length'), 0);
  assert.deepEqual(problems, []);
});
