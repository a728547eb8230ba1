/**
 * The Store contract: every implementation (SQLite, PostgreSQL) must pass it.
 * Usage: storeContract('sqlite', async () => ({ store, reopen, cleanup })).
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { Placement } from '../../src/core/placement/types.js';
import type { Rollout } from '../../src/core/plan/rollout.js';
import { newRecord } from '../../src/core/move/consent.js';
import type { RevisionInput, Store } from '../../src/controller/store/store.js';
import { isHafenError } from '../../src/lib/errors.js';

export interface StoreHandle {
  store: Store;
  /** Closes and opens the same store again (persistence). */
  reopen(): Promise<Store>;
  cleanup(): Promise<void>;
}

const placements: Placement[] = [{ app: 'acme-web', replica: 1, host: 'nue-app-01', site: 'nue' }];

function revision(parent: number | null, extra: Partial<RevisionInput> = {}): RevisionInput {
  return { parent, fleet: { sites: [{ id: 'nue' }] }, placements, diff: { added: ['acme-web'] }, author: 'ops@example', createdAt: '2026-11-26T10:00:00.000Z', ...extra };
}

/** `skip`: why the store cannot run here (no database server); the tests are then skipped, saying so. */
export function storeContract(name: string, open: () => Promise<StoreHandle>, skip?: string): void {
  describe(`Store contract: ${name}`, { ...(skip ? { skip } : {}) }, () => {
    const withStore = (title: string, fn: (h: StoreHandle) => Promise<void>) =>
      test(title, async () => {
        const h = await open();
        try {
          await fn(h);
        } finally {
          await h.cleanup();
        }
      });

    withStore('an empty store has no revisions', async ({ store }) => {
      assert.equal(await store.head(), undefined);
      assert.deepEqual(await store.listRevisions(), []);
      assert.equal(await store.getRevision(1), undefined);
    });

    withStore('revisions are numbered, kept whole, and listed newest first', async ({ store }) => {
      const r1 = await store.appendRevision(revision(null, { message: 'first' }));
      assert.equal(r1.number, 1);
      const allocations = { version: 1, segments: { nue: { apps: '198.18.0.0/26' } }, hosts: { 'nue-app-01': '198.18.0.4' } };
      const r2 = await store.appendRevision(revision(1, { author: 'someone-else', diff: { moved: [] }, allocations }));
      assert.equal(r2.number, 2);
      assert.deepEqual((await store.getRevision(2))?.allocations, allocations, 'the allocation record is kept with the revision');
      assert.deepEqual(await store.getRevision(1), { number: 1, parent: null, author: 'ops@example', message: 'first', createdAt: '2026-11-26T10:00:00.000Z', fleet: { sites: [{ id: 'nue' }] }, placements, diff: { added: ['acme-web'] } });
      assert.deepEqual((await store.head())?.number, 2);
      assert.deepEqual((await store.listRevisions()).map((r) => [r.number, r.parent, r.author]), [[2, 1, 'someone-else'], [1, null, 'ops@example']]);
      assert.deepEqual((await store.listRevisions(1)).map((r) => r.number), [2]);
    });

    withStore('a revision planned against an old head is refused and nothing is stored', async ({ store }) => {
      await store.appendRevision(revision(null));
      await store.appendRevision(revision(1));
      await assert.rejects(store.appendRevision(revision(1)), (err) => isHafenError(err, 'HAFEN_STORE_REVISION_CONFLICT') && /revision 2 is now the newest/.test(err.message));
      await assert.rejects(store.appendRevision(revision(null)), (err) => isHafenError(err, 'HAFEN_STORE_REVISION_CONFLICT'));
      assert.equal((await store.head())?.number, 2);
      assert.equal((await store.listRevisions()).length, 2);
    });

    withStore('of two applies against the same head exactly one wins', async ({ store }) => {
      const results = await Promise.allSettled([store.appendRevision(revision(null, { author: 'a' })), store.appendRevision(revision(null, { author: 'b' }))]);
      assert.equal(results.filter((r) => r.status === 'fulfilled').length, 1);
      const lost = results.find((r) => r.status === 'rejected') as PromiseRejectedResult;
      assert.ok(isHafenError(lost.reason, 'HAFEN_STORE_REVISION_CONFLICT'));
      assert.equal((await store.listRevisions()).length, 1);
    });

    const rollout: Rollout = {
      id: 0, revision: 2, site: 'vie', state: 'running', stages: [['vie-app-01'], ['vie-app-02']], stage: 0, stageStartedAt: null, gateTimeoutMs: 300_000,
      hosts: [{ host: 'vie-app-01', stage: 0, from: 1, state: 'waiting' }, { host: 'vie-app-02', stage: 1, from: 1, state: 'waiting' }],
      author: 'ops', createdAt: '2026-11-27T10:00:00.000Z', updatedAt: '2026-11-27T10:00:00.000Z',
    };
    const held = (host: string, revision = 1) => ({ host, revision, since: '2026-11-27T10:00:00.000Z' });

    withStore('a revision stored with its holds and rollout; a conflict stores neither', async ({ store }) => {
      await store.appendRevision(revision(null));
      const r2 = await store.appendRevision(revision(1, { holds: [held('vie-app-01'), held('vie-app-02'), held('nue-app-01')], rollout }));
      assert.equal(r2.number, 2);
      assert.ok(r2.rolloutId! > 0);
      assert.deepEqual((await store.rollout(r2.rolloutId!))?.stages, rollout.stages);
      assert.equal((await store.rollout(r2.rolloutId!))?.id, r2.rolloutId);
      assert.deepEqual((await store.holds()).map((h) => h.host), ['nue-app-01', 'vie-app-01', 'vie-app-02']);
      await assert.rejects(store.appendRevision(revision(1, { holds: [], rollout })), (err) => isHafenError(err, 'HAFEN_STORE_REVISION_CONFLICT'));
      assert.equal((await store.holds()).length, 3, 'the refused revision released nobody');
      assert.equal((await store.rollouts(10)).length, 1);
      await store.appendRevision(revision(2, { holds: [] }));
      assert.deepEqual(await store.holds(), [], 'an apply to every host releases every hold');
    });

    withStore('project files are stored once with the revision that ships them; a refused revision stores none', async (h) => {
      const a = { digest: 'a'.repeat(64), content: Buffer.from('services: {}\n').toString('base64') };
      const b = { digest: 'b'.repeat(64), content: Buffer.from('DB_USER=gitea\n').toString('base64') };
      await h.store.appendRevision(revision(null, { blobs: [a] }));
      await h.store.appendRevision(revision(1, { blobs: [a, b] }));
      await assert.rejects(h.store.appendRevision(revision(1, { blobs: [{ digest: 'c'.repeat(64), content: 'eA==' }] })), (err) => isHafenError(err, 'HAFEN_STORE_REVISION_CONFLICT'));
      const again = await h.reopen();
      const found = await again.blobs([a.digest, b.digest, 'c'.repeat(64), a.digest]);
      assert.deepEqual([...found].sort(), [[a.digest, a.content], [b.digest, b.content]]);
      assert.deepEqual(await again.blobs([]), new Map());
    });

    withStore('a rollout step and its holds are stored together, newest rollout first', async (h) => {
      const first = await h.store.saveRollout(rollout, [held('vie-app-01'), held('vie-app-02')]);
      const step = await h.store.saveRollout({ ...first, stage: 1, stageStartedAt: '2026-11-27T10:01:00.000Z', hosts: first.hosts.map((x) => (x.stage === 0 ? { ...x, state: 'ok' } : x)) }, [held('vie-app-02')]);
      assert.equal(step.id, first.id);
      const second = await h.store.saveRollout({ ...rollout, site: 'hel' }, [held('vie-app-02')]);
      assert.ok(second.id > first.id);
      const again = await h.reopen();
      assert.deepEqual((await again.rollouts(10)).map((r) => [r.id, r.site]), [[second.id, 'hel'], [first.id, 'vie']]);
      assert.equal((await again.rollout(first.id))?.hosts[0]?.state, 'ok');
      assert.deepEqual(await again.holds(), [held('vie-app-02')]);
      assert.equal(await again.rollout(999), undefined);
    });

    withStore('site migrations: stored with their events and notifications at once, found by id and by link, open ones apart', async (h) => {
      const move = { id: 'shop:nue>hel', app: 'shop', customer: 'huber', from: 'nue', to: 'hel', replicas: [], strategy: 'cutover' as const, bytes: 0, changePerDay: 0, downtimeSeconds: 60, switchSeconds: 120, consent: 'required' as const, warnings: [], targets: [], start: '2026-12-01T21:00:00.000Z', end: '2026-12-01T21:02:00.000Z', wave: '2026-12-01', after: { group: 'site:hel', share: 0.3 } };
      const a = newRecord('mig_a', move, 3, new Date('2026-11-27T10:00:00Z'));
      const b = newRecord('mig_b', { ...move, id: 'blog:nue>hel', app: 'blog' }, 3, new Date('2026-11-27T10:00:01Z'));
      const note = { id: 'migration:mig_a/proposal@mail', receiver: 'mail', group: 'customer:huber', kind: 'migration', severity: 'info', title: 'Proposed', body: { to: ['a@huber.example'] }, createdAt: '2026-11-27T10:00:00.000Z', nextAttemptAt: '2026-11-27T10:00:00.000Z' };
      await h.store.saveMoves({ records: [{ record: a.record, tokenHash: 'hash-a' }, { record: b.record, tokenHash: 'hash-b' }], events: [a.event, b.event], outbox: [note] });
      const cancelled = { ...b.record, state: 'cancelled' as const };
      await h.store.saveMoves({ records: [{ record: cancelled }], events: [{ migration: 'mig_b', at: '2026-11-27T11:00:00.000Z', kind: 'cancelled', detail: 'cancelled by ops' }], outbox: [] });
      const again = await h.reopen();
      assert.equal((await again.move('mig_a'))?.state, 'proposed');
      assert.equal((await again.moveByToken('hash-b'))?.state, 'cancelled', 'an update keeps the link');
      assert.equal(await again.moveByToken('nope'), undefined);
      assert.deepEqual((await again.moves({ open: true, limit: 10 })).map((m) => m.id), ['mig_a']);
      assert.deepEqual((await again.moves({ limit: 10 })).map((m) => m.id), ['mig_b', 'mig_a']);
      assert.deepEqual((await again.moveEvents('mig_b')).map((e) => e.kind), ['proposed', 'cancelled']);
      assert.deepEqual((await again.dueNotifications('2026-11-27T10:00:00.000Z', 10)).map((n) => [n.id, n.body]), [[note.id, note.body]]);
    });

    withStore('a join token is redeemed once, before it expires, for a credential', async ({ store }) => {
      await store.createJoinToken({ hash: 'jt1', host: 'nue-app-01', expiresAt: '2026-11-26T11:00:00.000Z' });
      await store.createJoinToken({ hash: 'jt2', host: 'nue-app-02', expiresAt: '2026-11-26T09:00:00.000Z' });
      assert.equal(await store.redeemJoinToken('jt2', '2026-11-26T10:00:00.000Z', 'cred-x'), undefined, 'expired');
      assert.equal(await store.redeemJoinToken('nope', '2026-11-26T10:00:00.000Z', 'cred-x'), undefined, 'unknown');
      assert.equal(await store.redeemJoinToken('jt1', '2026-11-26T10:00:00.000Z', 'cred-1'), 'nue-app-01');
      assert.equal(await store.redeemJoinToken('jt1', '2026-11-26T10:00:01.000Z', 'cred-2'), undefined, 'used');
      assert.equal(await store.hostForCredential('cred-1'), 'nue-app-01');
      assert.equal(await store.hostForCredential('cred-2'), undefined);
      // Joining again replaces the credential.
      await store.createJoinToken({ hash: 'jt3', host: 'nue-app-01', expiresAt: '2026-11-26T11:00:00.000Z' });
      assert.equal(await store.redeemJoinToken('jt3', '2026-11-26T10:05:00.000Z', 'cred-3'), 'nue-app-01');
      assert.equal(await store.hostForCredential('cred-1'), undefined);
      assert.equal(await store.hostForCredential('cred-3'), 'nue-app-01');
      // … and keeps the old one, so its agent can be told it was replaced (and when).
      assert.deepEqual(await store.replacedCredential('cred-1'), { host: 'nue-app-01', replacedAt: '2026-11-26T10:05:00.000Z' });
      assert.equal(await store.replacedCredential('cred-3'), undefined);
      assert.equal(await store.hostJoinedAt('nue-app-01'), '2026-11-26T10:05:00.000Z');
      assert.equal(await store.hostJoinedAt('nue-app-02'), undefined);
    });

    withStore('the audit history keeps who did what when, newest first, and filters', async ({ store }) => {
      // Times from the clock: only their order matters.
      const base = Date.now();
      const t = (minutes: number) => new Date(base + minutes * 60_000).toISOString();
      await store.addAudit([
        { at: t(0), actor: 'ops', action: 'apply', subject: '1', detail: { message: 'first' } },
        { at: t(1), actor: 'ops', action: 'token.create', subject: 'ci', detail: { role: 'operator' } },
        { at: t(2), actor: 'consent link', action: 'move.consent', subject: 'mig_1', customer: 'huber', detail: { decision: 'accept' } },
        { at: t(3), actor: 'anna', action: 'token.revoke', subject: 'ci' },
      ]);
      const all = await store.audit({});
      assert.deepEqual(all.map((e) => e.action), ['token.revoke', 'move.consent', 'token.create', 'apply']);
      assert.ok(all[0]!.id > all[1]!.id);
      assert.deepEqual(all[3], { id: all[3]!.id, at: t(0), actor: 'ops', action: 'apply', subject: '1', detail: { message: 'first' } });
      assert.deepEqual((await store.audit({ action: 'token.' })).map((e) => e.action), ['token.revoke', 'token.create']);
      assert.deepEqual((await store.audit({ action: 'token' })).length, 0, 'an action without its dot is matched whole');
      assert.deepEqual((await store.audit({ customer: 'huber' })).map((e) => e.subject), ['mig_1']);
      assert.deepEqual((await store.audit({ actor: 'ops', since: t(0.5) })).map((e) => e.action), ['token.create']);
      assert.deepEqual((await store.audit({ until: t(1) })).map((e) => e.action), ['apply']);
      assert.deepEqual((await store.audit({ subject: 'ci', limit: 1 })).map((e) => e.action), ['token.revoke']);
    });

    withStore('API tokens are found by hash until revoked', async ({ store }) => {
      await store.createApiToken({ id: 't1', name: 'ci', role: 'operator', hash: 'h1', createdAt: '2026-11-26T10:00:00.000Z' });
      await store.createApiToken({ id: 't2', name: 'dashboard', role: 'viewer', hash: 'h2', createdAt: '2026-11-26T10:01:00.000Z' });
      assert.equal((await store.apiTokenByHash('h1'))?.role, 'operator');
      assert.equal(await store.revokeApiToken('t1', '2026-11-26T12:00:00.000Z'), true);
      assert.equal(await store.revokeApiToken('t1', '2026-11-26T12:00:01.000Z'), false);
      assert.equal(await store.apiTokenByHash('h1'), undefined);
      assert.deepEqual((await store.listApiTokens()).map((t) => [t.id, t.revokedAt]), [['t1', '2026-11-26T12:00:00.000Z'], ['t2', undefined]]);
      await assert.rejects(store.createApiToken({ id: 't3', name: 'dup', role: 'admin', hash: 'h2', createdAt: '2026-11-26T10:02:00.000Z' }));
    });

    withStore('users: written, replaced keeping their creation, listed by name; deleting one ends its sessions only', async ({ store }) => {
      await store.putUser({ name: 'mara', role: 'operator', passwordHash: 'scrypt$a', createdAt: '2026-11-26T10:00:00.000Z', updatedAt: '2026-11-26T10:00:00.000Z' });
      await store.putUser({ name: 'huber', role: 'viewer', customer: 'baeckerei-huber', passwordHash: 'scrypt$b', createdAt: '2026-11-26T10:01:00.000Z', updatedAt: '2026-11-26T10:01:00.000Z' });
      await store.putUser({ name: 'mara', role: 'admin', passwordHash: 'scrypt$c', createdAt: '2026-11-27T09:00:00.000Z', updatedAt: '2026-11-27T09:00:00.000Z' });
      assert.deepEqual(await store.getUser('mara'), { name: 'mara', role: 'admin', passwordHash: 'scrypt$c', createdAt: '2026-11-26T10:00:00.000Z', updatedAt: '2026-11-27T09:00:00.000Z' });
      assert.deepEqual((await store.listUsers()).map((u) => [u.name, u.customer]), [['huber', 'baeckerei-huber'], ['mara', undefined]]);
      // A login session of huber's, and a token an admin made under the same name (no expiry).
      await store.createApiToken({ id: 's1', name: 'user:huber', role: 'viewer', customer: 'baeckerei-huber', hash: 'hs1', createdAt: '2026-11-27T09:00:00.000Z', expiresAt: '2026-11-27T21:00:00.000Z' });
      await store.createApiToken({ id: 't1', name: 'user:huber', role: 'viewer', hash: 'ht1', createdAt: '2026-11-27T09:00:00.000Z' });
      assert.equal((await store.apiTokenByHash('hs1'))?.expiresAt, '2026-11-27T21:00:00.000Z');
      assert.equal(await store.deleteUser('huber', '2026-11-27T10:00:00.000Z'), true);
      assert.equal(await store.deleteUser('huber', '2026-11-27T10:00:01.000Z'), false);
      assert.equal(await store.getUser('huber'), undefined);
      assert.equal(await store.apiTokenByHash('hs1'), undefined, 'its session ends with it');
      assert.equal((await store.apiTokenByHash('ht1'))?.id, 't1');
    });

    withStore('uptime adds up per app and day; unit restarts count up per unit', async ({ store }) => {
      const day = (app: string, d: string, up: number, down: number) => ({ app, customer: 'acme', day: d, upSeconds: up, downSeconds: down, unknownSeconds: 0.5 });
      await store.addUptime([day('web', '2026-11-26', 3600, 60), day('api', '2026-11-26', 100, 0)]);
      await store.addUptime([day('web', '2026-11-26', 1800.25, 0), day('web', '2026-11-27', 10, 0)]);
      assert.deepEqual(await store.uptime({ from: '2026-11-26', to: '2026-11-27' }), [day('api', '2026-11-26', 100, 0), { ...day('web', '2026-11-26', 5400.25, 60), unknownSeconds: 1 }]);
      assert.deepEqual((await store.uptime({ from: '2026-11-26', to: '2026-11-28', apps: ['web'] })).map((d) => d.day), ['2026-11-26', '2026-11-27']);
      assert.equal(await store.restartUnit('web-r1', '2026-11-27T10:00:00.000Z'), 1);
      assert.equal(await store.restartUnit('web-r1', '2026-11-27T10:05:00.000Z'), 2);
      assert.equal(await store.restartUnit('api-r1', '2026-11-27T10:06:00.000Z'), 1);
      assert.deepEqual(await store.unitRestarts(), [
        { unit: 'api-r1', generation: 1, lastAt: '2026-11-27T10:06:00.000Z' },
        { unit: 'web-r1', generation: 2, lastAt: '2026-11-27T10:05:00.000Z' },
      ]);
    });

    withStore("a standby app's writer is written only over the term the writer knew: terms only go up, the first of two racing writes wins", async ({ store }) => {
      const at = new Date().toISOString();
      const first = { app: 'db', term: 2, active: 2, since: at, reason: 'failover' as const, previous: { replica: 1, planned: false } };
      assert.equal(await store.putStandbyRole(first, null), true);
      assert.equal(await store.putStandbyRole({ ...first, active: 3 }, null), false, 'a second first write loses');
      assert.equal(await store.putStandbyRole({ ...first, term: 3, active: 3 }, 1), false, 'written over a term it did not know');
      assert.equal(await store.putStandbyRole({ ...first, term: 1 }, 2), false, 'a term never goes down');
      const next = { ...first, term: 3, active: null, switching: { to: 1, startedAt: at, phase: 'stopping' as const } };
      assert.equal(await store.putStandbyRole(next, 2), true);
      assert.deepEqual(await store.standbyRoles(), [next]);
    });

    /** A host's report with `n` units (the store keeps it as it came). */
    const report = (n: number) => ({ units: Array.from({ length: n }, (_, i) => ({ name: `u${i}-r1`, app: `u${i}`, state: 'running', hash: 'h', restarts: 0 })) });
    withStore('host status is the last report per host', async ({ store }) => {
      await store.putHostStatuses([
        { host: 'vie-app-01', status: report(1), reportedAt: '2026-11-26T10:00:00.000Z' },
        { host: 'nue-app-01', status: report(2), reportedAt: '2026-11-26T10:00:00.000Z' },
      ]);
      await store.putHostStatuses([]);
      await store.putHostStatuses([{ host: 'vie-app-01', status: report(3), reportedAt: '2026-11-26T10:00:05.000Z' }]);
      assert.deepEqual(await store.hostStatuses(), [
        { host: 'nue-app-01', status: report(2), reportedAt: '2026-11-26T10:00:00.000Z' },
        { host: 'vie-app-01', status: report(3), reportedAt: '2026-11-26T10:00:05.000Z' },
      ]);
    });

    withStore('secrets keep their sealed value and a version that grows with every set and is never reused', async ({ store }) => {
      const put = (name: string, sealed: string, at: string) => store.putSecret({ name, keyId: 'k1', sealed, updatedAt: at, updatedBy: 'ops' });
      assert.deepEqual(await put('db-password', 'v1.a', '2026-11-26T10:00:00.000Z'), { name: 'db-password', version: 1, keyId: 'k1', updatedAt: '2026-11-26T10:00:00.000Z', updatedBy: 'ops' });
      assert.equal((await put('api-key', 'v1.b', '2026-11-26T10:01:00.000Z')).version, 1);
      assert.equal((await put('db-password', 'v1.c', '2026-11-26T10:02:00.000Z')).version, 2);
      assert.deepEqual(await store.getSecret('db-password'), { name: 'db-password', version: 2, keyId: 'k1', sealed: 'v1.c', updatedAt: '2026-11-26T10:02:00.000Z', updatedBy: 'ops' });
      assert.deepEqual((await store.listSecrets()).map((s) => [s.name, s.version]), [['api-key', 1], ['db-password', 2]]);
      assert.ok((await store.listSecrets()).every((s) => !('sealed' in s)), 'a listing carries no values');
      assert.equal(await store.deleteSecret('db-password', '2026-11-26T10:03:00.000Z'), true);
      assert.equal(await store.deleteSecret('db-password', '2026-11-26T10:04:00.000Z'), false);
      assert.equal(await store.deleteSecret('never-set', '2026-11-26T10:04:00.000Z'), false);
      assert.equal(await store.getSecret('db-password'), undefined);
      assert.deepEqual((await store.listSecrets()).map((s) => s.name), ['api-key']);
      assert.equal((await put('db-password', 'v1.d', '2026-11-26T10:05:00.000Z')).version, 3, 'set again after a delete: a new version');
    });

    withStore('traffic adds up per app and site in minutes, hours and days; each resolution keeps what it should', async ({ store }) => {
      const now = '2026-11-26T10:30:00.000Z';
      await store.addTraffic(
        [
          { app: 'shop', site: 'nue', minute: '2026-11-26T09:59:00.000Z', requests: 10, errors: 1 },
          { app: 'shop', site: 'vie', minute: '2026-11-26T10:05:00.000Z', requests: 5, errors: 0 },
          { app: 'blog', site: 'nue', minute: '2026-11-26T10:05:00.000Z', requests: 7, errors: 0 },
          // Three days old: too old for the minutes, kept in hours and days.
          { app: 'shop', site: 'nue', minute: '2026-11-23T10:00:00.000Z', requests: 4, errors: 0 },
          // A year old: only the days keep it.
          { app: 'shop', site: 'nue', minute: '2025-11-26T10:00:00.000Z', requests: 2, errors: 0 },
        ],
        [
          { site: 'nue', proxy: 'nue-edge-01', minute: '2026-11-26T10:05:00.000Z', peak: 300 },
          { site: 'nue', proxy: 'nue-edge-01', minute: '2026-11-26T10:06:00.000Z', peak: 250 },
        ],
        now,
      );
      await store.addTraffic([{ app: 'shop', site: 'vie', minute: '2026-11-26T10:05:00.000Z', requests: 3, errors: 2 }], [], now);
      assert.deepEqual(await store.traffic({ since: '2026-11-26T10:00:00.000Z', resolution: 'minute' }), [
        { app: 'blog', site: 'nue', at: '2026-11-26T10:05:00.000Z', requests: 7, errors: 0 },
        { app: 'shop', site: 'vie', at: '2026-11-26T10:05:00.000Z', requests: 8, errors: 2 },
      ]);
      assert.deepEqual((await store.traffic({ since: '2026-11-20T00:00:00.000Z', resolution: 'hour', apps: ['shop'] })).map((t) => [t.at, t.site, t.requests]), [
        ['2026-11-23T10:00:00.000Z', 'nue', 4],
        ['2026-11-26T09:00:00.000Z', 'nue', 10],
        ['2026-11-26T10:00:00.000Z', 'vie', 8],
      ]);
      assert.deepEqual((await store.traffic({ since: '2000-01-01T00:00:00.000Z', resolution: 'day', apps: ['shop'] })).map((t) => [t.at, t.site, t.requests]), [
        ['2025-11-26T00:00:00.000Z', 'nue', 2],
        ['2026-11-23T00:00:00.000Z', 'nue', 4],
        ['2026-11-26T00:00:00.000Z', 'nue', 10],
        ['2026-11-26T00:00:00.000Z', 'vie', 8],
      ]);
      assert.equal((await store.traffic({ since: '2000-01-01T00:00:00.000Z', resolution: 'minute' })).length, 3, 'minutes older than two days are not kept');
      assert.deepEqual((await store.connectionPeaks({ since: '2026-11-26T00:00:00.000Z', resolution: 'day' })), [{ site: 'nue', proxy: 'nue-edge-01', at: '2026-11-26T00:00:00.000Z', peak: 300 }]);
      assert.equal((await store.connectionPeaks({ since: '2026-11-26T00:00:00.000Z', resolution: 'minute' })).length, 2);
      // Two days later the minutes of today are gone; hours and days stay.
      await store.addTraffic([], [], '2026-11-28T10:31:00.000Z');
      assert.deepEqual(await store.traffic({ since: '2000-01-01T00:00:00.000Z', resolution: 'minute' }), []);
      assert.equal((await store.traffic({ since: '2026-11-26T00:00:00.000Z', resolution: 'hour' })).length, 3);
    });

    withStore('events are numbered in order and read back newest first, by time, kind and subject', async ({ store }) => {
      await store.addEvents([
        { at: '2026-11-26T10:00:00.000Z', kind: 'check', subject: 'replica:shop-r1', state: 'down', message: 'down from nue, vie', data: { downFrom: ['nue', 'vie'] } },
        { at: '2026-11-26T10:01:00.000Z', kind: 'site', subject: 'hel', state: 'lost', message: 'hel lost' },
      ]);
      await store.addEvents([{ at: '2026-11-26T10:02:00.000Z', kind: 'check', subject: 'replica:shop-r1', state: 'up', message: 'up' }]);
      const all = await store.events({});
      assert.deepEqual(all.map((e) => [e.subject, e.state]), [['replica:shop-r1', 'up'], ['hel', 'lost'], ['replica:shop-r1', 'down']]);
      assert.ok(all[0]!.id > all[1]!.id && all[1]!.id > all[2]!.id);
      assert.deepEqual(all[2]!.data, { downFrom: ['nue', 'vie'] });
      assert.equal(all[1]!.data, undefined);
      assert.deepEqual((await store.events({ kind: 'check' })).map((e) => e.state), ['up', 'down']);
      assert.deepEqual((await store.events({ since: '2026-11-26T10:01:00.000Z' })).map((e) => e.state), ['up', 'lost']);
      assert.deepEqual((await store.events({ subject: 'hel' })).map((e) => e.state), ['lost']);
      assert.equal((await store.events({ limit: 1 })).length, 1);
    });

    withStore('silences are kept, listed while active, ended early, and reminded once', async ({ store }) => {
      const s = { id: 'sil-1', matchers: { site: 'hel' }, startsAt: '2026-11-26T10:00:00.000Z', endsAt: '2026-11-26T12:00:00.000Z', comment: 'move', createdBy: 'ops', reminded: false };
      await store.putSilence(s);
      await store.putSilence({ ...s, id: 'sil-2', endsAt: '2026-11-26T11:00:00.000Z', matchers: { app: 'shop', customer: 'huber' } });
      assert.deepEqual((await store.silences()).map((x) => x.id), ['sil-2', 'sil-1']);
      assert.deepEqual((await store.silences({ activeAt: '2026-11-26T11:30:00.000Z' })).map((x) => x.id), ['sil-1']);
      assert.deepEqual((await store.silences())[0]!.matchers, { app: 'shop', customer: 'huber' });
      assert.equal(await store.endSilence('sil-1', '2026-11-26T11:45:00.000Z'), true);
      assert.equal(await store.endSilence('sil-1', '2026-11-26T11:50:00.000Z'), false, 'already ended');
      assert.deepEqual(await store.silences({ activeAt: '2026-11-26T11:46:00.000Z' }), []);
      await store.commitAlerting({ groups: [], outbox: [], reminded: ['sil-2'] });
      assert.equal((await store.silences()).find((x) => x.id === 'sil-2')!.reminded, true);
    });

    withStore('alert groups and the notification outbox are committed together; a queued notification is kept once', async ({ store }) => {
      const n = { id: 'site:hel/firing/t1@ops', receiver: 'ops', group: 'site:hel', kind: 'firing', severity: 'critical', title: '[CRITICAL] site hel', body: { text: 'x' }, createdAt: '2026-11-26T10:00:00.000Z', nextAttemptAt: '2026-11-26T10:00:00.000Z' };
      await store.commitAlerting({ groups: [{ key: 'site:hel', state: { status: 'firing' } }], outbox: [n], reminded: [] });
      await store.commitAlerting({ groups: [{ key: 'site:hel', state: { status: 'firing', again: true } }], outbox: [n], reminded: [] });
      assert.deepEqual(await store.alertGroups(), [{ key: 'site:hel', state: { status: 'firing', again: true } }]);
      const due = await store.dueNotifications('2026-11-26T10:00:01.000Z', 10);
      assert.equal(due.length, 1, 'the same notification queued twice is kept once');
      assert.deepEqual(due[0]!.body, { text: 'x' });
      assert.equal(due[0]!.status, 'pending');
      await store.updateNotification(n.id, { status: 'pending', attempts: 1, nextAttemptAt: '2026-11-26T10:00:05.000Z', lastError: 'ECONNREFUSED' });
      assert.deepEqual(await store.dueNotifications('2026-11-26T10:00:01.000Z', 10), [], 'not due before its next attempt');
      await store.updateNotification(n.id, { status: 'sent', attempts: 2, nextAttemptAt: '2026-11-26T10:00:05.000Z', sentAt: '2026-11-26T10:00:05.100Z' });
      assert.deepEqual(await store.dueNotifications('2026-11-26T11:00:00.000Z', 10), []);
      const [sent] = await store.notifications(10);
      assert.equal(sent!.status, 'sent');
      assert.equal(sent!.attempts, 2);
      assert.equal(sent!.lastError, undefined);
      await store.commitAlerting({ groups: [], outbox: [], reminded: [] });
      assert.deepEqual(await store.alertGroups(), []);
    });

    withStore('a notification is claimed once before it is sent; one left sending by a stopped controller is given up, not sent again', async ({ store }) => {
      const note = (id: string) => ({ id, receiver: 'ops', group: 'site:hel', kind: 'firing', severity: 'critical', title: id, body: {}, createdAt: '2026-11-26T10:00:00.000Z', nextAttemptAt: '2026-11-26T10:00:00.000Z' });
      await store.commitAlerting({ groups: [], outbox: [note('a@ops'), note('b@ops')], reminded: [] });
      assert.equal(await store.claimNotification('a@ops'), true);
      assert.equal(await store.claimNotification('a@ops'), false, 'a second claim fails');
      assert.equal(await store.claimNotification('nope@ops'), false);
      assert.deepEqual((await store.dueNotifications('2026-11-26T11:00:00.000Z', 10)).map((n) => n.id), ['b@ops'], 'a claimed one is not due');
      assert.equal((await store.notifications(10)).find((n) => n.id === 'a@ops')!.status, 'sending');
      assert.equal(await store.claimNotification('b@ops'), true);
      await store.updateNotification('b@ops', { status: 'sent', attempts: 1, nextAttemptAt: '2026-11-26T10:00:01.000Z', sentAt: '2026-11-26T10:00:01.000Z' });
      // The controller stops while sending a@ops; the next one gives it up.
      assert.deepEqual(await store.abandonSending('cut short'), ['a@ops']);
      assert.deepEqual(await store.abandonSending('cut short'), [], 'once');
      const byId = new Map((await store.notifications(10)).map((n) => [n.id, n]));
      assert.deepEqual([byId.get('a@ops')!.status, byId.get('a@ops')!.lastError, byId.get('b@ops')!.status], ['failed', 'cut short', 'sent']);
      assert.deepEqual(await store.dueNotifications('2026-11-27T00:00:00.000Z', 10), []);
    });

    withStore('backup runs: a batch sent twice is stored once; the newest run and success per app', async ({ store }) => {
      const run = (app: string, at: string, ok: boolean) => ({ app, unit: `${app}-r1`, repository: `/srv/restic/c/${app}`, startedAt: at, finishedAt: at, ok, ...(ok ? { snapshotId: 'abcd1234' } : { error: { kind: 'locked', message: 'locked' } }) });
      const batch = [run('shop', '2026-11-26T02:15:00.000Z', true), run('shop', '2026-11-27T02:15:00.000Z', false), run('blog', '2026-11-27T02:15:00.000Z', true)];
      await store.addBackupRuns('nue-app-01', batch);
      await store.addBackupRuns('nue-app-01', batch);
      assert.equal((await store.backupRuns({ limit: 100 })).length, 3);
      assert.deepEqual((await store.backupRuns({ app: 'shop', limit: 100 })).map((r) => [r.startedAt, r.ok, r.host]), [['2026-11-27T02:15:00.000Z', false, 'nue-app-01'], ['2026-11-26T02:15:00.000Z', true, 'nue-app-01']]);
      await store.addBackupRuns('nue-app-01', [run('shop', '2026-11-28T02:15:00.000Z', false), run('wiki', '2026-11-28T02:15:00.000Z', false)]);
      const last = await store.lastBackupRuns();
      // failingSince: the first failure after the last success (the alert's start), also with no success ever.
      assert.deepEqual(
        last.map((l) => [l.app, l.lastRun.ok, l.lastSuccess?.startedAt ?? null, l.failingSince]),
        [
          ['blog', true, '2026-11-27T02:15:00.000Z', null],
          ['shop', false, '2026-11-26T02:15:00.000Z', '2026-11-27T02:15:00.000Z'],
          ['wiki', false, null, '2026-11-28T02:15:00.000Z'],
        ],
      );
    });

    withStore('backup tasks: asked, taken up, finished once; scheduled ones added; another host cannot touch them', async ({ store }) => {
      const asked = { id: 'bt_1', app: 'shop', host: 'nue-app-01', kind: 'restore' as const, snapshot: 'latest', requestedBy: 'ops', createdAt: '2026-11-27T10:00:00.000Z', state: 'pending' as const };
      await store.addBackupTask(asked);
      assert.deepEqual((await store.backupTasks({ host: 'nue-app-01', open: true, limit: 10 })).map((t) => t.id), ['bt_1']);
      await store.reportBackupTasks('hel-app-01', [{ id: 'bt_1', app: 'shop', kind: 'restore', state: 'failed', startedAt: '2026-11-27T10:00:01.000Z' }]);
      assert.equal((await store.backupTask('bt_1'))?.state, 'pending', 'another host cannot report it');
      await store.reportBackupTasks('nue-app-01', [{ id: 'bt_1', app: 'shop', kind: 'restore', state: 'running', startedAt: '2026-11-27T10:00:01.000Z' }]);
      const result = { snapshotId: 'abcd1234', path: '/var/lib/hafen/restores/shop', files: 3, bytes: 10, seconds: 1.5 };
      await store.reportBackupTasks('nue-app-01', [{ id: 'bt_1', app: 'shop', kind: 'restore', state: 'done', startedAt: '2026-11-27T10:00:01.000Z', finishedAt: '2026-11-27T10:00:03.000Z', result }]);
      // A late "running" (sent before the "done", delivered after) does not undo it.
      await store.reportBackupTasks('nue-app-01', [{ id: 'bt_1', app: 'shop', kind: 'restore', state: 'running', startedAt: '2026-11-27T10:00:01.000Z' }]);
      assert.deepEqual(await store.backupTask('bt_1'), { ...asked, state: 'done', startedAt: '2026-11-27T10:00:01.000Z', finishedAt: '2026-11-27T10:00:03.000Z', result });
      assert.deepEqual(await store.backupTasks({ host: 'nue-app-01', open: true, limit: 10 }), []);
      // Scheduled drills: added as asked by "schedule"; the newest finished one per app.
      const drill = (app: string, at: string, state: 'done' | 'failed') => ({ id: `drill:${app}:${at}`, app, kind: 'drill' as const, state, startedAt: at, finishedAt: at });
      await store.reportBackupTasks('nue-app-01', [drill('shop', '2026-11-01T04:00:00.000Z', 'done'), drill('shop', '2026-12-01T04:00:00.000Z', 'failed'), drill('blog', '2026-12-01T04:00:00.000Z', 'done')]);
      assert.deepEqual((await store.lastBackupTasks('drill')).map((t) => [t.app, t.state, t.requestedBy, t.host]), [['blog', 'done', 'schedule', 'nue-app-01'], ['shop', 'failed', 'schedule', 'nue-app-01']]);
      assert.deepEqual((await store.backupTasks({ app: 'shop', kind: 'drill', limit: 10 })).map((t) => t.createdAt), ['2026-12-01T04:00:00.000Z', '2026-11-01T04:00:00.000Z']);
      // Pending tasks asked before a time expire (and are no longer open); running and newer ones stay.
      await store.addBackupTask({ ...asked, id: 'bt_old', createdAt: '2026-11-27T08:00:00.000Z' });
      await store.addBackupTask({ ...asked, id: 'bt_taken', createdAt: '2026-11-27T08:00:00.000Z' });
      await store.reportBackupTasks('nue-app-01', [{ id: 'bt_taken', app: 'shop', kind: 'restore', state: 'running', startedAt: '2026-11-27T08:30:00.000Z' }]);
      await store.addBackupTask({ ...asked, id: 'bt_new', createdAt: '2026-11-27T09:30:00.000Z' });
      assert.equal(await store.expireBackupTasks('2026-11-27T09:00:00.000Z'), 1);
      assert.equal((await store.backupTask('bt_old'))?.state, 'expired');
      assert.deepEqual((await store.backupTasks({ host: 'nue-app-01', open: true, limit: 10 })).map((t) => t.id), ['bt_new', 'bt_taken']);
      await store.reportBackupTasks('nue-app-01', [{ id: 'bt_old', app: 'shop', kind: 'restore', state: 'running', startedAt: '2026-11-27T09:40:00.000Z' }]);
      assert.equal((await store.backupTask('bt_old'))?.state, 'running', 'an agent that took it up before it expired says so');
    });

    withStore('everything survives closing and opening again', async (h) => {
      await h.store.appendRevision(revision(null));
      await h.store.putSecret({ name: 's', keyId: 'k1', sealed: 'v1.x', updatedAt: '2026-11-26T10:00:00.000Z', updatedBy: 'ops' });
      await h.store.createApiToken({ id: 't1', name: 'ci', role: 'admin', hash: 'h1', createdAt: '2026-11-26T10:00:00.000Z' });
      const again = await h.reopen();
      assert.equal((await again.head())?.number, 1);
      assert.equal((await again.apiTokenByHash('h1'))?.id, 't1');
      assert.equal((await again.getSecret('s'))?.sealed, 'v1.x');
      assert.equal((await again.appendRevision(revision(1))).number, 2);
    });
  });
}
