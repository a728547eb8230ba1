/**
 * Who may read what: customer-scoped tokens see only their customer's apps, uptime, traffic and
 * moves and are refused everything else; users log in with a password for a session that ends
 * at logout, at deletion, or after 8 hours; failed logins are throttled; the fleet views
 * (capacity, risk, site) answer what the pure core computes. Against a real controller on
 * loopback, through the typed client and the CLI.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { HafenClient } from '../../src/client/client.js';
import { startController } from '../../src/controller/main.js';
import { EXAMPLES, hafenAsync } from '../helpers/paths.js';

const dir = mkdtempSync(join(tmpdir(), 'hafen-access-'));
let controller: Awaited<ReturnType<typeof startController>>;
let admin: HafenClient;
const adminFile = () => controller.adminTokenFile!;

async function code(p: Promise<unknown>): Promise<string> {
  try {
    await p;
    return 'ok';
  } catch (err) {
    return (err as { code: string }).code;
  }
}

before(async () => {
  controller = await startController({ data: join(dir, 'controller'), listen: '127.0.0.1:0' });
  admin = new HafenClient(controller.url, readFileSync(adminFile(), 'utf8').trim());
  await admin.apply([{ name: 'three-sites.yaml', text: readFileSync(join(EXAMPLES, 'three-sites.yaml'), 'utf8') }], null, 'the fleet');
});

after(async () => {
  await controller.close();
  rmSync(dir, { recursive: true, force: true });
});

test('a customer-scoped token reads its own apps, uptime, traffic and moves, and nothing else', async () => {
  const created = await admin.createToken('huber portal', 'viewer', 'huber');
  assert.equal(created.customer, 'huber');
  const huber = new HafenClient(controller.url, created.token);
  assert.deepEqual(await huber.whoami(), { name: 'huber portal', role: 'viewer', customer: 'huber' });

  const all = await admin.status();
  const own = all.apps.filter((a) => a.customer === 'huber').map((a) => a.app);
  assert.ok(own.length > 0 && own.length < all.apps.length);
  const status = await huber.status();
  assert.deepEqual(status.apps.map((a) => a.app), own);
  assert.deepEqual([status.hosts, status.proxies], [[], []], 'no hosts or proxies of the fleet');
  assert.deepEqual(status.sites.map((s) => s.site), all.sites.map((s) => s.site));

  assert.deepEqual((await huber.uptime()).customers.map((c) => c.customer).filter((c) => c !== 'huber'), []);
  assert.equal(await code(huber.uptime({ customer: 'stadtwerke' })), 'HAFEN_AUTH_FORBIDDEN');
  assert.equal(await code(huber.checks({ customer: 'stadtwerke' })), 'HAFEN_AUTH_FORBIDDEN');
  const checks = await huber.checks();
  assert.ok(checks.checks.every((c) => c.customer === 'huber'));
  // No host names: its replicas say at which site they run; its checks not on which host.
  assert.ok(status.apps.flatMap((a) => a.units).every((u) => u.host === '' && u.site !== ''), JSON.stringify(status.apps[0]?.units));
  assert.ok(checks.checks.every((c) => !('host' in c)), JSON.stringify(checks.checks[0]));
  assert.ok((await admin.status()).apps.flatMap((a) => a.units).every((u) => u.host !== ''), 'an operator sees them');
  assert.deepEqual(checks.hosts, []);
  assert.equal((await huber.trafficReport()).customer, 'huber');
  const other = all.apps.find((a) => a.customer !== 'huber')!.app;
  assert.equal(await code(huber.trafficReport({ app: other })), 'HAFEN_APP_NOT_FOUND');
  assert.equal(await code(huber.trafficReport({ app: own[0]! })), 'ok');
  assert.deepEqual((await huber.moves()).migrations, []);
  assert.equal(await code(huber.move('mig_0000000000000000')), 'HAFEN_MIGRATE_NOT_FOUND');

  // Everything else is refused, whatever a viewer could read.
  const refused = { alerts: huber.alerts(), capacity: huber.capacity(), risk: huber.risk(), site: huber.site('nue'), revisions: huber.revisions(), backups: huber.backups(), events: huber.events(), secrets: huber.secrets(), silences: huber.silences(), notifications: huber.notifications(), tokens: huber.tokens(), users: huber.users(), rollouts: huber.rollouts() };
  for (const [name, call] of Object.entries(refused)) assert.equal(await code(call), 'HAFEN_AUTH_FORBIDDEN', name);
});

test('a viewer reads the fleet but cannot act, nor see tokens or users', async () => {
  const viewer = new HafenClient(controller.url, (await admin.createToken('read-only', 'viewer')).token);
  assert.equal(await code(viewer.status()), 'ok');
  const refused = { tokens: viewer.tokens(), users: viewer.users(), createToken: viewer.createToken('x', 'viewer'), setUser: viewer.setUser('x', { role: 'admin', password: 'long enough password' }), silence: viewer.silence({ matchers: { app: 'x' }, comment: 'x', duration: '1h' }), cancel: viewer.cancelMove('mig_0000000000000000') };
  for (const [name, call] of Object.entries(refused)) assert.equal(await code(call), 'HAFEN_AUTH_FORBIDDEN', name);
});

test('scopes are checked when made: viewers only, customers the fleet knows', async () => {
  assert.equal(await code(admin.createToken('x', 'operator', 'huber')), 'HAFEN_API_BAD_REQUEST');
  assert.equal(await code(admin.createToken('x', 'viewer', 'nobody')), 'HAFEN_CUSTOMER_NOT_FOUND');
  assert.equal(await code(admin.setUser('x', { role: 'admin', customer: 'huber', password: 'long enough password' })), 'HAFEN_API_BAD_REQUEST');
});

test('users log in with a password for a session that ends at logout or deletion; the hash never leaves', async () => {
  assert.equal(await code(admin.setUser('anna', { role: 'operator', password: 'short' })), 'HAFEN_API_BAD_REQUEST');
  assert.equal(await code(admin.setUser('../etc', { role: 'operator', password: 'long enough password' })), 'HAFEN_API_BAD_REQUEST');
  const set = await admin.setUser('anna', { role: 'operator', password: 'correct horse battery' });
  assert.deepEqual(Object.keys(set).sort(), ['createdAt', 'name', 'role', 'updatedAt']);
  assert.ok(!JSON.stringify(await admin.users()).includes('scrypt'));

  const anon = new HafenClient(controller.url);
  const refusal = (p: Promise<unknown>) => p.then(() => ['accepted'], (e: Error & { code: string }) => [e.code, e.message]);
  assert.deepEqual(await refusal(anon.login('anna', 'correct horse batterY')), ['HAFEN_AUTH_INVALID', 'wrong name or password']);
  assert.deepEqual(await refusal(anon.login('bert', 'correct horse battery')), ['HAFEN_AUTH_INVALID', 'wrong name or password'], 'an unknown name reads like a wrong password');

  const session = await anon.login('anna', 'correct horse battery');
  assert.match(session.token, /^hfs_/);
  assert.ok(Date.parse(session.expiresAt) - Date.now() > 7.9 * 3_600_000);
  const anna = new HafenClient(controller.url, session.token);
  assert.equal((await anna.whoami()).role, 'operator');
  assert.equal(await code(anna.reapplyFirewall('nope')), 'HAFEN_HOST_NOT_FOUND', 'an operator may act');
  assert.equal(await code(anna.tokens()), 'HAFEN_AUTH_FORBIDDEN', 'not as admin');
  await anna.logout();
  assert.equal(await code(anna.whoami()), 'HAFEN_AUTH_INVALID');
  assert.equal(await code(admin.logout()), 'HAFEN_API_BAD_REQUEST', 'an API token is revoked, not logged out');

  const again = new HafenClient(controller.url, (await anon.login('anna', 'correct horse battery')).token);
  await admin.deleteUser('anna');
  assert.equal(await code(again.whoami()), 'HAFEN_AUTH_INVALID', "deleting a user ends its sessions");
  assert.equal(await code(admin.deleteUser('anna')), 'HAFEN_USER_NOT_FOUND');
});

test('capacity, risk and a site: the newest revision as the core computes it', async () => {
  const viewer = new HafenClient(controller.url, (await admin.createToken('v', 'viewer')).token);
  const cap = await viewer.capacity();
  const status = await viewer.status();
  assert.deepEqual(cap.sites.map((s) => s.site).sort(), status.sites.map((s) => s.site).sort());
  const placed = status.apps.reduce((n, a) => n + a.units.length, 0);
  assert.equal(cap.sites.reduce((n, s) => n + s.replicas, 0), placed);
  for (const s of cap.sites) assert.ok(s.cpu.allocated > 0 && s.cpu.allocated <= s.cpu.usable && s.cpu.usable < s.cpu.total);
  const risk = await viewer.risk();
  assert.ok(risk.limit > 0 && risk.limit < 1);
  assert.deepEqual(risk.violations, []);
  assert.ok(risk.scenarios.some((x) => x.group === 'site:nue'));
  assert.ok(risk.scenarios.every((x) => x.share <= risk.limit));
  const site = await viewer.site('nue');
  assert.equal(site.site, 'nue');
  assert.ok(site.hosts.some((h) => h.host === 'nue-app-01' && h.address !== null));
  assert.ok(site.segments.some((s) => s.prefix !== null));
  assert.equal(await code(viewer.site('atlantis')), 'HAFEN_SITE_NOT_FOUND');
  assert.equal(status.sites.find((s) => s.site === 'nue')!.facility.length > 0, true);
});

test('hafen user set reads the password from stdin; hafen whoami and token create --customer', async () => {
  const env = { ...process.env, HAFEN_TOKEN: '' };
  const cli = (args: string[], input?: string) => hafenAsync([...args, '--controller', controller.url, '--token-file', adminFile()], { env, ...(input !== undefined ? { input } : {}) });
  const set = await cli(['user', 'set', 'dora', '--role', 'viewer', '--customer', 'huber'], 'a password of some length\n');
  assert.equal(set.status, 0, set.stderr);
  assert.match(set.stderr, /user dora \(viewer, customer huber\) set/);
  assert.ok(!set.stderr.includes('a password of some length'));
  const dora = await new HafenClient(controller.url).login('dora', 'a password of some length');
  assert.equal(dora.customer, 'huber');
  const listed = JSON.parse((await cli(['user', 'list', '--format', 'json'])).stdout) as { users: { name: string }[] };
  assert.ok(listed.users.some((u) => u.name === 'dora'));
  const empty = await cli(['user', 'set', 'emil', '--role', 'viewer'], '\n');
  assert.equal(empty.status, 1);
  assert.match(empty.stderr, /password is empty/);
  const who = await cli(['whoami', '--format', 'json']);
  assert.equal(JSON.parse(who.stdout).role, 'admin');
  const scoped = await cli(['token', 'create', '--name', 'portal', '--role', 'viewer', '--customer', 'huber']);
  assert.equal(scoped.status, 0, scoped.stderr);
  assert.match(scoped.stderr, /customer huber/);
});

test('names are printable text: a token or an answer\'s name with control characters or line breaks is refused', async () => {
  for (const name of ['evil\u001b[2J', 'two\nlines', 'nul\u0000']) assert.equal(await code(admin.createToken(name, 'viewer')), 'HAFEN_API_BAD_REQUEST', JSON.stringify(name));
  assert.equal((await admin.createToken('Grüße aus Linz', 'viewer')).name, 'Grüße aus Linz');
});

// Last: it leaves this address throttled for ten minutes.
test('failed logins from one address are throttled after ten in ten minutes, however many come at once', async () => {
  await admin.setUser('carl', { role: 'viewer', password: 'correct horse battery' });
  const anon = new HafenClient(controller.url);
  // 59 wrong passwords and the right one last, all at once: attempts in flight count, so at most ten are checked.
  const tries = Array.from({ length: 60 }, (_, i) => (i === 59 ? 'correct horse battery' : `wrong password ${i}`));
  const codes = await Promise.all(tries.map((p) => code(anon.login('carl', p))));
  const count = (c: string) => codes.filter((x) => x === c).length;
  assert.ok(count('HAFEN_AUTH_INVALID') + count('ok') <= 10, `checked ${count('HAFEN_AUTH_INVALID') + count('ok')} of 60: ${JSON.stringify(codes)}`);
  assert.ok(count('HAFEN_AUTH_THROTTLED') >= 50, `${count('HAFEN_AUTH_THROTTLED')} refused`);
  assert.ok(count('HAFEN_AUTH_INVALID') >= 1, 'the first ones are checked (earlier tests here failed a few logins from this address too)');
  assert.equal(await code(anon.login('carl', 'correct horse battery')), 'HAFEN_AUTH_THROTTLED', 'even the right password waits');
  assert.equal(await code(anon.login('someone-else', 'whatever it is')), 'HAFEN_AUTH_THROTTLED', 'the address waits, whatever the name');
});
