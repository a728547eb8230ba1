import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Fleet } from '../core/fleet/model.js';
import type { BackupJob } from '../core/render/backups.js';
import type { HostDesiredState } from '../core/render/desired.js';
import { isHafenError, type ErrorCode } from '../lib/errors.js';
import { BackupBook, TASK_TTL_MS } from './backups.js';
import { SqliteStore } from './store/sqlite.js';

const job = (app: string): BackupJob =>
  ({
    app,
    customer: 'acme',
    unit: `${app}-0`,
    schedule: '0 2 * * *',
    keep: { daily: 7 },
    volumes: [],
    paths: [],
    pruneEveryMs: 7 * 86_400_000,
    check: { schedule: '0 4 * * 0', parts: 4 },
    drill: { schedule: '0 5 1 * *' },
    repository: { site: 'hel', url: 'sftp:restic@10.0.3.9:/srv/restic/acme/' + app, sftp: { user: 'restic', address: '10.0.3.9', port: 22 }, backupHost: 'hel-backup-01' },
    passwordSecret: `backup-${app}`,
    passwordVersion: 1,
  }) as BackupJob;

function book(now: { t: number }) {
  const store = new SqliteStore(':memory:');
  const desired = new Map<string, HostDesiredState>([['nue-app-01', { host: 'nue-app-01', site: 'nue', revision: 1, units: [], backups: [job('shop')] }]]);
  const fleet = { apps: [{ id: 'shop', customer: 'acme', criticality: 'standard', backup: { schedule: '0 2 * * *', to: 'hel', keep: { daily: 7 } } }], hosts: [{ id: 'nue-app-01', site: 'nue' }, { id: 'vie-app-01', site: 'vie' }, { id: 'hel-app-01', site: 'hel' }, { id: 'hel-backup-01', site: 'hel', disk: 2 * 1024 ** 4 }], sites: [] } as unknown as Fleet;
  let keyReads = 0;
  const keys = new Map([['nue-app-01', 'ssh-ed25519 AAAAnue nue']]);
  const disks = new Map<string, { repositories: { path: string; total?: number; free?: number; error?: string } }>();
  const backups = new BackupBook(store, {
    current: async () => ({ fleet, desired, addresses: new Map() }),
    reports: async () => {
      keyReads++;
      return [...keys].map(([host, sshKey]) => ({ host, status: { units: [], agent: { sshKey, ...disks.get(host) } } }));
    },
    changed: () => {},
    now: () => new Date(now.t),
  });
  return { store, backups, keys, disks, keyReads: () => keyReads };
}

test('a task not taken up within its hour is no longer asked for, and is marked expired in the store', async () => {
  const now = { t: Date.parse('2026-11-27T10:00:00.000Z') };
  const { store, backups } = book(now);
  const task = await backups.ask('shop', 'run', 'ops');
  assert.deepEqual((await backups.ordersFor('nue-app-01')).map((o) => o.id), [task.id]);
  now.t += TASK_TTL_MS + 1000;
  assert.deepEqual(await backups.ordersFor('nue-app-01'), [], 'expired while cached');
  assert.equal(backups.shown((await store.backupTask(task.id))!).state, 'expired');
  // The next read of the open tasks (after any change) writes it down.
  await backups.ask('shop', 'check', 'ops');
  assert.equal((await backups.ordersFor('nue-app-01')).length, 1);
  assert.equal((await store.backupTask(task.id))?.state, 'expired');
  assert.deepEqual((await store.backupTasks({ open: true, limit: 10 })).map((t) => t.kind), ['check']);
  await store.close();
});

test('who a backup host lets in is computed once per revision and key change, not per long-poll', async () => {
  const { store, backups, keys, keyReads } = book({ t: Date.now() });
  for (let i = 0; i < 5; i++) assert.deepEqual((await backups.accessFor('hel-backup-01'))?.map((a) => [a.host, a.apps]), [['nue-app-01', ['shop']]]);
  assert.equal(keyReads(), 1);
  assert.equal(await backups.accessFor('nue-app-01'), undefined);
  keys.set('nue-app-01', 'ssh-ed25519 AAAAnew nue');
  backups.keysChanged();
  assert.equal((await backups.accessFor('hel-backup-01'))?.[0]?.key, 'ssh-ed25519 AAAAnew nue');
  assert.equal(keyReads(), 2);
  await store.close();
});

