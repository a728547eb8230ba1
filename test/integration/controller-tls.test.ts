/**
 * The controller over HTTPS (--tls-cert/--tls-key), with certificates made when the test runs:
 * clients verify it against --ca (or $HAFEN_CA) and refuse it without; plain HTTP gets no
 * answer; an agent joins and follows over it; a renewed certificate is served without a restart;
 * a missing or mismatched file is a clear error at start.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import tls from 'node:tls';
import { HafenClient } from '../../src/client/client.js';
import { startController } from '../../src/controller/main.js';
import { startAgent } from '../../src/agent/main.js';
import { ProcessDriver } from '../../src/agent/drivers/process.js';
import { HafenError } from '../../src/lib/errors.js';
import { selfSigned } from '../helpers/certs.js';
import { EXAMPLES, hafenAsync } from '../helpers/paths.js';
import { until } from '../helpers/wait.js';

const dir = mkdtempSync(join(tmpdir(), 'hafen-controller-tls-'));
const certFile = join(dir, 'controller.crt');
const keyFile = join(dir, 'controller.key');
const caFile = join(dir, 'ca.pem');
let controller: Awaited<ReturnType<typeof startController>>;
let token: string;

before(async () => {
  const c = await selfSigned('controller.hafen.test', { ip: '127.0.0.1' });
  writeFileSync(certFile, c.cert);
  writeFileSync(keyFile, c.key, { mode: 0o600 });
  writeFileSync(caFile, c.cert);
  controller = await startController({ data: join(dir, 'controller'), listen: '127.0.0.1:0', tls: { cert: certFile, key: keyFile } });
  token = readFileSync(controller.adminTokenFile!, 'utf8').trim();
});

after(async () => {
  await controller.close();
  rmSync(dir, { recursive: true, force: true });
});

const fingerprint = (url: string) =>
  new Promise<string>((resolve, reject) => {
    const u = new URL(url);
    const s = tls.connect({ host: u.hostname, port: Number(u.port), rejectUnauthorized: false }, () => {
      resolve(s.getPeerCertificate().fingerprint256);
      s.destroy();
    });
    s.on('error', reject);
  });

test('clients verify the controller against --ca and refuse it without; plain HTTP gets nowhere', async () => {
  assert.match(controller.url, /^https:\/\/127\.0\.0\.1:\d+$/);
  const ca = readFileSync(caFile, 'utf8');
  assert.equal((await new HafenClient(controller.url, token, { ca }).whoami()).role, 'admin');
  await assert.rejects(new HafenClient(controller.url, token).whoami(), (e) => e instanceof HafenError && e.code === 'HAFEN_CLIENT_UNREACHABLE' && /certificate/i.test(e.message));
  await assert.rejects(fetch(controller.url.replace('https:', 'http:') + '/healthz', { signal: AbortSignal.timeout(3000) }));
  // The CLI: --ca, or HAFEN_CA.
  const tokenFile = controller.adminTokenFile!;
  const withCa = await hafenAsync(['whoami', '--controller', controller.url, '--token-file', tokenFile, '--ca', caFile]);
  assert.equal(withCa.status, 0, withCa.stderr);
  const fromEnv = await hafenAsync(['whoami', '--controller', controller.url, '--token-file', tokenFile], { env: { ...process.env, HAFEN_CA: caFile } });
  assert.equal(fromEnv.status, 0, fromEnv.stderr);
  const without = await hafenAsync(['whoami', '--controller', controller.url, '--token-file', tokenFile], { env: { ...process.env, HAFEN_CA: '' } });
  assert.equal(without.status, 2, 'the controller cannot be reached (as trusted)');
  assert.match(without.stderr, /certificate/i);
  const badCa = await hafenAsync(['whoami', '--controller', controller.url, '--token-file', tokenFile, '--ca', join(dir, 'nope.pem')]);
  assert.equal(badCa.status, 1);
  assert.match(badCa.stderr, /cannot read the CA file .*nope\.pem/);
});

test('an agent joins and follows its state over HTTPS', async () => {
  const ca = readFileSync(caFile, 'utf8');
  const admin = new HafenClient(controller.url, token, { ca });
  await admin.apply([{ name: 'minimal.yaml', text: readFileSync(join(EXAMPLES, 'minimal.yaml'), 'utf8') }], null);
  const data = join(dir, 'nue-app-01');
  const log: string[] = [];
  const { agent } = await startAgent({ controller: controller.url, trust: { ca }, data, driver: 'process', joinToken: (await admin.joinToken('nue-app-01')).token, log: (l) => log.push(l) });
  try {
    await until('the agent applied revision 1', async () => (log.some((l) => /^applied revision 1/.test(l)) ? true : undefined));
    await until('its report arrived', async () => ((await admin.status()).hosts.find((h) => h.host === 'nue-app-01')?.lastReport ? true : undefined));
  } finally {
    await agent.stop();
    await ProcessDriver.open({ stateDir: join(data, 'state') }).stopAll();
  }
});

test('a renewed certificate is served without a restart', async () => {
  const before = await fingerprint(controller.url);
  const renewed = await selfSigned('controller.hafen.test', { ip: '127.0.0.1' });
  writeFileSync(keyFile, renewed.key, { mode: 0o600 });
  writeFileSync(certFile, renewed.cert);
  const now = await until('the renewed certificate is served', async () => {
    const f = await fingerprint(controller.url);
    return f !== before ? f : undefined;
  }, 20_000, 250);
  assert.notEqual(now, before);
  writeFileSync(caFile, renewed.cert);
  assert.equal((await new HafenClient(controller.url, token, { ca: renewed.cert }).whoami()).role, 'admin');
});

test('a certificate file that cannot be read, or a key that is not its own, stops the start with a clear error', async () => {
  await assert.rejects(startController({ data: join(dir, 'c2'), listen: '127.0.0.1:0', tls: { cert: join(dir, 'missing.crt'), key: keyFile } }), /--tls-cert: cannot read .*missing\.crt: ENOENT/);
  const other = await selfSigned('other.hafen.test');
  const otherKey = join(dir, 'other.key');
  writeFileSync(otherKey, other.key, { mode: 0o600 });
  await assert.rejects(startController({ data: join(dir, 'c3'), listen: '127.0.0.1:0', tls: { cert: certFile, key: otherKey } }), /do not make a certificate and its key/);
});
