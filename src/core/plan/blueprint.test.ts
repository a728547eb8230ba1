import assert from 'node:assert/strict';
import { test } from 'node:test';
import { loadReference } from '../../../test/helpers/reference.js';
import { blueprintDiff } from './blueprint.js';

const ref = loadReference();

test('the same blueprint twice: nothing changes, every host counted unchanged', () => {
  const d = blueprintDiff(ref, ref);
  assert.deepEqual(d.hosts, []);
  assert.equal(d.sites.reduce((n, s) => n + s.unchangedHosts, 0), ref.fleet.hosts.length);
});

test('a host gone: removed with its units; a unit moved: removed on one host, added on the other', () => {
  const [p] = ref.placements.filter((x) => x.host === 'nue-app-01');
  const after = { ...ref, placements: ref.placements.map((x) => (x === p ? { ...x, host: 'nue-app-02' } : x)) };
  const d = blueprintDiff(ref, after, 'nue');
  const from = d.hosts.find((h) => h.host === 'nue-app-01')!;
  const to = d.hosts.find((h) => h.host === 'nue-app-02')!;
  assert.equal(from.units.removed.length, 1);
  assert.deepEqual(to.units.added, from.units.removed);
  assert.ok(d.hosts.every((h) => h.site === 'nue'));
  const gone = blueprintDiff(ref, { ...ref, fleet: { ...ref.fleet, hosts: ref.fleet.hosts.filter((h) => h.id !== 'hel-mgmt-01') } }, 'hel');
  assert.deepEqual(gone.hosts.filter((h) => h.change === 'removed').map((h) => h.host), ['hel-mgmt-01']);
});
