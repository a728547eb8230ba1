import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Placement } from '../placement/types.js';
import { appRoles, pickPromotion, unitRole, writes, type StandbyRecord } from './roles.js';

const app = (id: string, mode: 'standby' | 'active-active') => ({ id, redundancy: { mode } }) as never;
const fleet = { apps: [app('db', 'standby'), app('web', 'active-active')] };
const place = (app: string, replica: number, site: string): Placement => ({ app, replica, host: `${site}-1`, site }) as Placement;
const placements = [place('db', 1, 'nue'), place('db', 2, 'vie'), place('db', 3, 'hel'), place('web', 1, 'nue'), place('web', 2, 'vie')];

test('without a record a standby app writes at its lowest-numbered placed replica in term 1; active-active apps have no role', () => {
  const roles = appRoles(fleet, placements, []);
  assert.deepEqual([...roles.keys()], ['db']);
  assert.deepEqual(roles.get('db'), { app: 'db', term: 1, active: 1 });
  assert.equal(writes(roles, { app: 'db', replica: 1 }), true);
  assert.equal(writes(roles, { app: 'db', replica: 2 }), false);
  assert.equal(writes(roles, { app: 'web', replica: 2 }), true, 'every replica of an active-active app writes');
  assert.deepEqual(appRoles(fleet, placements.slice(1), []).get('db')?.active, 2, 'the first placed one, whatever its number');
});

test('a record names the writer and term; a writer no longer placed gives way to the first placed one in a newer term', () => {
  const rec: StandbyRecord = { app: 'db', term: 4, active: 3, since: new Date().toISOString(), reason: 'failover', previous: { replica: 1, planned: false } };
  assert.deepEqual(appRoles(fleet, placements, [rec]).get('db'), { app: 'db', term: 4, active: 3, previous: { replica: 1, planned: false } });
  const shrunk = placements.filter((p) => !(p.app === 'db' && p.replica === 3));
  assert.deepEqual(appRoles(fleet, shrunk, [rec]).get('db'), { app: 'db', term: 5, active: 1, previous: { replica: 3, planned: false } });
  const switching: StandbyRecord = { ...rec, active: null, switching: { to: 2, startedAt: rec.since, phase: 'stopping' } };
  const role = appRoles(fleet, placements, [switching]).get('db')!;
  assert.equal(role.active, undefined, 'no writer while a switchover stops the old one');
  assert.equal(writes(new Map([['db', role]]), { app: 'db', replica: 3 }), false);
});

test('a unit learns its term and role; the predecessor of a switchover is told it handed over', () => {
  const role = { app: 'db', term: 2, active: 2, previous: { replica: 1, planned: true } };
  assert.deepEqual(unitRole(role, 2, ['data']), { term: 2, role: 'active', data: ['data'] });
  assert.deepEqual(unitRole(role, 1, ['data']), { term: 2, role: 'standby', planned: true, data: ['data'] });
  assert.deepEqual(unitRole({ ...role, previous: { replica: 1, planned: false } }, 1, []), { term: 2, role: 'standby', data: [] }, 'a failover predecessor is fenced');
  assert.equal(unitRole(undefined, 1, []), undefined);
});

test('failover promotes the freshest copy outside the lost sites on a host that reports; never one without a copy', () => {
  const c = [
    { replica: 2, site: 'vie', copiedAt: 1000 },
    { replica: 3, site: 'hel', copiedAt: 2000 },
    { replica: 4, site: 'vie' },
  ];
  assert.equal(pickPromotion(c, new Set(['nue']), () => true)?.replica, 3);
  assert.equal(pickPromotion(c, new Set(['nue', 'hel']), () => true)?.replica, 2);
  assert.equal(pickPromotion(c, new Set(['nue']), (r) => r !== 3)?.replica, 2, 'a silent host is passed over');
  assert.equal(pickPromotion(c.slice(2), new Set(['nue']), () => true), undefined, 'no copy, no promotion');
});
