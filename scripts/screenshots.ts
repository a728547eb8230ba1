/**
 * Screenshots of every dashboard page, for docs/screenshots/: starts `hafen demo` in a scratch
 * directory (or uses a running one: --controller URL --token-file FILE), logs in with a viewer
 * token in Debian's Chromium (playwright-core), and writes one PNG per page at 1280 px, the fleet
 * and an app page also at phone width (390 px), and the customer view of a customer-scoped token.
 * In its own demo it proposes one move first (huber-shop, three nights ahead) for the migrations page.
 *
 *   npm run screenshots            (about a minute; needs /usr/bin/chromium)
 */
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { chromium, type Page } from 'playwright-core';
import { HafenClient } from '../src/client/client.js';

const OUT = resolve('docs/screenshots');
const PAGES: [file: string, hash: string, ready: string][] = [
  ['fleet', '#/fleet', 'article[data-site] .capacity'],
  ['site', '#/site/nue', 'tr[data-host]'],
  ['app', '#/app/stadtwerke-portal', 'tr[data-unit]'],
  ['risk', '#/risk', 'button[data-scenario]'],
  ['traffic', '#/traffic', 'figure.chart'],
  ['alerts', '#/alerts', '[data-field=firing]'],
  ['migrations', '#/migrations', '#page-title'],
];

async function startDemo(): Promise<{ url: string; token: string; stop: () => Promise<void> }> {
  const data = mkdtempSync(join(tmpdir(), 'hafen-screens-'));
  const port = 7470;
  const child = spawn(process.execPath, ['bin/hafen.js', 'demo', '--data', data, '--listen', `127.0.0.1:${port}`], { stdio: ['ignore', 'pipe', 'inherit'] });
  await new Promise<void>((ok, fail) => {
    let out = '';
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      if (/^ready$/m.test(out)) ok();
    });
    child.once('exit', (code) => fail(new Error(`the demo exited (${code}) before it was ready`)));
  });
  return {
    url: `http://127.0.0.1:${port}`,
    token: readFileSync(join(data, 'controller', 'admin.token'), 'utf8').trim(),
    stop: async () => {
      child.kill('SIGINT');
      await new Promise((r) => child.once('exit', r));
      rmSync(data, { recursive: true, force: true });
    },
  };
}

async function login(page: Page, url: string, token: string): Promise<void> {
  await page.goto(`${url}/ui/`);
  await page.fill('#token', token);
  await page.click('button[type=submit]');
  await page.waitForSelector('main section');
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { controller: { type: 'string' }, 'token-file': { type: 'string' } } });
  const demo = values.controller ? undefined : await startDemo();
  const url = values.controller ?? demo!.url;
  const admin = new HafenClient(url, demo?.token ?? readFileSync(values['token-file']!, 'utf8').trim());
  const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', headless: true, args: ['--no-sandbox'] });
  try {
    mkdirSync(OUT, { recursive: true });
    // Let the probers and proxies report once, so the pages show a running fleet.
    await new Promise((r) => setTimeout(r, demo ? 15_000 : 0));
    // In its own demo: a move proposed for a night three days ahead, so the migrations page and
    // the customer's view have something to show (never done to a controller given by --controller).
    if (demo) await admin.proposeMoves({ apps: ['huber-shop'], from: 'hel', to: 'nue', start: new Date(Date.now() + 3 * 86_400_000).toISOString() });
    const viewer = await admin.createToken('screenshots', 'viewer');
    for (const [width, suffix] of [[1280, ''], [390, '-phone']] as const) {
      const page = await browser.newPage({ viewport: { width, height: 900 } });
      await login(page, url, viewer.token);
      for (const [file, hash, ready] of PAGES) {
        if (suffix && file !== 'fleet' && file !== 'app') continue;
        await page.goto(`${url}/ui/${hash}`);
        await page.waitForSelector(ready, { timeout: 20_000 });
        if (file === 'risk') await page.click('button[data-scenario="site:hel"]');
        await page.screenshot({ path: join(OUT, `${file}${suffix}.png`), fullPage: true });
        process.stdout.write(`${join('docs/screenshots', `${file}${suffix}.png`)}\n`);
      }
      await page.close();
    }
    const customer = await admin.createToken('screenshots (huber)', 'viewer', 'huber');
    const page = await browser.newPage({ viewport: { width: 1280, height: 700 } });
    await login(page, url, customer.token);
    await page.waitForSelector('tr[data-app]');
    await page.screenshot({ path: join(OUT, 'customer.png'), fullPage: true });
    process.stdout.write('docs/screenshots/customer.png\n');
    await admin.revokeToken(viewer.id);
    await admin.revokeToken(customer.id);
  } finally {
    await browser.close();
    await demo?.stop();
  }
}

main().catch((err: Error) => {
  process.stderr.write(`screenshots: ${err.message}\n`);
  process.exit(1);
});
