/**
 * Firewalls rolled out by a real agent (hafen agent --firewall) running in a network namespace
 * of its own (host nue-app-01, 198.18.0.10), its controller on this machine's end of the link
 * (198.18.0.66, in the mgmt segment) serving HTTPS, as a controller off loopback must (its
 * certificate made now, the agent given its CA with --ca): the first ruleset is applied and confirmed, and the
 * traffic it allows passes and the rest is dropped; then a ruleset that locks the agent out
 * (egress restricted, the controller forgotten on the allow list) undoes itself within the
 * confirm time (5 s here), the host reports it and an alert fires; with the controller allowed, the restricted
 * ruleset is confirmed and other destinations stay dropped.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { HafenClient } from '../../src/client/client.js';
import { startController } from '../../src/controller/main.js';
import { selfSigned } from '../helpers/certs.js';
import { makeNetns, type Netns } from '../helpers/netns.js';
import { BIN, hafenAsync } from '../helpers/paths.js';
import { need, run, works } from '../helpers/system.js';
import { until } from '../helpers/wait.js';

const HOST = '198.18.0.10';
const CONTROLLER = '198.18.0.66';
const usable = process.getuid?.() === 0 && works('nft', ['--version']) && works('ip', ['netns', 'list']);
const dir = mkdtempSync(join(tmpdir(), 'hafen-fw-rollout-'));
let ns: Netns | undefined;
let controller: Awaited<ReturnType<typeof startController>> | undefined;
let agent: ChildProcess | undefined;
let admin: HafenClient | undefined;
let bystander: Server | undefined;
let listener: ChildProcess | undefined;

const fleet = (egress: string) => `version: 1
providers: [{ id: provider-a }]
facilities: [{ id: nbg-1, operator: provider-a, country: DE }]
sites:
  - { id: nue, name: Nuremberg, provider: provider-a, facility: nbg-1, country: DE, prefixes: [198.18.0.0/24], uplink: 1Gbit/s }
siteTemplate:
  segments:
    - { name: apps, role: apps, prefixLength: 26 }
    - { name: mgmt, role: management, prefixLength: 28 }
  firewall:
    - { from: mgmt, to: apps, ports: [22] }
  firewallConfirm: 5s
${egress}
hosts:
  - { id: nue-app-01, site: nue, address: ${HOST}, cpu: 2, memory: 4GiB, disk: 10GiB }
`;

/** Whether a TCP connection from `inside` (the namespace) or from this machine to host:port opens within a second. */
function connects(from: 'inside' | 'outside', host: string, port: number): boolean {
  const probe = `const s=require('node:net').connect(${port},'${host}');s.setTimeout(1000,()=>process.exit(1));s.on('connect',()=>process.exit(0));s.on('error',()=>process.exit(1));`;
  const argv = from === 'inside' ? ['ip', 'netns', 'exec', ns!.name, process.execPath, '-e', probe] : [process.execPath, '-e', probe];
  return run(argv[0]!, argv.slice(1)).status === 0;
}

async function applyFleet(egress: string): Promise<string> {
  const { revision } = await admin!.status();
  await admin!.apply([{ name: 'fleet.yaml', text: fleet(egress) }], revision);
  return (await admin!.status()).hosts.find((h) => h.host === 'nue-app-01')!.firewall.desiredHash!;
}

const caFile = join(dir, 'ca.pem');
const hafenCli = (args: string[]) => hafenAsync([...args, '--controller', controller!.url, '--ca', caFile, '--token-file', join(dir, 'controller', 'admin.token')]);
const controllerPort = () => Number(new URL(controller!.url).port);
const reported = async () => (await admin!.status()).hosts.find((h) => h.host === 'nue-app-01')!.firewall.reported;

before(async () => {
  if (!usable) return;
  ns = makeNetns(74, HOST, CONTROLLER);
  const cert = await selfSigned('controller.hafen.test', { ip: CONTROLLER });
  writeFileSync(caFile, cert.cert);
  writeFileSync(join(dir, 'controller.key'), cert.key, { mode: 0o600 });
  controller = await startController({ data: join(dir, 'controller'), listen: `${CONTROLLER}:0`, tls: { cert: caFile, key: join(dir, 'controller.key') } });
  admin = new HafenClient(controller.url, readFileSync(join(dir, 'controller', 'admin.token'), 'utf8').trim(), { ca: cert.cert });
  await admin.apply([{ name: 'fleet.yaml', text: fleet('') }], null);
  // Something on this machine the host has no business reaching (egress), and ports on the host (ingress).
  bystander = createServer((s) => s.end()).listen(7499, CONTROLLER);
  listener = spawn('ip', ['netns', 'exec', ns.name, process.execPath, '-e', "for (const p of [22, 8080]) require('node:net').createServer((s) => { s.on('error', () => {}); s.end(); }).listen(p, '0.0.0.0')"], { stdio: 'ignore' });
  const token = (await admin.joinToken('nue-app-01')).token;
  const log = createWriteStream(join(dir, 'agent.log'));
  agent = spawn('ip', ['netns', 'exec', ns.name, process.execPath, BIN, 'agent', '--controller', controller.url, '--ca', caFile, '--data', join(dir, 'agent'), '--join-token', token, '--driver', 'process', '--firewall'], { stdio: ['ignore', 'pipe', 'pipe'] });
  agent.stdout!.pipe(log);
  agent.stderr!.pipe(log);
});

after(async () => {
  agent?.kill('SIGTERM');
  listener?.kill('SIGKILL');
  bystander?.close();
  await controller?.close();
  ns?.close();
  rmSync(dir, { recursive: true, force: true });
});

