import assert from 'node:assert/strict';
import { test } from 'node:test';
import { moveAuthorizedKeys, RRSYNC } from './access.js';

const grant = { migration: 'mig_1', unit: 'ledger-r1', volume: 'data', key: 'ssh-ed25519 AAAAC3Nza hafen-move:mig_1', from: '10.0.0.1' };

test("a move's key is let in read-only to its volume, from the target's address, with nothing else allowed", () => {
  const { text, refused } = moveAuthorizedKeys([{ grant, path: '/var/lib/hafen/data/ledger-r1' }]);
  assert.deepEqual(refused, []);
  assert.equal(text.split('\n')[1], `restrict,from="10.0.0.1",command="${RRSYNC} -ro /var/lib/hafen/data/ledger-r1/" ssh-ed25519 AAAAC3Nza hafen-move:mig_1:ledger-r1:data`);
});

test('grants that could break out of their line are refused or cut to the key, never written as given', () => {
  const bad = [
    { grant: { ...grant, key: 'ssh-ed25519 AAAA\ncommand="sh" ssh-ed25519 BBBB' }, path: '/d' },
    { grant: { ...grant, from: '10.0.0.1",command="sh' }, path: '/d' },
    { grant, path: '/d" ssh-ed25519 CCCC' },
    { grant, path: 'relative/path' },
    { grant, path: '/with space' },
  ];
  const { text, refused } = moveAuthorizedKeys(bad);
  assert.equal(refused.length, 4);
  // The key with a second line in it is cut to its first two words: its own line, our command.
  assert.deepEqual(text.split('\n').filter((l) => l && !l.startsWith('#')), [`restrict,from="10.0.0.1",command="${RRSYNC} -ro /d/" ssh-ed25519 AAAA hafen-move:mig_1:ledger-r1:data`]);
});
