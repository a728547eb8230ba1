import assert from 'node:assert/strict';
import { test } from 'node:test';
import { inZone, nsupdateScript } from './dns.js';

const server = { host: '198.51.100.53', port: 53 };

test('an update replaces each name\'s A and AAAA sets whole, sorted; an empty set withdraws them', () => {
  const script = nsupdateScript(server, 'example.com', [
    { name: 'shop.example.com', addresses: ['203.0.113.20', '2001:db8::10', '203.0.113.10', '203.0.113.10'] },
    { name: '*.Blog.example.com.', addresses: [] },
  ], 30);
  assert.equal(
    script,
    [
      'server 198.51.100.53 53',
      'zone example.com.',
      'update delete *.blog.example.com. A',
      'update delete *.blog.example.com. AAAA',
      'update delete shop.example.com. A',
      'update delete shop.example.com. AAAA',
      'update add shop.example.com. 30 AAAA 2001:db8::10',
      'update add shop.example.com. 30 A 203.0.113.10',
      'update add shop.example.com. 30 A 203.0.113.20',
      'send',
      '',
    ].join('\n'),
  );
});

test('names outside the zone, things that are not addresses and odd TTLs are refused before anything is sent', () => {
  assert.throws(() => nsupdateScript(server, 'example.com', [{ name: 'shop.example.org', addresses: [] }], 30), /shop\.example\.org is not in zone example\.com/);
  assert.throws(() => nsupdateScript(server, 'example.com', [{ name: 'badexample.com', addresses: [] }], 30), /not in zone/);
  assert.throws(() => nsupdateScript(server, 'example.com', [{ name: 'a.example.com', addresses: ['203.0.113.300'] }], 30), /203\.0\.113\.300 \(for a\.example\.com\) is not an IPv4 or IPv6 address/);
  assert.throws(() => nsupdateScript(server, 'example.com', [{ name: 'a.example.com', addresses: ['203.0.113.1\nupdate delete example.com. NS'] }], 30), /is not an IPv4 or IPv6 address/);
  assert.throws(() => nsupdateScript(server, 'example.com', [{ name: 'x.example.com\nupdate add evil.example.com. 30 A 192.0.2.1\nupdate delete y.example.com', addresses: [] }], 30), /the name .* is not a host name/);
  assert.throws(() => nsupdateScript(server, 'example.com\nsend', [], 30), /the zone .* is not a host name/);
  assert.throws(() => nsupdateScript({ host: '198.51.100.53 53\nzone x', port: 53 }, 'example.com', [], 30), /the DNS server/);
  for (const bad of ['203.0.113.0/24', '2001:db8::/64', 'fe80::1%eth0']) assert.throws(() => nsupdateScript(server, 'example.com', [{ name: 'a.example.com', addresses: [bad] }], 30), /is not an IPv4 or IPv6 address/, bad);
  assert.throws(() => nsupdateScript(server, 'example.com', [], 0), /TTL/);
  assert.ok(inZone('example.com', 'example.com.') && inZone('a.b.example.com.', 'EXAMPLE.com') && !inZone('example.com', 'a.example.com'));
});
