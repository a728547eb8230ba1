/**
 * Dynamic DNS updates signed with TSIG (core/render/dns.ts, controller/dns-update.ts) against a
 * real Knot DNS server on loopback, asked with dig: a name's addresses set, replaced and
 * withdrawn, with the TTL asked for; an update signed with another key is refused and changes
 * nothing; a server that is away is an error saying so, within the time limit; the secret never
 * shows in an error.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { createServer, type AddressInfo } from 'node:net';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { nsupdateScript } from '../../src/core/render/dns.js';
import { sendDnsUpdate } from '../../src/controller/dns-update.js';
import { isHafenError } from '../../src/lib/errors.js';
import { DIG, KNOTD, NSUPDATE, startKnot, type Knot } from '../helpers/knot.js';
import { loopbackNet } from '../helpers/loopback.js';
import { need } from '../helpers/system.js';

const usable = existsSync(KNOTD) && existsSync(DIG) && existsSync(NSUPDATE);
const dir = mkdtempSync(join(tmpdir(), 'hafen-dns-update-'));
let knot: Knot | undefined;

before(async () => {
  if (usable) knot = await startKnot(dir, `${loopbackNet()}.53`);
});
after(async () => {
  await knot?.stop();
  rmSync(dir, { recursive: true, force: true });
});

test('a name\'s addresses set, replaced and withdrawn by signed updates, as dig sees them', async (t) => {
  if (!need(t, usable, 'knot, dig and nsupdate are not installed')) return;
  const k = knot!;
  const server = { host: k.address, port: k.port };
  const shop = `shop.${k.zone}`;
  const send = (addresses: string[], name = shop) => sendDnsUpdate(nsupdateScript(server, k.zone, [{ name, addresses }], 30), k.key, `${k.address}:${k.port}`, { binary: NSUPDATE });
  await send(['203.0.113.10', '203.0.113.20', '2001:db8::10']);
  assert.deepEqual(k.query(shop), ['2001:db8::10', '203.0.113.10', '203.0.113.20']);
  assert.equal(k.ttl(shop), 30);
  // A site withdrawn: the set replaced whole; sent twice, nothing more changes.
  await send(['203.0.113.20']);
  await send(['203.0.113.20']);
  assert.deepEqual(k.query(shop), ['203.0.113.20']);
  // A wildcard name too; and a name withdrawn altogether.
  await send(['203.0.113.30'], `*.blog.${k.zone}`);
  assert.deepEqual(k.query(`anything.blog.${k.zone}`), ['203.0.113.30']);
  await send([]);
  assert.deepEqual(k.query(shop), []);
});

test('an update signed with another key is refused and changes nothing; the secret is in no error', async (t) => {
  if (!need(t, usable, 'knot, dig and nsupdate are not installed')) return;
  const k = knot!;
  const server = { host: k.address, port: k.port };
  const name = `api.${k.zone}`;
  await sendDnsUpdate(nsupdateScript(server, k.zone, [{ name, addresses: ['203.0.113.40'] }], 30), k.key, `${k.address}:${k.port}`, { binary: NSUPDATE });
  const wrong = { ...k.key, secret: randomBytes(32).toString('base64') };
  await assert.rejects(
    sendDnsUpdate(nsupdateScript(server, k.zone, [{ name, addresses: [] }], 30), wrong, `${k.address}:${k.port}`, { binary: NSUPDATE }),
    (e: unknown) => isHafenError(e) && e.code === 'HAFEN_DNS_REFUSED' && !e.message.includes(wrong.secret) && e.message.includes(`${k.address}:${k.port}`),
  );
  assert.deepEqual(k.query(name), ['203.0.113.40'], 'unchanged');
  await assert.rejects(sendDnsUpdate('send\n', { ...k.key, secret: 'not base64!' }, 'x', { binary: NSUPDATE }), (e: unknown) => isHafenError(e) && e.code === 'HAFEN_DNS_BAD_KEY' && !e.message.includes('not base64!'));
});

test('a server that is away or hangs: an error that says so, within the time limit', async (t) => {
  if (!need(t, usable, 'knot, dig and nsupdate are not installed')) return;
  const k = knot!;
  const net24 = k.address.slice(0, k.address.lastIndexOf('.'));
  // Refused: nothing listens at .54 of Knot's /24. Hung: .55 takes the connection and never answers.
  const silent = createServer((s) => s.on('error', () => {})).listen(0, `${net24}.55`);
  await once(silent, 'listening');
  try {
    for (const [what, server] of [
      ['refused', { host: `${net24}.54`, port: k.port }],
      ['hung', { host: `${net24}.55`, port: (silent.address() as AddressInfo).port }],
    ] as const) {
      const t0 = Date.now();
      await assert.rejects(
        sendDnsUpdate(nsupdateScript(server, k.zone, [{ name: `x.${k.zone}`, addresses: ['203.0.113.50'] }], 30), k.key, `${server.host}:${server.port}`, { binary: NSUPDATE, timeoutMs: 2000 }),
        (e: unknown) => isHafenError(e) && e.code === 'HAFEN_DNS_UNREACHABLE' && e.retryable && e.message.includes(server.host),
        what,
      );
      assert.ok(Date.now() - t0 < 8000, `${what}: gave up after ${Date.now() - t0} ms`);
    }
  } finally {
    silent.close();
  }
});
