/**
 * `hafen proxy` as a process with a route table file: it routes, reloads a changed file,
 * keeps the last good table when the file turns bad, logs JSON lines and serves metrics on
 * the admin port. A bad file at start is an error naming the path inside it.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { stringify } from 'yaml';
import { startBackend } from '../helpers/backends.js';
import { BIN, ROOT, hafenAsync } from '../helpers/paths.js';
import { getWithHost } from '../helpers/http.js';
import { loopbackNet } from '../helpers/loopback.js';
import { sleep } from '../helpers/wait.js';

test('hafen proxy routes from a file, reloads it, keeps the last good table, and serves metrics', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'hafen-proxy-cli-'));
  const net = loopbackNet();
  const [a, b] = await Promise.all([startBackend('one-r1', `${net}.1`), startBackend('two-r1', `${net}.2`)]);
  const file = join(dir, 'routes.yaml');
  const routes = (backend: typeof a, revision: number) => ({
    revision,
    routes: [{ host: 'app.example.com', app: 'app', replicas: [{ id: backend.id, site: 'nue', host: 'h1', address: backend.address, port: backend.port }] }],
  });
  writeFileSync(file, stringify(routes(a, 1)));
  const child = spawn(process.execPath, [BIN, 'proxy', '--site', 'nue', '--routes', file, '--listen', `${net}.100:0`, '--admin', `${net}.100:0`], { cwd: ROOT });
  let out = '';
  let err = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (err += d.toString()));
  try {
    for (let i = 0; i < 100 && !err.includes('hafen proxy for site nue'); i++) await sleep(100);
    // Port 0 asked for: the proxy says which ports it got.
    const [, url, adminUrl] = /hafen proxy for site nue on (http:\/\/[\d.]+:\d+) \(admin (http:\/\/[\d.]+:\d+)\)/.exec(err) ?? [];
    assert.ok(url && adminUrl, err);
    assert.ok(url.startsWith(`http://${net}.100:`) && !url.endsWith(':0') && !adminUrl.endsWith(':0'), err);
    assert.match((await getWithHost(url, 'app.example.com')).body, /^one-r1/);

    writeFileSync(file, stringify(routes(b, 2)));
    for (let i = 0; i < 50 && !(await getWithHost(url, 'app.example.com')).body.startsWith('two-r1'); i++) await sleep(100);
    assert.match((await getWithHost(url, 'app.example.com')).body, /^two-r1/, 'the changed file was loaded');

    writeFileSync(file, 'revision: 3\nroutes:\n  - host: app.example.com\n    replicas: nope\n');
    for (let i = 0; i < 50 && !err.includes('is invalid'); i++) await sleep(100);
    assert.match(err, /routes\[0\]\.app/, 'the problem names the path in the file');
    assert.match((await getWithHost(url, 'app.example.com')).body, /^two-r1/, 'the last good table stays');

    const metrics = await getWithHost(adminUrl, 'x', '/metrics');
    assert.match(metrics.body, /hafen_proxy_requests_total\{app="app",code="2xx"\} \d+/);
    const replicas = JSON.parse((await getWithHost(adminUrl, 'x', '/replicas')).body) as { revision: number; replicas: { id: string; up: boolean }[] };
    assert.equal(replicas.revision, 2);
    assert.deepEqual(replicas.replicas.map((r) => r.id), ['two-r1']);
  } finally {
    child.kill('SIGTERM');
    await new Promise((r) => child.once('exit', r));
    await Promise.all([a.close(), b.close()]);
  }
  // The access log (buffered) is complete once the proxy has stopped.
  const lines = out.split('\n').filter(Boolean).map((l) => JSON.parse(l) as { msg: string; app?: string; status?: number; replica?: string });
  const access = lines.find((l) => l.msg === 'request' && l.replica === 'one-r1');
  assert.equal(access?.app, 'app');
  assert.equal(access?.status, 200);

  writeFileSync(file, 'revision: 1\nroutes:\n  - host: app.example.com\n    app: app\n    replicas: [{ id: x, site: nue, host: h, address: 127.0.0.1, port: 99999 }]\n');
  const bad = await hafenAsync(['proxy', '--site', 'nue', '--routes', file, '--listen', `${net}.100:0`, '--admin', `${net}.100:0`]);
  assert.equal(bad.status, 1);
  assert.match(bad.stderr, /the route table .*routes\.yaml is invalid: routes\[0\]\.replicas\[0\]\.port: .*\[HAFEN_PROXY_ROUTES_INVALID\]/);
  rmSync(dir, { recursive: true, force: true });
});
