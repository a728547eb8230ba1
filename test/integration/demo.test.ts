/**
 * `hafen demo` (what `npm start` runs): the three-site fleet comes up as real processes and
 * answers through every site's proxy; under `demo load`, `demo fail site:hel` cuts Helsinki
 * off: the critical app loses no request, `hafen status` shows the site down, one alert fires
 * (the rest are muted by it), and `demo heal` brings it back; Ctrl-C (SIGINT) stops everything
 * it started, units and a frozen site included; a second start reuses the data directory.
 * With restic installed, the demo's apps are backed up to other sites.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { HafenClient } from '../../src/client/client.js';
import { demo, demoAddresses, freePort } from '../helpers/demo.js';
import { alive, identify, processTree, signalAll, stillRunning } from '../../src/lib/proc.js';
import { hafenAsync } from '../helpers/paths.js';
import { until } from '../helpers/wait.js';
import { getWithHost } from '../helpers/http.js';
import { works } from '../helpers/system.js';

/** The pids of the units the demo's agents started, from their state files. */
function unitPids(data: string): number[] {
  return readdirSync(data)
    .filter((d) => d.endsWith('-app-01'))
    .flatMap((h) => {
      try {
        return readdirSync(join(data, h, 'state', 'units')).map((f) => (JSON.parse(readFileSync(join(data, h, 'state', 'units', f), 'utf8')) as { pid: number }).pid);
      } catch {
        return [];
      }
    });
}


