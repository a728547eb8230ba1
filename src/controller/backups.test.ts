import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Fleet } from '../core/fleet/model.js';
import type { BackupJob } from '../core/render/backups.js';
import type { HostDesiredState } from '../core/render/desired.js';
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
  const fleet = { apps: [{ id: 'shop', customer: 'acme', criticality: 'standard', backup: { schedule: '0 2 * * *', to: 'hel', keep: { daily: 7 } } }], hosts: [], sites: [] } as unknown as Fleet;
  let keyReads = 0;
  const keys = new Map([['nue-app-01', 'ssh-ed25519 AAAAnue nue']]);
  const backups = new BackupBook(store, {
    current: async () => ({ fleet, desired, addresses: new Map() }),
    agentKeys: async () => {
      keyReads++;
      return keys;
    },
    changed: () => {},
    now: () => new Date(now.t),
  });
  return { store, backups, keys, keyReads: () => keyReads };
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
