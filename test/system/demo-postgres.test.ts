/**
 * `hafen demo` with PostgreSQL installed (root): a database host per site, the critical
 * PostgreSQL app with a synchronous standby, and the meter counter that keeps its count there.
 * Under `demo load`, `demo fail` cuts off the site where the database writes (its PostgreSQL
 * frozen with the rest): the standby is promoted, and the counter — increments and reads in turn
 * through every proxy — never goes back. Ctrl-C stops every PostgreSQL server it started.
 */
import assert from 'node:assert/strict';
import { chmodSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { findPgBin } from '../../src/lib/postgres.js';
import { alive } from '../../src/lib/proc.js';
import { demo, demoAddresses, freePort } from '../helpers/demo.js';
import { hafenAsync } from '../helpers/paths.js';
import { need } from '../helpers/system.js';
import { until } from '../helpers/wait.js';

/** The pids of the PostgreSQL servers under the demo's data directory. */
function postmasters(data: string): number[] {
  const pids: number[] = [];
  for (const host of readdirSync(data).filter((d) => d.endsWith('-db-01'))) {
    const root = join(data, host, 'state', 'postgres');
    for (const unit of existsSync(root) ? readdirSync(root) : []) {
      const file = join(root, unit, 'data', 'postmaster.pid');
      if (existsSync(file)) pids.push(Number(readFileSync(file, 'utf8').split('\n')[0]));
    }
  }
  return pids;
}

test('the demo with PostgreSQL: the database site cut off, its standby promoted, the counter never goes back; Ctrl-C stops PostgreSQL', { timeout: 300_000 }, async (t) => {
  if (!need(t, process.getuid?.() === 0 && findPgBin() !== undefined, 'needs root and Debian\'s PostgreSQL')) return;
  const data = mkdtempSync(join(tmpdir(), 'hafen-demo-pg-'));
  // PostgreSQL runs as its own user: it must enter the demo's data directory.
  chmodSync(data, 0o711);
  const port = await freePort();
  const { args } = demoAddresses();
  const d = demo(data, port, args, 180_000);
  const env = () => ({ ...process.env, HAFEN_CONTROLLER: `http://127.0.0.1:${port}`, HAFEN_TOKEN: readFileSync(join(data, 'controller', 'admin.token'), 'utf8').trim() });
  let servers: number[] = [];
  try {
    const out = await d.ready;
    assert.match(out, /hafen demo: 3 sites \(nue, vie, hel\), 6 hosts, 3 customers, 5 apps/);
    assert.match(out, /curl -X POST -H 'Host: zaehler\.stadtwerke\.example'/);
    const standby = async () => {
      const st = JSON.parse((await hafenAsync(['status', '--format', 'json'], { env: env() })).stdout) as { apps: { app: string; standby?: { term: number; active: string | null; standbys: { unit: string; copiedAt: string | null }[] }; units: { unit: string; site: string }[] }[] };
      const app = st.apps.find((a) => a.app === 'stadtwerke-db')!;
      return { ...app.standby!, site: app.units.find((u) => u.unit === app.standby?.active)?.site };
    };
    const before = await until('the standby streams', async () => {
      const s = await standby();
      return s.active && s.standbys[0]?.copiedAt ? s : undefined;
    }, 60_000, 500);
    servers = postmasters(data);
    assert.equal(servers.length, 2, 'two PostgreSQL servers: the writer and its standby');

    const load = hafenAsync(['demo', 'load', '--data', data, '--duration', '40s', '--rate', '30', '--app', 'stadtwerke-zaehler', '--format', 'json'], { env: env() });
    await new Promise((r) => setTimeout(r, 6000));
    const fail = await hafenAsync(['demo', 'fail', `site:${before.site}`, '--data', data, '--format', 'json'], { env: env() });
    assert.equal(fail.status, 0, fail.stderr);
    const after = await until('the standby promoted', async () => {
      const s = await standby();
      return s.term > before.term && s.active ? s : undefined;
    }, 60_000, 500);
    assert.notEqual(after.site, before.site);
    await new Promise((r) => setTimeout(r, 8000));
    const heal = await hafenAsync(['demo', 'heal', `site:${before.site}`, '--data', data, '--format', 'json'], { env: env() });
    assert.equal(heal.status, 0, heal.stderr);
    const loaded = await load;
    const report = JSON.parse(loaded.stdout) as { counter: { writes: number; reads: number; backwards: number; highest: number }; apps: { app: string; ok: number; failed: number }[] };
    t.diagnostic(`counter: ${JSON.stringify(report.counter)}; requests ${JSON.stringify(report.apps[0])}`);
    assert.equal(report.counter.backwards, 0, `the count never went back: ${loaded.stdout}`);
    assert.ok(report.counter.writes > 100 && report.counter.reads > 100, JSON.stringify(report.counter));
    // The old writer is kept aside and rewound: it streams from the new one.
    await until('the old writer streams from the new one', async () => ((await standby()).standbys[0]?.copiedAt ? true : undefined), 60_000, 500);
  } finally {
    d.child.kill('SIGINT');
    assert.equal(await d.exited, 0, d.output());
    assert.deepEqual(servers.filter(alive), [], 'no PostgreSQL server of the demo runs after Ctrl-C');
    assert.deepEqual(postmasters(data).filter(alive), []);
    rmSync(data, { recursive: true, force: true });
  }
});