test('a firewall rolled out by the agent: confirmed; a ruleset that locks the agent out undoes itself and the host reports it', async (t) => {
  if (!need(t, usable, 'needs root, nft and ip netns')) return;
  const agentLog = () => readFileSync(join(dir, 'agent.log'), 'utf8');
  const first = (await admin!.status()).hosts.find((h) => h.host === 'nue-app-01')!.firewall.desiredHash!;
  const confirmed = await until('the first ruleset confirmed', async () => {
    const r = await reported();
    return r?.hash === first && r.state === 'confirmed' ? r : undefined;
  }, 30_000, 250).catch((err: Error) => assert.fail(`${err.message}\n${agentLog()}`));
  assert.ok(confirmed.confirmSeconds! < 5);
  assert.ok(connects('outside', HOST, 22), 'mgmt (198.18.0.66) → apps :22 is allowed');
  assert.ok(!connects('outside', HOST, 8080), 'mgmt → apps :8080 is dropped');
  assert.ok(connects('inside', CONTROLLER, 7499), 'egress is open');
  const good = ns!.exec(['nft', 'list', 'table', 'inet', 'hafen']);

  // Egress restricted, the controller not on the allow list: the agent is locked out.
  const appliedAt = Date.now();
  const lockout = await applyFleet('  egress: { policy: restricted }');
  assert.notEqual(lockout, first);
  const back = await until('the lock-out rolled back and reported', async () => {
    const r = await reported();
    return r?.hash === lockout && r.state === 'rolled-back' ? r : undefined;
  }, 40_000, 250).catch((err: Error) => assert.fail(`${err.message}\n${agentLog()}`));
  const seconds = (Date.parse(back.at) - appliedAt) / 1000;
  assert.match(back.error!, /the controller could not be reached over a new connection within 5 s after applying ruleset \w+; the previous ruleset is back/);
  assert.ok(seconds >= 5 && seconds < 15, `rolled back ${seconds.toFixed(1)} s after the apply`);
  assert.equal(ns!.exec(['nft', 'list', 'table', 'inet', 'hafen']), good, 'the confirmed ruleset is back, as it was');
  assert.ok(connects('inside', CONTROLLER, controllerPort()), 'new connections to the controller pass again');
  const status = await admin!.status();
  assert.ok(status.hosts.find((h) => h.host === 'nue-app-01')!.state === 'up', 'the host reports');
  const alert = await until('the firewall alert', async () => (await admin!.alerts()).alerts.find((a) => a.key === 'firewall:nue-app-01'), 20_000, 250);
  assert.match(alert.summary, /^the firewall of nue-app-01 was rolled back \(the controller could not be reached over a new connection within 5 s/);

  // With the controller allowed, the restricted ruleset stays, and other destinations are dropped.
  const allowed = await applyFleet(`  egress: { policy: restricted, allow: [{ to: ${CONTROLLER}/32, ports: [${controllerPort()}], description: the controller }] }`);
  await until('the restricted ruleset confirmed', async () => {
    const r = await reported();
    return r?.hash === allowed && r.state === 'confirmed' ? r : undefined;
  }, 30_000, 250).catch((err: Error) => assert.fail(`${err.message}\n${agentLog()}`));
  assert.ok(connects('inside', CONTROLLER, controllerPort()), 'the controller is allowed');
  assert.ok(!connects('inside', CONTROLLER, 7499), 'anything else is dropped');
  await until('the firewall alert resolved', async () => ((await admin!.alerts()).alerts.some((a) => a.key === 'firewall:nue-app-01') ? undefined : true), 20_000, 250);
  t.diagnostic(`first ruleset confirmed ${confirmed.confirmSeconds!.toFixed(1)} s after applying; the lock-out undone and reported ${seconds.toFixed(1)} s after the apply (confirm time 5 s)`);
});

test('a table changed by hand is reported drifted, and hafen firewall reapply applies the ruleset again', async (t) => {
  if (!need(t, usable, 'needs root, nft and ip netns')) return;
  const want = (await admin!.status()).hosts.find((h) => h.host === 'nue-app-01')!.firewall.desiredHash!;
  await until('the ruleset confirmed', async () => {
    const r = await reported();
    return r?.hash === want && r.state === 'confirmed' ? r : undefined;
  }, 30_000, 250);
  const good = ns!.exec(['nft', 'list', 'table', 'inet', 'hafen']);
  ns!.exec(['nft', 'add', 'rule', 'inet', 'hafen', 'input', 'tcp', 'dport', '8080', 'accept']);
  assert.ok(connects('outside', HOST, 8080), 'the hand-made rule lets 8080 in');
  await until('the drift reported', async () => ((await reported())?.drifted ? true : undefined), 20_000, 250);
  const status = await hafenCli(['status']);
  assert.match(status.stdout, /firewall DRIFTED: .*hafen firewall reapply nue-app-01/);
  const reapplied = await hafenCli(['firewall', 'reapply', '--drifted']);
  assert.equal(reapplied.status, 0, reapplied.stderr);
  assert.match(reapplied.stdout, /^nue-app-01 +confirmed$/m);
  assert.equal(ns!.exec(['nft', 'list', 'table', 'inet', 'hafen']), good, 'the table is the confirmed ruleset again');
  assert.ok(!connects('outside', HOST, 8080), '8080 is dropped again');
  assert.ok(!(await reported())?.drifted, 'no longer drifted');
  const none = await hafenCli(['firewall', 'reapply', '--drifted']);
  assert.match(none.stdout, /no host needs it/);
});
