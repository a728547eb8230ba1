/**
 * Plain HTTP stays on the machine (issue 30): a controller listening off loopback without TLS,
 * and agents, probers, proxies, the CLI and the demo given a plain http:// controller off
 * loopback, refuse before they send or write anything — unless --allow-plain-http or
 * HAFEN_ALLOW_PLAIN_HTTP=1 says the network is trusted. No traffic leaves loopback: the
 * allowed case reaches a controller on 0.0.0.0 through http://0.0.0.0:PORT, which Linux
 * delivers to this machine but which is not loopback by name.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { startController } from '../../src/controller/main.js';
import { isHafenError } from '../../src/lib/errors.js';
import { selfSigned } from '../helpers/certs.js';
import { BIN, hafenAsync } from '../helpers/paths.js';
import { until } from '../helpers/wait.js';

const dir = mkdtempSync(join(tmpdir(), 'hafen-plain-http-'));
const started: ChildProcess[] = [];
after(() => {
  for (const c of started) if (c.exitCode === null) c.kill('SIGKILL');
  rmSync(dir, { recursive: true, force: true });
});

/** The environment without anything that would allow plain HTTP or pick a controller already. */
const cleanEnv = (extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv => {
  const env = { ...process.env };
  delete env.HAFEN_ALLOW_PLAIN_HTTP;
  delete env.HAFEN_CONTROLLER;
  delete env.HAFEN_CA;
  return { ...env, ...extra };
};

const REFUSED = /HAFEN_PLAIN_HTTP_REFUSED/;

test('a controller refuses to serve plain HTTP off loopback, creating nothing; --allow-plain-http (or the variable) lets it', async () => {
  const data = join(dir, 'refused');
  const r = await hafenAsync(['controller', '--data', data, '--listen', '0.0.0.0:0', '--quiet'], { env: cleanEnv() });
  assert.equal(r.status, 1, r.stderr);
  assert.match(r.stderr, /^error: --listen 0\.0\.0\.0:0 without --tls-cert\/--tls-key would serve the API in plain HTTP to other machines.*--allow-plain-http/);
  assert.match(r.stderr, REFUSED);
  assert.ok(!existsSync(data), 'nothing written');
  const bad = await hafenAsync(['controller', '--data', data, '--listen', '0.0.0.0:0'], { env: cleanEnv({ HAFEN_ALLOW_PLAIN_HTTP: 'perhaps' }) });
  assert.equal(bad.status, 1);
  assert.match(bad.stderr, /HAFEN_ALLOW_PLAIN_HTTP must be 1, true or yes/);

  // Allowed, it listens on every address; the CLI must be allowed too to reach it there.
  for (const [how, args, env] of [
    ['--allow-plain-http', ['--allow-plain-http'], {}],
    ['HAFEN_ALLOW_PLAIN_HTTP=1', [], { HAFEN_ALLOW_PLAIN_HTTP: '1' }],
  ] as const) {
    const data2 = join(dir, `allowed-${args.length}`);
    const child = spawn(process.execPath, [BIN, 'controller', '--data', data2, '--listen', '0.0.0.0:0', '--quiet', ...args], { env: cleanEnv(env), stdio: ['ignore', 'ignore', 'pipe'] });
    started.push(child);
    let stderr = '';
    child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    const port = await until(`the controller started with ${how}`, async () => /listening on http:\/\/0\.0\.0\.0:(\d+)/.exec(stderr)?.[1], 20_000).catch((e: Error) => assert.fail(`${e.message}\n${stderr}`));
    const url = `http://0.0.0.0:${port}`;
    const token = readFileSync(join(data2, 'admin.token'), 'utf8').trim();
    const refused = await hafenAsync(['status', '--controller', url, '--format', 'json'], { env: cleanEnv({ HAFEN_TOKEN: token }) });
    assert.equal(refused.status, 1);
    assert.match(refused.stderr, /^error: --controller: http:\/\/0\.0\.0\.0:\d+ is plain HTTP to another machine/);
    const viaEnv = await hafenAsync(['status', '--format', 'json'], { env: cleanEnv({ HAFEN_TOKEN: token, HAFEN_CONTROLLER: url }) });
    assert.match(viaEnv.stderr, /^error: \$HAFEN_CONTROLLER: /, 'the error names where the URL came from');
    const flag = await hafenAsync(['status', '--controller', url, '--format', 'json', '--allow-plain-http'], { env: cleanEnv({ HAFEN_TOKEN: token }) });
    assert.equal(flag.status, 0, flag.stderr);
    assert.equal(JSON.parse(flag.stdout).revision, null);
    const variable = await hafenAsync(['status', '--format', 'json'], { env: cleanEnv({ HAFEN_TOKEN: token, HAFEN_CONTROLLER: url, HAFEN_ALLOW_PLAIN_HTTP: 'yes' }) });
    assert.equal(variable.status, 0, variable.stderr);
    child.kill('SIGTERM');
    await until('the controller stopped', async () => (child.exitCode !== null ? true : undefined), 10_000);
    assert.equal(child.exitCode, 0);
  }
});

test('with TLS a controller listens anywhere; --advertise must match its scheme and stay off plain HTTP', async () => {
  const c = await selfSigned('controller.hafen.test', { ip: '127.0.0.1' });
  const tls = { cert: join(dir, 'c.crt'), key: join(dir, 'c.key') };
  writeFileSync(tls.cert, c.cert);
  writeFileSync(tls.key, c.key, { mode: 0o600 });
  const controller = await startController({ data: join(dir, 'tls'), listen: '0.0.0.0:0', tls });
  try {
    assert.match(controller.url, /^https:\/\/0\.0\.0\.0:\d+$/);
  } finally {
    await controller.close();
  }
  await assert.rejects(startController({ data: join(dir, 'adv1'), listen: '127.0.0.1:0', tls, advertise: 'http://ctl.example:7400' }), (e: unknown) => isHafenError(e) && e.code === 'HAFEN_CLI_BAD_OPTION' && /--advertise: expected https:\/\/HOST:PORT/.test(e.message));
  await assert.rejects(startController({ data: join(dir, 'adv2'), listen: '127.0.0.1:0', advertise: 'http://10.0.0.1:7400' }), (e: unknown) => isHafenError(e) && e.code === 'HAFEN_PLAIN_HTTP_REFUSED' && /^--advertise: http:\/\/10\.0\.0\.1:7400/.test(e.message));
  assert.ok(!existsSync(join(dir, 'adv1')) && !existsSync(join(dir, 'adv2')), 'nothing written');
});

test('agents, probers, proxies and the demo refuse a plain controller off loopback before they write or send anything', async () => {
  const plain = 'http://10.255.0.1:7400';
  for (const [name, args] of [
    ['agent', ['agent', '--controller', `https://127.0.0.1:1,${plain}`, '--data', join(dir, 'agent'), '--join-token', 'hfj_x']],
    ['prober', ['prober', '--controller', plain, '--data', join(dir, 'prober'), '--join-token', 'hfj_x']],
    ['proxy', ['proxy', '--controller', plain, '--data', join(dir, 'proxy'), '--listen', '127.0.0.1:0', '--admin', '127.0.0.1:0']],
  ] as const) {
    const r = await hafenAsync([...args], { env: cleanEnv() });
    assert.equal(r.status, 1, `${name}: ${r.stderr}`);
    assert.match(r.stderr, /^error: --controller: http:\/\/10\.255\.0\.1:7400 is plain HTTP to another machine/, name);
    assert.match(r.stderr, REFUSED, name);
    assert.ok(!existsSync(join(dir, name)), `${name}: nothing written`);
  }
  const demo = await hafenAsync(['demo', '--listen', '0.0.0.0:7400', '--data', join(dir, 'demo')], { env: cleanEnv() });
  assert.equal(demo.status, 1, demo.stderr);
  assert.match(demo.stderr, /^error: --listen 0\.0\.0\.0:7400: the demo's controller serves plain HTTP on this machine only/);
  assert.ok(!existsSync(join(dir, 'demo')));
});
