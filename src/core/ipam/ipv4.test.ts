import assert from 'node:assert/strict';
import { test } from 'node:test';
import { containsPrefix, formatAddress, overlaps, parseAddress, parsePrefix, prefixEnd, usableCount } from './ipv4.js';

test('parses prefixes and names what is wrong', () => {
  const ok = parsePrefix('198.18.0.0/23');
  assert.ok(ok.ok);
  assert.equal(formatAddress(prefixEnd(ok.prefix)), '198.18.1.255');
  const bits = parsePrefix('198.18.1.0/23');
  assert.ok(!bits.ok);
  assert.equal(bits.suggestion, '198.18.0.0/23');
  assert.ok(!parsePrefix('198.18.300.0/24').ok);
  assert.ok(!parsePrefix('198.18.0.0/33').ok);
  assert.ok(!parsePrefix('198.18.0.0').ok);
  assert.ok(!parsePrefix('2001:db8::/32').ok);
});

test('addresses, overlap and containment', () => {
  assert.equal(parseAddress('10.0.0.1'), 167772161);
  assert.equal(parseAddress('10.0.0'), undefined);
  assert.equal(parseAddress('010.0.0.1'), undefined);
  const p = (t: string) => {
    const r = parsePrefix(t);
    assert.ok(r.ok);
    return r.prefix;
  };
  assert.ok(overlaps(p('10.0.0.0/23'), p('10.0.1.0/24')));
  assert.ok(!overlaps(p('10.0.0.0/24'), p('10.0.1.0/24')));
  assert.ok(containsPrefix(p('10.0.0.0/23'), p('10.0.1.128/25')));
  assert.equal(usableCount(p('10.0.0.0/26'), 1), 61);
  assert.equal(usableCount(p('10.0.0.0/30'), 5), 0);
});
