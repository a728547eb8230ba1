import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseRecord, serializeRecord, type AllocationRecord } from './record.js';

test('a record survives a round trip, written in natural order', () => {
  const rec: AllocationRecord = {
    version: 1,
    segments: { vie: { apps: '198.18.2.0/25' }, nue: { data: '198.18.0.128/27', apps: '198.18.0.0/25' } },
    hosts: {
      'nue-app-10': { site: 'nue', segment: 'apps', address: '198.18.0.11' },
      'nue-app-2': { site: 'nue', segment: 'apps', address: '198.18.0.3' },
    },
  };
  const text = serializeRecord(rec);
  assert.ok(text.indexOf('nue-app-2:') < text.indexOf('nue-app-10:'), 'hosts in natural order');
  assert.match(text, /nue-app-2: \{ site: nue, segment: apps, address: 198\.18\.0\.3 \}/);
  const back = parseRecord(text);
  assert.ok(back.ok);
  assert.deepEqual(back.record, rec);
  assert.equal(serializeRecord(back.record), text, 'serialising is deterministic');
});

test('a broken record is rejected with the path of every problem', () => {
  const res = parseRecord('version: 2\nhosts:\n  a: { site: nue, segment: apps, address: nope }\n');
  assert.ok(!res.ok);
  assert.ok(res.problems.some((p) => p.startsWith('version')));
  assert.ok(res.problems.some((p) => p.startsWith('hosts.a.address')));
  assert.ok(!parseRecord('a: [').ok);
});