test('a restore --to another host: that agent gets the job with the task, the backup host lets it in while the task is open', async () => {
  const { store, backups, keys } = book({ t: Date.now() });
  const code = (c: ErrorCode) => (err: unknown) => isHafenError(err, c);
  await assert.rejects(backups.ask('shop', 'restore', 'ops', { to: 'nowhere-01' }), code('HAFEN_HOST_NOT_FOUND'));
  await assert.rejects(backups.ask('shop', 'restore', 'ops', { to: 'vie-app-01' }), code('HAFEN_BACKUP_NO_KEY'), 'no key reported by that agent');
  await assert.rejects(backups.ask('shop', 'run', 'ops', { to: 'hel-app-01' }), code('HAFEN_API_BAD_REQUEST'));
  await assert.rejects(backups.ask('shop', 'restore', 'ops', { from: 'copy' }), code('HAFEN_API_BAD_REQUEST'), 'no copy');
  keys.set('vie-app-01', 'ssh-ed25519 AAAAvie vie');
  await assert.rejects(backups.ask('shop', 'restore', 'ops', { to: 'vie-app-01', into: 'app' }), code('HAFEN_API_BAD_REQUEST'));
  assert.deepEqual((await backups.accessFor('hel-backup-01'))?.map((a) => a.host), ['nue-app-01']);
  const task = await backups.ask('shop', 'restore', 'ops', { to: 'vie-app-01', snapshot: 'latest' });
  assert.equal(task.host, 'vie-app-01');
  const [order] = await backups.ordersFor('vie-app-01');
  assert.equal(order?.job?.repository.url, job('shop').repository.url);
  assert.equal((order?.job as { host?: string } | undefined)?.host, undefined, 'the job comes without its own host');
  assert.deepEqual(await backups.ordersFor('nue-app-01'), []);
  assert.deepEqual((await backups.accessFor('hel-backup-01'))?.map((a) => [a.host, a.apps]), [['nue-app-01', ['shop']], ['vie-app-01', ['shop']]]);
  // A task on the job's own host carries no job.
  await backups.ask('shop', 'restore', 'ops', { to: 'nue-app-01' });
  assert.equal((await backups.ordersFor('nue-app-01'))[0]?.job, undefined);
  await backups.report('vie-app-01', [{ id: task.id, app: 'shop', kind: 'restore', state: 'done', startedAt: new Date().toISOString(), finishedAt: new Date().toISOString() }]);
  assert.deepEqual((await backups.accessFor('hel-backup-01'))?.map((a) => a.host), ['nue-app-01'], 'let in only while the task is open');
  await store.close();
});

test("a backup host's repository disk: its level and since when it is at that level, for the backup-space alert", async () => {
  const now = { t: Date.parse('2026-11-27T10:00:00.000Z') };
  const { store, backups, keys, disks } = book(now);
  keys.set('hel-backup-01', 'ssh-ed25519 AAAAhel hel');
  disks.set('hel-backup-01', { repositories: { path: '/srv/restic', total: 1000, free: 500 } });
  const at = async () => (await backups.disks()).map((d) => [d.host, d.site, d.free, d.since]);
  assert.deepEqual(await at(), [['hel-backup-01', 'hel', 500, '2026-11-27T10:00:00.000Z']]);
  now.t += 60_000;
  disks.set('hel-backup-01', { repositories: { path: '/srv/restic', total: 1000, free: 100 } });
  assert.deepEqual(await at(), [['hel-backup-01', 'hel', 100, '2026-11-27T10:01:00.000Z']], 'over 85% from now');
  now.t += 60_000;
  disks.set('hel-backup-01', { repositories: { path: '/srv/restic', total: 1000, free: 90 } });
  assert.deepEqual(await at(), [['hel-backup-01', 'hel', 90, '2026-11-27T10:01:00.000Z']], 'still over 85%: the same since');
  await store.close();
});
