import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Placement } from '../placement/types.js';
import type { BackupJob } from '../render/backups.js';
import { writerBackupJobs, writerBackups } from './backups.js';
import type { AppRole } from './roles.js';

const job = (app: string, unit: string) => ({ app, unit, schedule: '0 2 * * *' }) as BackupJob;
const placements = [
  { app: 'db', replica: 1, host: 'nue-1', site: 'nue' },
  { app: 'db', replica: 2, host: 'vie-1', site: 'vie' },
  { app: 'web', replica: 1, host: 'nue-1', site: 'nue' },
] as Placement[];
const rendered = new Map([
  ['nue-1', { backups: [job('db', 'db-r1'), job('web', 'web-r1')] }],
  ['vie-1', {}],
]);
const roles = (active: number | undefined) => new Map<string, AppRole>([['db', { app: 'db', term: 2, active }]]);

test("a standby app's backup job runs on its writer's host, for the writer's unit; other jobs stay", () => {
  const out = writerBackups(rendered, placements, roles(2));
  assert.deepEqual(out.get('nue-1')?.backups, [job('web', 'web-r1')]);
  assert.deepEqual(out.get('vie-1')?.backups, [job('db', 'db-r2')]);
  assert.deepEqual(writerBackupJobs('vie-1', undefined, rendered, placements, roles(2)), [job('db', 'db-r2')]);
});

test('while the first replica writes (or nobody does, in a switchover) nothing moves: the same map, the same lists', () => {
  assert.equal(writerBackups(rendered, placements, roles(1)), rendered);
  assert.equal(writerBackups(rendered, placements, roles(undefined)), rendered);
  const own = rendered.get('nue-1')!.backups;
  assert.equal(writerBackupJobs('nue-1', own, rendered, placements, roles(1)), own);
  assert.equal(writerBackupJobs('nue-1', own, rendered, placements, new Map()), own);
});
