/** What agents, proxies and probers pull, from a revision of the minimal example fleet. */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { validateFleet } from '../fleet/validate.js';
import { schedule } from '../placement/schedule.js';
import { hostStateHash } from '../render/desired.js';
import { addressesOf, render } from '../render/revision.js';
import { hostPull, probesPull, reachableAddresses, routesPull, type RevisionView } from './pull.js';

function minimalRevision(): RevisionView {
  const text = readFileSync(new URL('../../../examples/minimal.yaml', import.meta.url), 'utf8');
  const res = validateFleet([{ name: 'minimal.yaml', text }]);
  assert.ok(res.fleet, JSON.stringify(res.problems));
  const { placements } = schedule(res.fleet);
  return { revision: 3, fleet: res.fleet, placements, desired: render(res.fleet, placements, 3, new Map(), res.ipam), addresses: addressesOf(res.ipam) };
}

const rev = minimalRevision();
const [hostA, hostB] = rev.fleet.hosts.map((h) => h.id) as [string, string];

test('a host is reached at the address its agent reports, else at its IPAM address', () => {
  const reachable = reachableAddresses(rev, [{ host: hostA, status: { agent: { address: '127.0.0.9' } } }, { host: hostB, status: {} }]);
  assert.equal(reachable.get(hostA), '127.0.0.9');
  assert.equal(reachable.get(hostB), rev.addresses.get(hostB));
});

test('an agent pulls its base state unchanged when no move or order concerns it; orders change the hash', () => {
  const state = rev.desired.get(hostA)!;
  const base = { state, hash: hostStateHash(state) };
  const plain = hostPull({ rev, base, overlays: [], roles: new Map(), orders: {} });
  assert.equal(plain.state, state, 'the same object: nothing copied');
  assert.equal(plain.hash, base.hash);
  assert.equal(plain.revision, 3);
  assert.equal(plain.heldAt, undefined);
  // An empty access list is an order too: the backup host lets no one in.
  const closed = hostPull({ rev, base: { ...base, heldAt: 2 }, overlays: [], roles: new Map(), orders: { backupAccess: [] } });
  assert.deepEqual(closed.state.backupAccess, []);
  assert.notEqual(closed.hash, base.hash);
  assert.equal(closed.heldAt, 2);
  assert.equal(hostPull({ rev: undefined, base, overlays: [], roles: new Map(), orders: {} }).revision, 0, 'before the first revision');
});

test('proxies pull every app at the reachable addresses, lost sites last; nothing before the first revision', () => {
  const empty = routesPull({ rev: undefined, reports: [], lostSites: [], overlays: [], roles: new Map() });
  assert.deepEqual(empty.table.routes, []);
  const { table, hash } = routesPull({ rev, reports: [{ host: hostA, status: { agent: { address: '127.0.0.9' } } }], lostSites: ['nue'], overlays: [], roles: new Map() });
  assert.equal(table.revision, 3);
  assert.deepEqual(new Set(table.routes.map((r) => r.app)), new Set(rev.fleet.apps.filter((a) => a.domains.length > 0).map((a) => a.id)));
  const onA = table.routes.flatMap((r) => r.replicas).filter((r) => r.host === hostA);
  assert.ok(onA.length > 0 && onA.every((r) => r.address === '127.0.0.9'), JSON.stringify(onA));
  assert.deepEqual(table.avoidSites, ['nue']);
  assert.notEqual(hash, routesPull({ rev, reports: [], lostSites: [], overlays: [], roles: new Map() }).hash, 'what proxies long-poll on changes');
});

test('probers pull the checks through the proxies that report where they listen', () => {
  const none = probesPull({ rev, reports: [], proxies: new Map(), site: 'nue', roles: new Map() });
  const view = { site: 'nue', listen: '0.0.0.0:8080', revision: 3, replicas: [], reportedAt: '2026-01-01T00:00:00Z' };
  const withProxy = probesPull({ rev, reports: [{ host: hostB, status: { agent: { address: '127.0.0.7' } } }], proxies: new Map([[hostB, view]]), site: 'nue', roles: new Map() });
  assert.ok(withProxy.probes.length >= none.probes.length);
  assert.notEqual(withProxy.hash, none.hash);
  const through = withProxy.probes.filter((p) => JSON.stringify(p).includes('127.0.0.7'));
  assert.ok(through.length > 0, 'a wildcard listener is probed at its host\'s reachable address');
});
