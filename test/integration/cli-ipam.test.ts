import assert from 'node:assert/strict';
import { cpSync, existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { parsePrefix, overlaps, containsAddress, parseAddress, type Prefix } from '../../src/core/ipam/ipv4.js';
import { EXAMPLES, assertNoStackTrace, hafen } from '../helpers/paths.js';

interface IpamJson {
  ok: boolean;
  sites: { site: string; prefixes: string[]; segments: { segment: string; prefix: string; usable: number; used: number; free: number }[] }[];
  hosts: { host: string; site: string; segment: string; address: string; source: string }[];
  warnings: string[];
  record: { path: string; added: string[]; removed: string[]; changed: string[]; written: boolean };
}

function copyReference(): string {
  const dir = join(mkdtempSync(join(tmpdir(), 'hafen-ipam-')), 'fleet');
  cpSync(join(EXAMPLES, 'frachtwerk'), dir, { recursive: true });
  return dir;
}

function ipam(args: string[]): IpamJson {
  const res = hafen(['ipam', ...args, '--format', 'json']);
  assert.equal(res.status, 0, res.stdout + res.stderr);
  return JSON.parse(res.stdout) as IpamJson;
}

const pfx = (t: string): Prefix => {
  const r = parsePrefix(t);
  assert.ok(r.ok);
  return r.prefix;
};

test('reference fleet: every host addressed, inside its segment, no overlap anywhere', () => {
  const out = ipam([join(EXAMPLES, 'frachtwerk'), '--frozen']);
  assert.equal(out.hosts.length, 100);
  const segs = out.sites.flatMap((s) => s.segments.map((g) => ({ site: s.site, ...g, p: pfx(g.prefix) })));
  assert.equal(segs.length, 18, '3 sites x 6 segments');
  for (let i = 0; i < segs.length; i++) for (let j = i + 1; j < segs.length; j++) assert.ok(!overlaps(segs[i]!.p, segs[j]!.p), `${segs[i]!.prefix} vs ${segs[j]!.prefix}`);
  const seen = new Set<string>();
  for (const h of out.hosts) {
    assert.ok(!seen.has(h.address), `duplicate ${h.address}`);
    seen.add(h.address);
    const seg = segs.find((s) => s.site === h.site && s.segment === h.segment)!;
    assert.ok(containsAddress(seg.p, parseAddress(h.address)!), `${h.host} ${h.address} in ${seg.prefix}`);
  }
  assert.deepEqual(out.record, { path: join(EXAMPLES, 'frachtwerk', 'ipam.lock'), added: [], removed: [], changed: [], written: false }, 'the committed record is current');
});

test('reference fleet: inserting a host in the middle of a file renumbers nothing', () => {
  const dir = copyReference();
  const before = ipam([dir]);
  const file = join(dir, 'sites', 'nue.yaml');
  const text = readFileSync(file, 'utf8');
  const anchor = '  - id: nue-app-05\n';
  assert.ok(text.includes(anchor));
  writeFileSync(file, text.replace(anchor, `  - id: nue-app-04b\n    site: nue\n    role: app\n    cpu: 8\n    memory: 16GiB\n    disk: 160GiB\n${anchor}`));
  const after = ipam([dir]);
  assert.equal(after.hosts.length, 101);
  for (const h of before.hosts) {
    assert.equal(after.hosts.find((x) => x.host === h.host)?.address, h.address, `${h.host} kept its address`);
  }
  assert.deepEqual(after.record.added, ['nue-app-04b']);
  assert.deepEqual(after.record.changed, []);
  assert.equal(after.record.written, true);
  assert.equal(after.hosts.find((h) => h.host === 'nue-app-04b')?.source, 'new');
  // And the record now holds it: a third run changes nothing.
  assert.equal(ipam([dir, '--frozen']).record.written, false);
});

test('removing a host and a whole site frees their entries and moves nothing else', () => {
  const dir = copyReference();
  const before = ipam([dir, '--frozen']);
  const file = join(dir, 'sites', 'nue.yaml');
  writeFileSync(file, readFileSync(file, 'utf8').replace(/ {2}- id: nue-app-02\n( {4}.*\n)+?(?= {2}- id:)/, ''));
  const after = ipam([dir, '--dry-run']);
  assert.deepEqual(after.record.removed, ['nue-app-02']);
  assert.equal(after.record.written, false, '--dry-run writes nothing');
  for (const h of after.hosts) assert.equal(before.hosts.find((x) => x.host === h.host)?.address, h.address);
});

test('--frozen fails when the record is missing or out of date, and writes nothing', () => {
  const dir = join(mkdtempSync(join(tmpdir(), 'hafen-ipam-')), 'min');
  cpSync(join(EXAMPLES, 'minimal.yaml'), `${dir}.yaml`);
  const res = hafen(['ipam', `${dir}.yaml`, '--frozen']);
  assert.equal(res.status, 1);
  assert.match(res.stderr, /is out of date \(4 to add, 0 to remove, 0 to change\).*\[HAFEN_IPAM_RECORD_OUTDATED\]/);
  assert.equal(existsSync(`${dir}.ipam.lock`), false);
  assert.equal(hafen(['ipam', `${dir}.yaml`]).status, 0);
  assert.equal(existsSync(`${dir}.ipam.lock`), true);
  assert.equal(hafen(['ipam', `${dir}.yaml`, '--frozen']).status, 0);
});

test('an invalid fleet or record writes no addresses and says why', () => {
  const dir = mkdtempSync(join(tmpdir(), 'hafen-ipam-'));
  cpSync(join(EXAMPLES, 'minimal.yaml'), join(dir, 'f.yaml'));
  writeFileSync(join(dir, 'f.ipam.lock'), 'version: 1\nhosts:\n  x: { site: nue }\n');
  const bad = hafen(['ipam', join(dir, 'f.yaml')]);
  assert.equal(bad.status, 1);
  assert.match(bad.stderr, /allocation record .*f\.ipam\.lock is invalid: hosts\.x\.segment/);
  assertNoStackTrace(bad.stderr);
  const broken = hafen(['ipam', 'test/fixtures/broken/addresses.yaml', '--allocations', join(dir, 'other.lock')]);
  assert.equal(broken.status, 1);
  assert.match(broken.stderr, /no addresses written/);
  assert.equal(existsSync(join(dir, 'other.lock')), false);
});

test('text report lists segments with size, used and free', () => {
  const res = hafen(['ipam', join(EXAMPLES, 'minimal.yaml'), '--dry-run', '--hosts']);
  assert.equal(res.status, 0);
  assert.match(res.stdout, /site nue {2}198\.18\.0\.0\/24/);
  assert.match(res.stdout, /apps {8}apps {8}198\.18\.0\.0\/26 +61 +2 +59 +3%/);
  assert.match(res.stdout, /198\.18\.0\.2 +nue-app-01/);
});
