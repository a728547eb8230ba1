import assert from 'node:assert/strict';
import { test } from 'node:test';
import { formatBytes, parseBitrate, parseBytes } from './units.js';

test('sizes need a unit and understand binary and decimal units', () => {
  assert.equal(parseBytes('512MiB'), 512 * 2 ** 20);
  assert.equal(parseBytes('2TiB'), 2 * 2 ** 40);
  assert.equal(parseBytes('1.5 GB'), 1.5e9);
  assert.equal(parseBytes('64Gi'), 64 * 2 ** 30);
  assert.equal(parseBytes('0B'), 0);
  assert.equal(parseBytes('64'), undefined);
  assert.equal(parseBytes('64 apples'), undefined);
  assert.equal(parseBytes(''), undefined);
});

test('bit rates', () => {
  assert.equal(parseBitrate('10Gbit/s'), 1e10);
  assert.equal(parseBitrate('1 Gbit'), 1e9);
  assert.equal(parseBitrate('500Mbps'), 5e8);
  assert.equal(parseBitrate('500Mbps/s'), undefined);
  assert.equal(parseBitrate('fast'), undefined);
});

test('formatBytes picks a readable binary unit', () => {
  assert.equal(formatBytes(0), '0 B');
  assert.equal(formatBytes(1536 * 2 ** 20), '1.5 GiB');
  assert.equal(formatBytes(42 * 2 ** 40), '42 TiB');
});
