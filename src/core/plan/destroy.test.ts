import assert from 'node:assert/strict';
import { test } from 'node:test';
import { destroyOf } from './destroy.js';

const p = (app: string, replica: number, host: string) => ({ app, replica, host, site: host.split('-')[0]! });
const before = { hosts: ['nue-1', 'vie-1', 'hel-1'], placements: [p('a', 1, 'nue-1'), p('a', 2, 'vie-1'), p('b', 1, 'hel-1'), p('c', 1, 'nue-1')] };

test('what an apply takes away: hosts gone, replicas that run nowhere after it; a moved replica is not destroyed', () => {
  assert.deepEqual(destroyOf(undefined, before), { hosts: [], replicas: [], before: 0 }, 'the first apply destroys nothing');
  const moved = destroyOf(before, { hosts: before.hosts, placements: [p('a', 1, 'hel-1'), p('a', 2, 'vie-1'), p('b', 1, 'hel-1'), p('c', 1, 'nue-1')] });
  assert.deepEqual([moved.hosts, moved.replicas, moved.refusal], [[], [], undefined]);
  const one = destroyOf(before, { hosts: before.hosts, placements: before.placements.filter((x) => x.app !== 'c') });
  assert.deepEqual([one.replicas, one.refusal], [['c-r1'], undefined], 'one of four: a quarter is allowed');
  const two = destroyOf(before, { hosts: before.hosts, placements: before.placements.filter((x) => x.app === 'a') });
  assert.deepEqual(two.replicas, ['b-r1', 'c-r1']);
  assert.equal(two.refusal, 'it stops 2 of the 4 replicas running (50 %, more than 25 %)');
  const none = destroyOf(before, { hosts: [], placements: [] });
  assert.equal(none.refusal, 'it removes every host of the fleet (3)');
});
