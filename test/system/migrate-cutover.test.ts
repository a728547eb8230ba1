/**
 * A stateful move: the three-site fleet on loopback (controller, an agent and a real sshd per
 * host, the edge proxy at nue), a ledger app writing a line every 20 ms into its data
 * directory. Its move to another site is proposed, accepted by an operator for the customer,
 * and then run at its time (the controller's clock jumps to the night of the window): pre-copy
 * with rsync over ssh while it writes, a controller restart in the middle, stop, final copy,
 * checksums, start at the target, verify, a revision placing it there. Afterwards the target's
 * data begins with exactly the source's (sha256), and the downtime a client saw through the
 * proxy is within the plan's estimate. Then a move to a site where the app never gets healthy
 * rolls back: the app runs at the source again on its own data.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { after, before, test } from 'node:test';
import type { Agent } from '../../src/agent/agent.js';
import { ProcessDriver } from '../../src/agent/drivers/process.js';
import { startAgent } from '../../src/agent/main.js';
import { HafenClient, type MoveRecord } from '../../src/client/client.js';
import { startController } from '../../src/controller/main.js';
import { startProxy } from '../../src/proxy/main.js';
import { getWithHost } from '../helpers/http.js';
import { EXAMPLES, FIXTURES, hafenAsync } from '../helpers/paths.js';
import { loopbackNet } from '../helpers/loopback.js';
import { sshMovesMissing, startLoopbackSshd } from '../helpers/sshd.js';
import { need } from '../helpers/system.js';
import { FAST_MONITORING } from '../helpers/three-sites.js';
import { sleep, until } from '../helpers/wait.js';

const NET = loopbackNet();
const SSH_PORT = 2222;
/** Why this machine cannot run these moves (no root, sshd, ssh or rsync); undefined when it can. */
const missing = sshMovesMissing();
const HOSTS = ['nue-app-01', 'vie-app-01', 'hel-app-01'];
const SITE: Record<string, string> = { 'nue-app-01': 'nue', 'vie-app-01': 'vie', 'hel-app-01': 'hel' };
const address: Record<string, string> = Object.fromEntries(HOSTS.map((h, i) => [h, `${NET}.${i + 1}`]));
const dir = mkdtempSync(join(tmpdir(), 'hafen-migrate-cutover-'));
const data = (host: string) => join(dir, host);
const unitData = (host: string) => join(data(host), 'state', 'data', 'verlag-ledger-r1');
let ahead = 0;
const clock = () => new Date(Date.now() + ahead);
let controller: Awaited<ReturnType<typeof startController>>;
let url: URL;
let admin: HafenClient;
const agents: Record<string, Agent> = {};
const sshds: { stop(): void }[] = [];
let proxy: Awaited<ReturnType<typeof startProxy>>;
let unhealthyAt = '';
/** What the agents logged, for the failure messages. */
const logs: string[] = [];
const logTail = () => `\nagents said:\n${logs.slice(-15).join('\n')}`;

before(async () => {
  if (missing) return;
  controller = await startController({ data: join(dir, 'controller'), listen: '127.0.0.1:0', clock });
  url = new URL(controller.url);
  admin = new HafenClient(controller.url, readFileSync(controller.adminTokenFile!, 'utf8').trim());
  for (const host of HOSTS) {
    sshds.push(await startLoopbackSshd(address[host]!, SSH_PORT, join(dir, `sshd-${host}`), join(data(host), 'move_keys')));
  }
  await admin.apply([{ name: 'three-sites.yaml', text: fleet() }], null, 'the fleet');
  for (const host of HOSTS) {
    const { agent } = await startAgent({ controller: controller.url, data: data(host), joinToken: (await admin.joinToken(host)).token, driver: 'process', address: address[host]!, moveAuthorizedKeys: join(data(host), 'move_keys'), log: (line) => logs.push(`${host}: ${line}`) });
    agents[host] = agent;
  }
  proxy = await startProxy({ controller: controller.url, data: data('nue-app-01'), listen: `${NET}.10:0`, logStream: new Writable({ write: (_c, _e, cb) => cb() }) });
});

