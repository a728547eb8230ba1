import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { App } from '../fleet/model.js';
import type { Placement } from '../placement/types.js';
import type { DesiredUnit } from '../render/desired.js';
import { withRole } from './overlay.js';
import { withPgStreams } from './postgres.js';
import type { AppRole } from './roles.js';

const app = (id: string, criticality: 'critical' | 'standard') => ({ id, criticality, port: 5432, workload: { postgres: { password: { secret: 's' } } }, redundancy: { mode: 'standby' } }) as unknown as App;
const placements = ['nue', 'vie', 'hel'].map((site, i) => ({ app: 'db', replica: i + 1, host: `${site}-db-01`, site })) as Placement[];
const address = (h: string) => ({ 'nue-db-01': '10.0.0.5', 'vie-db-01': '10.0.1.5', 'hel-db-01': '10.0.2.5' })[h];
const roles = new Map<string, AppRole>([['db', { app: 'db', term: 2, active: 1 }]]);

test("a PostgreSQL standby app's standbys stream from the writer's address; a critical app's writer waits for those that stream in this term", () => {
  const streaming = (p: Placement, term: number) => term === 2 && p.site !== 'hel';
  const critical = withPgStreams([app('db', 'critical')], placements, roles, address, streaming).get('db')!;
  assert.deepEqual(critical.postgres, { primary: { address: '10.0.0.5', port: 5432 }, sync: ['db-r2'] });
  const standard = withPgStreams([app('db', 'standard')], placements, roles, address, streaming).get('db')!;
  assert.deepEqual(standard.postgres, { primary: { address: '10.0.0.5', port: 5432 }, sync: [] }, 'a standard app commits alone');
  const switching = withPgStreams([app('db', 'critical')], placements, new Map([['db', { app: 'db', term: 3, active: undefined }]]), address, streaming).get('db')!;
  assert.deepEqual(switching.postgres, { sync: [] }, 'no writer: nothing to stream from, nobody to wait for');
  const files = { ...app('db', 'critical'), workload: { process: { command: ['x'] } } } as unknown as App;
  assert.equal(withPgStreams([files], placements, roles, address, streaming).get('db')!.postgres, undefined, 'file-replicated apps stream nothing');
});

test('each unit learns its part: the writer whom it waits for, a standby whom it streams from; the role, not the stream, is in the hash', () => {
  const role = withPgStreams([app('db', 'critical')], placements, roles, address, () => true).get('db')!;
  const unit = (replica: number): DesiredUnit => ({ name: `db-r${replica}`, app: 'db', customer: 'c', replica, kind: 'postgres', port: 5432, postgres: { settings: {}, synchronous: true }, hash: 'h' });
  const writer = withRole(unit(1), role, ['data']);
  assert.deepEqual(writer.postgres, { settings: {}, synchronous: true, sync: ['db-r2', 'db-r3'] });
  assert.equal(writer.hash, 'h');
  const standby = withRole(unit(2), role, ['data']);
  assert.deepEqual(standby.postgres, { settings: {}, synchronous: true, primary: { address: '10.0.0.5', port: 5432 } });
  const later = withRole(unit(2), { ...role, postgres: { primary: { address: '10.0.9.9', port: 5432 }, sync: [] } }, ['data']);
  assert.equal(later.hash, standby.hash, 'a new writer address alone restarts nothing: the driver follows it');
});
