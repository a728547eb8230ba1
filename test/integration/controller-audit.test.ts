/**
 * The audit history and re-joining a joined host, against a real controller on loopback: what
 * succeeded is recorded with who did it (never a secret value), what was refused is not; a
 * customer-scoped token sees its own customer's entries only; a join token for a host that has
 * joined needs an admin, and the agent it replaces is told and stops following.
 */
import assert from 'node:assert/strict';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { HafenClient } from '../../src/client/client.js';
import { startController } from '../../src/controller/main.js';
import { startAgent } from '../../src/agent/main.js';
import { ProcessDriver } from '../../src/agent/drivers/process.js';
import { HafenError } from '../../src/lib/errors.js';
import { EXAMPLES } from '../helpers/paths.js';
import { until } from '../helpers/wait.js';

const dir = mkdtempSync(join(tmpdir(), 'hafen-audit-'));
let controller: Awaited<ReturnType<typeof startController>>;
let admin: HafenClient;
let operator: HafenClient;

before(async () => {
  controller = await startController({ data: join(dir, 'controller'), listen: '127.0.0.1:0' });
  admin = new HafenClient(controller.url, readFileSync(controller.adminTokenFile!, 'utf8').trim());
  operator = new HafenClient(controller.url, (await admin.createToken('ci', 'operator')).token);
  await operator.apply([{ name: 'minimal.yaml', text: readFileSync(join(EXAMPLES, 'minimal.yaml'), 'utf8') }], null, 'the first fleet');
});

after(async () => {
  await controller.close();
  rmSync(dir, { recursive: true, force: true });
});

const CUSTOMER = 'baeckerei-huber';
const code = (err: unknown) => (err instanceof HafenError ? err.code : String(err));

test('what succeeded is recorded with who did it, never a secret value; what was refused is not', async () => {
  await operator.setSecret('shop-db-password', 'correct horse battery staple');
  await assert.rejects(operator.createToken('sneaky', 'admin'), (e) => code(e) === 'HAFEN_AUTH_FORBIDDEN');
  await admin.setUser('anna', { role: 'viewer', password: 'a long enough password' });
  const { entries } = await admin.audit({});
  assert.deepEqual(
    entries.map((e) => [e.actor, e.action, e.subject]),
    [
      ['bootstrap-admin', 'user.create', 'anna'],
      ['ci', 'secret.set', 'shop-db-password'],
      ['ci', 'apply', '1'],
      ['bootstrap-admin', 'token.create', 'ci'],
    ],
  );
  assert.deepEqual(entries[1]!.detail, { version: 1 });
  assert.equal(entries[2]!.detail?.message, 'the first fleet');
  const all = JSON.stringify(entries);
  assert.doesNotMatch(all, /correct horse|a long enough password|hfa_/, 'no secret value, password or token in the history');
  assert.deepEqual((await admin.audit({ action: 'token.' })).entries.map((e) => e.subject), ['ci']);
  assert.deepEqual((await admin.audit({ actor: 'ci', limit: 1 })).entries.map((e) => e.action), ['secret.set']);
  await assert.rejects(admin.audit({ since: 'yesterday' }), (e) => code(e) === 'HAFEN_API_BAD_REQUEST' && /since must be an ISO 8601 time/.test((e as Error).message));
});

test('a customer-scoped token sees only its own customer\'s entries', async () => {
  const customer = CUSTOMER;
  const scoped = new HafenClient(controller.url, (await admin.createToken('portal', 'viewer', customer)).token);
  const { entries } = await scoped.audit({});
  assert.ok(entries.every((e) => e.customer === customer), JSON.stringify(entries));
  assert.ok(entries.some((e) => e.action === 'token.create' && e.subject === 'portal'), 'the token made for it is its customer\'s');
  await assert.rejects(scoped.audit({ customer: 'someone-else' }), (e) => code(e) === 'HAFEN_AUTH_FORBIDDEN');
});

test('joining a joined host again needs an admin, is recorded, and the agent it replaces is told and stops', async () => {
  const agentData = join(dir, 'nue-app-01');
  // As an older version left it: open to everyone.
  mkdirSync(agentData, { mode: 0o755 });
  chmodSync(agentData, 0o755);
  const log: string[] = [];
  const first = await startAgent({ controller: controller.url, data: agentData, driver: 'process', joinToken: (await operator.joinToken('nue-app-01')).token, log: (m) => log.push(m) });
  try {
    await until('the first agent applied its state', async () => (log.some((l) => /^applied revision 1/.test(l)) ? true : undefined));
    // Its files are its own: searchable directories (PostgreSQL's and the move user's ways through), nothing to list or read.
    const mode = (p: string) => statSync(join(agentData, p)).mode & 0o777;
    assert.deepEqual([mode('.'), mode('state'), mode('state/blobs'), mode('credential.json')], [0o711, 0o711, 0o700, 0o600]);
    // An operator may join a new host, not take over a joined one (its desired state carries secret values).
    await assert.rejects(operator.joinToken('nue-app-01'), (e) => code(e) === 'HAFEN_AUTH_FORBIDDEN' && /joined at .* needs the admin role/.test((e as Error).message));
    const again = await admin.joinToken('nue-app-01');
    const second = await admin.join(again.token);
    assert.equal(second.host, 'nue-app-01');
    // The old credential is not simply unknown: it says what happened.
    const old = new HafenClient(controller.url, (JSON.parse(readFileSync(join(agentData, 'credential.json'), 'utf8')) as { credential: string }).credential);
    await assert.rejects(old.desired(undefined, 0), (e) => code(e) === 'HAFEN_AUTH_REPLACED' && /host nue-app-01 joined again at /.test((e as Error).message));
    await until('the first agent was told', async () => (log.some((l) => /joined again .* this agent stops following the controller/.test(l)) ? true : undefined), 40_000);
    const logged = log.length;
    await new Promise((r) => setTimeout(r, 1500));
    assert.equal(log.length, logged, `a stopped agent logs no more failures: ${log.slice(logged).join(' | ')}`);
    // The new credential is the host's.
    const fresh = new HafenClient(controller.url, second.credential);
    assert.equal((await fresh.desired(undefined, 0)).revision, 1);
    const { entries } = await admin.audit({ subject: 'nue-app-01' });
    assert.deepEqual(entries.map((e) => [e.actor, e.action]), [
      ['host nue-app-01', 'host.join'],
      ['bootstrap-admin', 'host.rejoin-token'],
      ['host nue-app-01', 'host.join'],
      ['ci', 'host.join-token'],
    ]);
    assert.ok(typeof entries[1]!.detail?.joinedAt === 'string');
  } finally {
    await first.agent.stop();
    await ProcessDriver.open({ stateDir: join(agentData, 'state') }).stopAll();
  }
});