/** The three-site fleet with verlag's ledger: 200 MB declared (a 3 s pre-copy at the sites' uplinks), a window every night. */
function fleet(): string {
  return readFileSync(join(EXAMPLES, 'three-sites.yaml'), 'utf8')
    .replace(/^defaults:\n(?:[ #].*\n)+/m, '')
    .replace('    contacts: [{ name: Jens Nord, email: jens@verlag.example }]\n', '    contacts: [{ name: Jens Nord, email: jens@verlag.example }]\n    timezone: Europe/Berlin\n    maintenanceWindows: [{ days: daily, from: "02:00", to: "05:00" }]\n')
    .concat(`
  - id: verlag-ledger
    customer: verlag
    workload:
      process:
        command: [node, ${join(FIXTURES, 'apps', 'ledger.mjs')}]
        env: { PORT: "8090", UNHEALTHY_AT: "${unhealthyAt}" }
    domains: [ledger.verlag.example]
    port: 8090
    health: { path: /healthz }
    volumes: [{ name: data, size: 200MB, changePerDay: 1GB }]
    resources: { cpu: 0.5, memory: 256MiB }
`)
    .concat(FAST_MONITORING)
    .concat(`\npolicies:\n  maxCustomerShare: 0.7\n  migrations: { live: { startTimeout: 10s }, cutover: { user: root, port: ${SSH_PORT}, verify: 3s } }\n`);
}

/** Loops still watching (a failed test leaves its loop running; it would keep the process alive). */
const watching = new Set<() => void>();

after(async () => {
  for (const end of watching) end();
  await proxy?.stop();
  for (const host of HOSTS) {
    await agents[host]?.stop();
    await ProcessDriver.open({ stateDir: join(data(host), 'state') }).stopAll();
  }
  for (const s of sshds) s.stop();
  await controller?.close();
  rmSync(dir, { recursive: true, force: true });
});

const migration = async (id: string): Promise<MoveRecord> => (await admin.move(id)).migration;
const hostOfLedger = async () => (await admin.status()).apps.find((a) => a.app === 'verlag-ledger')?.units.find((u) => u.state === 'running')?.host;
const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

/** GET through the proxy every 50 ms until stopped: when each answer came and whether it was a 200. */
function watch() {
  const seen: { at: number; ok: boolean; body: string }[] = [];
  let on = true;
  const end = () => void (on = false);
  watching.add(end);
  const loop = (async () => {
    while (on) {
      const r = await getWithHost(proxy.url, 'ledger.verlag.example').catch((err: Error) => ({ status: 0, body: err.message }));
      seen.push({ at: performance.now(), ok: r.status === 200, body: r.body });
      await sleep(50);
    }
  })();
  return {
    async stop() {
      on = false;
      watching.delete(end);
      await loop;
      // Down from the answer before the first failure to the first success after the last one.
      const first = seen.findIndex((s) => !s.ok);
      const last = seen.findLastIndex((s) => !s.ok);
      const down = first < 0 ? 0 : (seen[Math.min(last + 1, seen.length - 1)]!.at - seen[Math.max(first - 1, 0)]!.at) / 1000;
      return { seen, down, failed: seen.filter((s) => !s.ok).length };
    },
  };
}

/** Proposes a move, accepts it for the customer, and moves the controller's clock to just before its run begins. */
async function proposeAndAccept(to: string): Promise<MoveRecord> {
  const res = await admin.proposeMoves({ apps: ['verlag-ledger'], to });
  assert.deepEqual(res.problems, []);
  const m = res.migrations[0];
  assert.ok(m, `planned: ${JSON.stringify(res.plan.unscheduled)}`);
  assert.equal(m.state, 'proposed');
  assert.equal(m.move.strategy, 'cutover');
  await admin.answerMove(m.id, { decision: 'accept', by: 'Jens Nord on the phone' });
  ahead += Date.parse(m.move.preCopy?.start ?? m.move.start) - clock().getTime() - 1500;
  return m;
}

test('a stateful move: pre-copy while it writes, a controller restart, stop, final copy, checksums, start at the target; data identical, downtime within the estimate', async (t) => {
  if (!need(t, !missing, missing ?? '')) return;
  const from = await until('the ledger running', hostOfLedger, 30_000, 200);
  const target = HOSTS.find((h) => h !== from)!;
  await until('the ledger served through the proxy', async () => ((await getWithHost(proxy.url, 'ledger.verlag.example').catch(() => ({ status: 0 }))).status === 200 ? true : undefined), 30_000, 200);
  const m = await proposeAndAccept(SITE[target]!);
  assert.ok(m.move.preCopy, 'the plan has a pre-copy before the window');
  const traffic = watch();
  // An operator follows the move from the CLI, across the controller's restart.
  const env = { ...process.env, HAFEN_CONTROLLER: controller.url, HAFEN_TOKEN: readFileSync(controller.adminTokenFile!, 'utf8').trim() };
  const follow = hafenAsync(['migrate', 'status', m.id, '--follow'], { env });

  // The controller goes away while the data is copied, and comes back on the same address.
  await until('the pre-copy running', async () => ((await migration(m.id)).state === 'running' ? true : undefined), 20_000, 100);
  await controller.close();
  await sleep(1500);
  controller = await startController({ data: join(dir, 'controller'), listen: `${url.hostname}:${url.port}`, clock });
  // The copy is close; the night comes (the copy is stale by then: one more round first). The
  // restarted controller waits for the hosts' reports before it moves on, so the window may have
  // begun by the time the copy is close: then the move stops the app at once, without "ready".
  await until('the pre-copy close', async () => {
    const r = await migration(m.id);
    return r.state !== 'running' || (r.run?.phase !== 'copying' && r.run?.phase !== undefined) ? true : undefined;
  }, 30_000, 100).catch((err: Error) => assert.fail(`${err.message}${logTail()}`));
  ahead += Math.max(0, Date.parse(m.move.start) - clock().getTime() - 1000);
  let seen: MoveRecord | undefined;
  const done = await until('the move done', async () => {
    seen = await migration(m.id);
    assert.notEqual(seen.state, 'rolled-back', JSON.stringify(seen.run));
    return seen.state === 'done' ? seen : undefined;
  }, 40_000, 200).catch((err: Error) => assert.fail(`${err.message}: ${seen?.state} ${JSON.stringify(seen?.run)}${logTail()}`));
  await until('the ledger served from the target', async () => {
    const r = await getWithHost(proxy.url, 'ledger.verlag.example').catch(() => ({ status: 0, body: '' }));
    return r.status === 200 && r.body.includes(address[target]!) ? true : undefined;
  }, 20_000, 100);
  await sleep(500);
  const { down, failed, seen: answers } = await traffic.stop();

  // The source stopped for good with its data left; the target's data begins with exactly it.
  assert.equal(await until('the source replica gone', async () => ((await hostOfLedger()) === target ? target : undefined), 20_000, 200), target);
  const source = readFileSync(join(unitData(from!), 'ledger.log'));
  const copied = readFileSync(join(unitData(target), 'ledger.log'));
  assert.ok(source.length > 0 && copied.length >= source.length, `source ${source.length} bytes, target ${copied.length}`);
  assert.equal(sha(copied.subarray(0, source.length)), sha(source), "the target's ledger begins with the source's, byte for byte");
  assert.match(copied.subarray(source.length).toString('utf8').split('\n')[0] ?? '', new RegExp(`^\\d+ ${address[target]!.replace(/\./g, '\\.')} `), 'and goes on at the target');
  assert.equal(sha(readFileSync(join(unitData(target), 'blob.bin'))), sha(readFileSync(join(unitData(from!), 'blob.bin'))));

  const run = done.run!;
  const rounds = run.copies ?? [];
  assert.ok(rounds.length >= 2 && rounds.at(-1)!.round === 'final', JSON.stringify(rounds));
  assert.ok(rounds[0]!.bytes > 7_000_000, `the first round copied the blob: ${rounds[0]!.bytes} bytes`);
  assert.ok(run.downtimeSeconds !== undefined && run.downtimeSeconds <= m.move.downtimeSeconds, `recorded downtime ${run.downtimeSeconds} s, estimated ${m.move.downtimeSeconds} s`);
  // What a client saw: the proxy answers 503 while neither replica takes traffic. Margin: the 50 ms polling and the proxy's route update.
  assert.ok(failed > 0, 'a cutover has downtime, and the client saw it');
  assert.ok(down <= m.move.downtimeSeconds + 5, `seen down ${down.toFixed(1)} s, estimated ${m.move.downtimeSeconds} s`);
  assert.ok(answers.at(-1)!.ok);

  const followed = await follow;
  assert.equal(followed.status, 0, followed.stderr);
  for (const step of [/started +started: the pre-copy of verlag-ledger's data/, /pre-copy round 1: [\d.]+ MiB in/, /final copy: .* the checksums of every file match/, /is healthy at \w+ and takes the traffic: down [\d.]+ s \(estimated 61 s\)/, /done +done: revision \d+ places verlag-ledger/, /done \(Jens Nord on the phone .*\); was down [\d.]+ s$/m]) {
    assert.match(followed.stdout, step);
  }
  const kinds = (await admin.move(m.id)).events.map((e) => e.kind);
  assert.deepEqual(kinds.filter((k) => k !== 'step' && k !== 'not-sent'), ['proposed', 'answered', 'started', 'done']);
  t.diagnostic(`pre-copy ${rounds.length - 1} round(s) (${rounds.map((r) => `${r.round}: ${r.bytes} B in ${r.seconds} s`).join(', ')}); down ${run.downtimeSeconds} s recorded, ${down.toFixed(1)} s seen through the proxy (${failed} failed GETs), estimated ${m.move.downtimeSeconds} s`);
});

test('a move whose target never gets healthy rolls back: the app runs at the source again on its own data', async (t) => {
  if (!need(t, !missing, missing ?? '')) return;
  const from = (await hostOfLedger())!;
  const target = HOSTS.find((h) => h !== from && h !== 'nue-app-01') ?? HOSTS.find((h) => h !== from)!;
  // The app fails its health check at the target only.
  unhealthyAt = address[target]!;
  await admin.apply([{ name: 'three-sites.yaml', text: fleet() }], (await admin.health()).revision!, 'unhealthy at the target');
  await until('the ledger running with the new environment', async () => ((await getWithHost(proxy.url, 'ledger.verlag.example').catch(() => ({ status: 0 }))).status === 200 ? true : undefined), 30_000, 200);
  const before = readFileSync(join(unitData(from), 'ledger.log'), 'utf8').split('\n').filter(Boolean).length;
  const m = await proposeAndAccept(SITE[target]!);
  // Its switch is three hours off at the least (time for the customer to answer): once the pre-copy is ready, the night comes.
  const rolled = await until('rolled back', async () => {
    const r = await migration(m.id);
    assert.notEqual(r.state, 'done');
    if (r.run?.phase === 'ready') ahead += Math.max(0, Date.parse(m.move.start) - clock().getTime());
    return r.state === 'rolled-back' ? r : undefined;
  }, 60_000, 200).catch(async (err: Error) => assert.fail(`${err.message}: ${JSON.stringify((await migration(m.id)).run)}${logTail()}`));
  assert.match(rolled.run?.reason ?? '', /the target was not healthy within 10 s/);
  await until('served from the source again', async () => {
    const r = await getWithHost(proxy.url, 'ledger.verlag.example').catch(() => ({ status: 0, body: '' }));
    return r.status === 200 && r.body.includes(address[from]!) ? true : undefined;
  }, 20_000, 100);
  await sleep(300);
  const lines = readFileSync(join(unitData(from), 'ledger.log'), 'utf8').split('\n').filter(Boolean);
  assert.ok(lines.length > before, 'the source goes on writing');
  assert.ok(lines.every((l, i) => l.startsWith(`${i + 1} `)), 'its ledger has no gap and no line twice');
  assert.equal(await hostOfLedger(), from);
});
