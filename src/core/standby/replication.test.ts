import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { App } from '../fleet/model.js';
import type { Placement } from '../placement/types.js';
import type { MoveAgentReport } from '../render/move-orders.js';
import type { OrderContext } from '../move/copy-orders.js';
import { copyId, replicationOrders } from './replication.js';
import type { AppRole } from './roles.js';

const db = { id: 'db', workload: {}, volumes: [{ name: 'data' }], redundancy: { mode: 'standby', replicateEveryMs: 15_000 } } as unknown as App;
const placements: Placement[] = [
  { app: 'db', replica: 1, host: 'nue-1', site: 'nue' },
  { app: 'db', replica: 2, host: 'vie-1', site: 'vie' },
  { app: 'db', replica: 3, host: 'hel-1', site: 'hel' },
] as Placement[];
const key = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIKey';
const reports: Record<string, MoveAgentReport> = {
  'vie-1': { keys: [{ migration: 'sb-db', unit: 'db-r2', volume: 'data', key }], copies: [] },
  'hel-1': { keys: [{ migration: 'sb-other', unit: 'db-r3', volume: 'data', key }], copies: [] },
};
const ctx: OrderContext = {
  addressOf: (h) => ({ 'nue-1': '10.0.0.1', 'vie-1': '10.0.1.1', 'hel-1': '10.0.2.1' })[h],
  volumesOf: (app) => (app === 'db' ? ['data'] : []),
  projectOf: () => undefined,
  ssh: { user: 'hafen-move', port: 22 },
  reportOf: (h) => reports[h],
};
const roles = (r: Partial<AppRole>) => new Map([['db', { app: 'db', term: 3, active: 1, ...r } as AppRole]]);

test("each standby's host copies from the writer's host every interval; the writer's host lets in exactly the standbys' keys for the app, read-only to the writer's unit", () => {
  const vie = replicationOrders([db], placements, roles({}), 'vie-1', ctx);
  assert.deepEqual(vie.copies, [
    { migration: 'sb-db', unit: 'db-r2', volumes: ['data'], source: { host: 'nue-1', address: '10.0.0.1', port: 22, user: 'hafen-move' }, bindAddress: '10.0.1.1', copy: { id: 'sb-db-t3', final: false, every: 15 } },
  ]);
  assert.deepEqual(vie.access, []);
  const nue = replicationOrders([db], placements, roles({}), 'nue-1', ctx);
  assert.deepEqual(nue.copies, [], 'the writer copies from nobody');
  assert.deepEqual(nue.access, [{ migration: 'sb-db', unit: 'db-r1', volume: 'data', key, from: '10.0.1.1' }], "hel's key is for another app's copies: not let in");
  assert.equal(copyId('db', 3), 'sb-db-t3');
});

test('after a failover the copies come from the new writer; while a switchover stops the old one nothing is copied, then one final copy goes to the new one', () => {
  const moved = replicationOrders([db], placements, roles({ term: 4, active: 2 }), 'nue-1', ctx);
  assert.equal(moved.copies[0]?.source.host, 'vie-1');
  assert.equal(moved.copies[0]?.copy?.id, 'sb-db-t4');
  const stopping = roles({ term: 4, active: undefined, previous: { replica: 1, planned: true }, switching: { to: 2, startedAt: '', phase: 'stopping' } });
  assert.deepEqual(replicationOrders([db], placements, stopping, 'vie-1', ctx).copies, []);
  const copying = roles({ term: 4, active: undefined, previous: { replica: 1, planned: true }, switching: { to: 2, startedAt: '', phase: 'copying' } });
  assert.deepEqual(replicationOrders([db], placements, copying, 'vie-1', ctx).copies.map((c) => [c.source.host, c.copy]), [['nue-1', { id: 'sb-db-t4-final', final: true }]]);
  assert.deepEqual(replicationOrders([db], placements, copying, 'hel-1', ctx).copies, [], 'other standbys wait for the new writer');
  assert.equal(replicationOrders([db], placements, copying, 'nue-1', ctx).access.length, 1, 'the old writer lets the final copy in');
});

test('PostgreSQL apps get no file copies: they stream', () => {
  const pgApp = { ...db, workload: { postgres: { password: { secret: 's' } } } } as unknown as App;
  assert.deepEqual(replicationOrders([pgApp], placements, roles({}), 'vie-1', ctx), { copies: [], access: [] });
  assert.deepEqual(replicationOrders([pgApp], placements, roles({}), 'nue-1', ctx), { copies: [], access: [] });
});