test('the demo fleet comes up, loses no critical request when a site is cut off, and Ctrl-C leaves nothing running', async () => {
  const data = mkdtempSync(join(tmpdir(), 'hafen-demo-'));
  const port = await freePort();
  // Three loopback /24s of this run's own (one per site), so a demo started by hand beside it
  // (on 127.0.11-13.x, the default) and other tests are left alone.
  const { args, proxies } = demoAddresses();
  let demoPids: number[] = [];
  try {
    const first = demo(data, port, args);
    try {
      const out = await first.ready;
      assert.match(out, /hafen demo: 3 sites \(nue, vie, hel\)/);
      assert.ok(out.includes(`proxy nue   http://${proxies[0]}:8080`), out);
      for (const proxy of proxies) {
        const r = await getWithHost(`http://${proxy}:8080`, 'portal.stadtwerke.example');
        assert.equal(r.status, 200, `through ${proxy}`);
        assert.match(r.body, /^Stadtwerke from stadtwerke-portal-r\d/);
      }
      const pids = unitPids(data);
      assert.equal(pids.length, 6, 'six replicas run');

      const env = { ...process.env, HAFEN_CONTROLLER: `http://127.0.0.1:${port}`, HAFEN_TOKEN: readFileSync(join(data, 'controller', 'admin.token'), 'utf8').trim() };
      // With restic installed every app is backed up to another site; a backup now works.
      if (works('restic', ['version'])) {
        assert.match(out, /node bin\/hafen\.js backup list/);
        const run = await hafenAsync(['backup', 'run', 'verlag-blog', '--format', 'json', '--timeout', '60'], { env });
        assert.equal(run.status, 0, run.stderr + run.stdout);
        assert.equal((JSON.parse(run.stdout) as { host: string }).host, 'hel-app-01');
        const listed = JSON.parse((await hafenAsync(['backup', 'list', '--format', 'json'], { env })).stdout) as { apps: { app: string; repository: string }[] };
        assert.deepEqual(listed.apps.map((a) => [a.app, a.repository]), [
          ['stadtwerke-portal', join(data, 'backups', 'vie', 'stadtwerke', 'stadtwerke-portal')],
          ['huber-shop', join(data, 'backups', 'hel', 'huber', 'huber-shop')],
          ['verlag-blog', join(data, 'backups', 'nue', 'verlag', 'verlag-blog')],
        ]);
      } else assert.match(out, /restic is not installed: the demo runs without backups/);

      // Load through every proxy; Helsinki is cut off a few seconds in and healed later.
      const load = hafenAsync(['demo', 'load', '--data', data, '--duration', '30s', '--rate', '30', '--format', 'json'], { env });
      await new Promise((r) => setTimeout(r, 4000));
      const fail = await hafenAsync(['demo', 'fail', 'site:hel', '--data', data, '--format', 'json'], { env });
      assert.equal(fail.status, 0, fail.stderr);
      const failed = JSON.parse(fail.stdout) as { state: string; seconds: number; seenDownBy: string[] };
      assert.equal(failed.state, 'down');
      assert.deepEqual(failed.seenDownBy, ['nue', 'vie']);
      assert.ok(failed.seconds < 30, `the controller saw hel down after ${failed.seconds} s`);

      const status = await hafenAsync(['status', '--format', 'json'], { env });
      assert.equal(status.status, 1, 'status exits 1 while a site is down');
      const st = JSON.parse(status.stdout) as { sites: { site: string; state: string }[] };
      assert.deepEqual(Object.fromEntries(st.sites.map((x) => [x.site, x.state])), { nue: 'up', vie: 'up', hel: 'down' });
      const text = await hafenAsync(['status'], { env });
      assert.match(text.stdout, /^site hel +DOWN +Helsinki .*lost: every check down as seen from nue and vie/m);

      const alerts = JSON.parse((await hafenAsync(['alerts', '--format', 'json'], { env })).stdout) as { alerts: { key: string; severity: string; group: string; inhibitedBy?: string; silencedBy?: string }[] };
      // Info alerts (one site alone sees a path slow while the proxies route around hel) notify nobody.
      const firing = alerts.alerts.filter((a) => a.severity !== 'info' && !a.inhibitedBy && !a.silencedBy);
      assert.deepEqual(firing.map((a) => a.group), ['site:hel'], `one alert for the lost site, the rest muted by it: ${JSON.stringify(alerts.alerts)}`);
      assert.ok(alerts.alerts.some((a) => a.inhibitedBy === 'site:hel'), 'the replica alerts at hel are muted by the lost site');

      await new Promise((r) => setTimeout(r, 5000));
      const heal = await hafenAsync(['demo', 'heal', 'site:hel', '--data', data, '--format', 'json'], { env });
      assert.equal(heal.status, 0, heal.stderr);
      assert.equal((JSON.parse(heal.stdout) as { state: string }).state, 'up');

      const loaded = await load;
      const report = JSON.parse(loaded.stdout) as { sent: number; criticalFailed: number; apps: { app: string; critical: boolean; sent: number; ok: number; failed: number }[] };
      const portal = report.apps.find((a) => a.app === 'stadtwerke-portal')!;
      assert.ok(portal.critical && portal.sent >= 250, `the critical app got its share: ${JSON.stringify(portal)}`);
      assert.equal(portal.failed, 0, `no failed request to the critical app: ${loaded.stdout}`);
      assert.equal(report.criticalFailed, 0);
      assert.equal(loaded.status, 0, loaded.stderr);
      // The blog has its only replica at hel: its failures are counted, not hidden.
      const blog = report.apps.find((a) => a.app === 'verlag-blog')!;
      assert.ok(blog.failed > 0 && blog.ok > 0, `the blog failed while hel was cut off, and only then: ${JSON.stringify(blog)}`);

      // Ctrl-C while a site is cut off (frozen) still stops everything.
      const again = await hafenAsync(['demo', 'fail', 'site:hel', '--data', data, '--no-wait'], { env });
      assert.equal(again.status, 0, again.stderr);
      const running = (JSON.parse(readFileSync(join(data, 'demo.json'), 'utf8')) as { hosts: { site: string; agentPid: number; proxy: { pid: number } }[] }).hosts;
      demoPids = running.flatMap((h) => [h.agentPid, h.proxy.pid]);
      // Helsinki's agent dies while its site is frozen: its apps, frozen with it, are no longer
      // below any process of the demo, and must still be stopped by Ctrl-C.
      process.kill(running.find((h) => h.site === 'hel')!.agentPid, 'SIGKILL');
    } finally {
      // Ctrl-C twice, sent to the demo alone: the second must not cut the stop short.
      first.child.kill('SIGINT');
      setTimeout(() => first.child.kill('SIGINT'), 20);
    }
    assert.equal(await first.exited, 0);
    assert.match(first.output(), /still stopping the demo/);
    const left = unitPids(data).filter(alive);
    assert.deepEqual(left, [], 'no unit of the demo runs after Ctrl-C');
    assert.deepEqual(demoPids.filter(alive), [], 'no agent or proxy of the demo runs after Ctrl-C');
    assert.ok(!existsSync(join(data, 'demo.json')), 'the demo forgot its processes');
    const noDemo = await hafenAsync(['demo', 'fail', 'site:hel', '--data', data]);
    assert.equal(noDemo.status, 1);
    assert.match(noDemo.stderr, /no demo runs with data directory/);

    // A second start reuses the data directory: same revision, hosts already joined.
    const second = demo(data, port, args);
    try {
      await second.ready;
      const admin = new HafenClient(`http://127.0.0.1:${port}`, readFileSync(join(data, 'controller', 'admin.token'), 'utf8').trim());
      assert.equal((await admin.status()).revision, 1, 'the same revision, not a new one');
      assert.equal((await getWithHost(`http://${proxies[1]}:8080`, 'shop.huber.example')).status, 200);
    } finally {
      second.child.kill('SIGINT');
    }
    assert.equal(await second.exited, 0);

    // Ctrl-C before it is ready stops what has started so far.
    const third = demo(data, port, args);
    await until('the demo starting', async () => (third.output().includes('starting the demo fleet') ? true : undefined), 30_000, 20);
    await new Promise((r) => setTimeout(r, 1500));
    // What it started so far, found from its own pid (not by looking for names in /proc).
    const started = identify(processTree(third.child.pid!));
    assert.ok(started.size > 1, 'the demo had started processes');
    third.child.kill('SIGINT');
    assert.equal(await third.exited, 0, third.output());
    assert.match(third.output(), /stopping the demo fleet before it was ready/);
    assert.deepEqual(unitPids(data).filter(alive), [], 'no unit left after an early Ctrl-C');
    assert.deepEqual(stillRunning(started), [], 'no process of the demo left after an early Ctrl-C');
  } finally {
    // A failed run leaves nothing behind either (frozen apps included).
    const left = unitPids(data).filter(alive);
    signalAll(left, 'SIGCONT');
    signalAll(left, 'SIGKILL');
    rmSync(data, { recursive: true, force: true });
  }
});
