/**
 * App secrets end to end: a controller process (its logs captured), two agents with the
 * process driver, and the minimal fleet with one app taking its greeting from a secret.
 * The value reaches only the app's own host, never a log, an API listing, a revision or the
 * store file; rotating it restarts only the unit that uses it; an in-use secret cannot be
 * deleted; a controller with another key refuses to start.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { startAgent } from '../../src/agent/main.js';
import { ProcessDriver } from '../../src/agent/drivers/process.js';
import { HafenClient } from '../../src/client/client.js';
import { isHafenError } from '../../src/lib/errors.js';
import { BIN, EXAMPLES, ROOT, hafenAsync } from '../helpers/paths.js';
import { fetchText } from '../helpers/http.js';
import { until } from '../helpers/wait.js';
import { loopbackNet } from '../helpers/loopback.js';

const net = loopbackNet();
const ADDR: Record<string, string> = { 'nue-app-01': `${net}.1`, 'nue-app-02': `${net}.2` };
const FIRST = 'Servus-s3cr3t-7f3a9c';
const SECOND = 'Gruezi-r0tated-b81e44';
const fleet = readFileSync(join(EXAMPLES, 'minimal.yaml'), 'utf8').replace('env: { GREETING: "Bestellung" }', 'env: { GREETING: { secret: huber-greeting } }');
assert.ok(fleet.includes('secret: huber-greeting'));

interface Proc {
  child: ChildProcess;
  output: () => string;
  url: Promise<string>;
  exited: Promise<number | null>;
}

/** `hafen controller` as a process, with request logging on, so its log can be searched. */
function controllerProcess(data: string, env: NodeJS.ProcessEnv = {}): Proc {
  const child = spawn(process.execPath, [BIN, 'controller', '--data', data, '--listen', '127.0.0.1:0'], { cwd: ROOT, env: { ...process.env, ...env } });
  let out = '';
  const url = new Promise<string>((resolve, reject) => {
    const onData = (d: Buffer) => {
      out += d.toString();
      const m = /listening on (http:\/\/[\d.:]+)/.exec(out);
      if (m) resolve(m[1]!);
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.on('exit', (code) => reject(new Error(`controller exited with ${code}: ${out}`)));
  });
  const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
  url.catch(() => {});
  return { child, output: () => out, url, exited };
}

test('secrets: set from stdin, delivered only to the host that runs the app, rotated, never logged or stored in the clear', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'hafen-secrets-'));
  const data = join(dir, 'controller');
  const ctl = controllerProcess(data);
  const agents: { host: string; data: string; stop(): Promise<void> }[] = [];
  try {
    const url = await ctl.url;
    const token = readFileSync(join(data, 'admin.token'), 'utf8').trim();
    const admin = new HafenClient(url, token);
    const cli = (args: string[], input?: string) => hafenAsync([...args, '--controller', url], { env: { ...process.env, HAFEN_TOKEN: token }, ...(input !== undefined ? { input } : {}) });
    assert.equal(statSync(join(data, 'secret.key')).mode & 0o777, 0o600);
    assert.match(ctl.output(), /created a new secret key/);

    // A fleet that uses a secret that is not set changes nothing and says what to do.
    await assert.rejects(admin.apply([{ name: 'minimal.yaml', text: fleet }], null), (e) => isHafenError(e, 'HAFEN_SECRET_MISSING') && /apps\[1\]\.workload\.process\.env\.GREETING: "huber-greeting"/.test(e.message) && /hafen secret set huber-greeting/.test(e.message));
    assert.equal((await admin.revisions()).revisions.length, 0);

    const empty = await cli(['secret', 'set', 'huber-greeting'], '\n');
    assert.equal(empty.status, 1);
    assert.match(empty.stderr, /empty; nothing was stored \[HAFEN_SECRET_EMPTY\]/);
    const set = await cli(['secret', 'set', 'huber-greeting'], `${FIRST}\n`);
    assert.equal(set.status, 0, set.stderr);
    assert.match(set.stderr, /secret huber-greeting set \(version 1\); no app uses it yet/);
    assert.equal((await admin.apply([{ name: 'minimal.yaml', text: fleet }], null)).revision, 1);

    for (const host of ['nue-app-01', 'nue-app-02']) {
      const { token: join_ } = await admin.joinToken(host);
      const agentData = join(dir, host);
      const { agent } = await startAgent({ controller: url, data: agentData, joinToken: join_, driver: 'process', address: ADDR[host]! });
      agents.push({ host, data: agentData, stop: () => agent.stop() });
    }
    const ordersHost = (await admin.status()).apps.find((a) => a.app === 'huber-orders')!.units[0]!.host;
    const otherHost = Object.keys(ADDR).find((h) => h !== ordersHost)!;
    await until('the app serves its secret greeting', async () => ((await fetchText(ADDR[ordersHost]!, 8081)).startsWith(`${FIRST} from huber-orders-r1`) ? true : undefined));

    // Only the agent of the app's host receives the value.
    const cred = (host: string) => (JSON.parse(readFileSync(join(dir, host, 'credential.json'), 'utf8')) as { credential: string }).credential;
    const desiredOf = (host: string) => fetch(`${url}/v1/agent/desired`, { headers: { authorization: `Bearer ${cred(host)}` } }).then((r) => r.text());
    assert.ok((await desiredOf(ordersHost)).includes(FIRST));
    assert.ok(!(await desiredOf(otherHost)).includes(FIRST));
    assert.equal((await fetch(`${url}/v1/secrets`, { headers: { authorization: `Bearer ${cred(ordersHost)}` } })).status, 403);
    const cache = join(dir, ordersHost, 'state', 'desired.json');
    assert.equal(statSync(cache).mode & 0o777, 0o600, 'the agent keeps the value only in a 0600 file');

    // Listings, revisions and status name the secret, never its value.
    const list = await cli(['secret', 'list', '--format', 'json']);
    assert.equal(list.status, 0, list.stderr);
    const listed = JSON.parse(list.stdout) as { secrets: { name: string; version: number; usedBy: string[] }[] };
    assert.deepEqual(listed.secrets.map((s) => [s.name, s.version, s.usedBy]), [['huber-greeting', 1, ['huber-orders']]]);
    for (const path of ['/v1/secrets', '/v1/revisions/1', '/v1/status', '/v1/revisions']) {
      const body = await fetch(`${url}${path}`, { headers: { authorization: `Bearer ${token}` } }).then((r) => r.text());
      assert.ok(!body.includes(FIRST), `${path} does not show the value`);
    }

    // Rotation: the unit using the secret restarts with the new value, the others keep running.
    const pidOf = (host: string, unit: string) => (JSON.parse(readFileSync(join(dir, host, 'state', 'units', `${unit}.json`), 'utf8')) as { pid: number }).pid;
    const shopPids = Object.keys(ADDR).map((h) => readdirSync(join(dir, h, 'state', 'units')).filter((f) => f.startsWith('huber-shop')).map((f) => pidOf(h, f.replace(/\.json$/, '')))).flat();
    assert.equal(shopPids.length, 2);
    const rotated = await cli(['secret', 'set', 'huber-greeting'], SECOND);
    assert.equal(rotated.status, 0, rotated.stderr);
    assert.match(rotated.stderr, /version 2\); huber-orders restart with it/);
    await until('the app serves the rotated greeting', async () => ((await fetchText(ADDR[ordersHost]!, 8081)).startsWith(`${SECOND} from huber-orders-r1`) ? true : undefined));
    const shopPidsAfter = Object.keys(ADDR).map((h) => readdirSync(join(dir, h, 'state', 'units')).filter((f) => f.startsWith('huber-shop')).map((f) => pidOf(h, f.replace(/\.json$/, '')))).flat();
    assert.deepEqual(shopPidsAfter, shopPids, 'units that do not use the secret were not restarted');
    await until('status shows every replica running', async () => ((await admin.status()).apps.every((a) => a.running === a.desired) ? true : undefined));

    // A secret in use cannot be deleted; an unknown one is reported.
    const rm = await cli(['secret', 'rm', 'huber-greeting']);
    assert.equal(rm.status, 1);
    assert.match(rm.stderr, /used by huber-orders in revision 1; apply a fleet without it first \[HAFEN_SECRET_IN_USE\]/);
    const rmUnknown = await cli(['secret', 'rm', 'nope']);
    assert.match(rmUnknown.stderr, /there is no secret "nope" \[HAFEN_SECRET_NOT_FOUND\]/);
    const badName = await cli(['secret', 'set', 'Bad Name'], 'x');
    assert.equal(badName.status, 1);
    assert.match(badName.stderr, /secret name "Bad Name" must be a secret name/);

    // Nothing in the clear: not in the store's files, not in the controller's log.
    for (const f of readdirSync(data).filter((f) => f.startsWith('hafen.db'))) {
      const bytes = readFileSync(join(data, f));
      for (const v of [FIRST, SECOND]) assert.ok(!bytes.includes(v), `${f} does not hold ${v} in the clear`);
    }
    assert.match(ctl.output(), /"url":"\/v1\/secrets\/huber-greeting"/, 'the request log is on');
    for (const v of [FIRST, SECOND]) assert.ok(!ctl.output().includes(v), 'the controller log never shows a value');
  } finally {
    for (const a of agents) {
      await a.stop();
      await ProcessDriver.open({ stateDir: join(a.data, 'state') }).stopAll();
    }
    ctl.child.kill('SIGTERM');
    await ctl.exited;
  }

  // Started with another key, the controller refuses (instead of failing every read later).
  const other = controllerProcess(data, { HAFEN_SECRET_KEY: Buffer.alloc(32, 7).toString('base64') });
  assert.equal(await other.exited, 1);
  assert.match(other.output(), /1 stored secret\(s\) \(huber-greeting\) were sealed with key [0-9a-f]{16}, but this controller has key [0-9a-f]{16} \(from HAFEN_SECRET_KEY\)/);
  assert.ok(!other.output().includes(Buffer.alloc(32, 7).toString('base64')));
  rmSync(dir, { recursive: true, force: true });
});
