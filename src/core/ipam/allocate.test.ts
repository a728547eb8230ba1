import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { allocate, type IpamHost, type IpamInput, type IpamSegment } from './allocate.js';
import { containsPrefix, formatAddress, overlaps, parsePrefix, usableRange, type Prefix } from './ipv4.js';

const prefix = (t: string): Prefix => {
  const r = parsePrefix(t);
  assert.ok(r.ok, t);
  return r.prefix;
};

/** Random fleets for IPAM: up to 4 sites with disjoint prefixes, a template, hosts with some fixed addresses. */
const ipamInput: fc.Arbitrary<IpamInput> = fc
  .record({
    siteCount: fc.integer({ min: 1, max: 4 }),
    siteLength: fc.integer({ min: 22, max: 25 }),
    twoPrefixes: fc.boolean(),
    segments: fc.uniqueArray(
      fc.record({ name: fc.constantFrom('edge', 'proxy', 'apps', 'data', 'mgmt', 'backup'), prefixLength: fc.integer({ min: 25, max: 30 }), reserved: fc.integer({ min: 0, max: 3 }) }),
      { minLength: 1, maxLength: 5, selector: (s) => s.name },
    ),
    hosts: fc.array(
      fc.record({ n: fc.integer({ min: 0, max: 500 }), site: fc.nat(), segment: fc.nat(), fixed: fc.option(fc.nat({ max: 1023 }), { freq: 6 }) }),
      { maxLength: 80 },
    ),
  })
  .map(({ siteCount, siteLength, twoPrefixes, segments, hosts }) => {
    const size = 2 ** (32 - siteLength);
    const sites = Array.from({ length: siteCount }, (_, k) => {
      const base = (10 << 24) + k * 4 * size;
      const prefixes = [{ base, length: siteLength }];
      if (twoPrefixes) prefixes.push({ base: base + 2 * size, length: siteLength });
      return { id: `s${k}`, prefixes };
    });
    const segs: IpamSegment[] = segments.map((s) => ({ ...s, role: s.name }));
    const seen = new Set<string>();
    const hs: IpamHost[] = [];
    for (const h of hosts) {
      const id = `h-${h.n}`;
      if (seen.has(id)) continue;
      seen.add(id);
      const site = sites[h.site % sites.length]!;
      const host: IpamHost = { id, site: site.id, segment: segs[h.segment % segs.length]!.name };
      if (h.fixed !== null) host.address = formatAddress(site.prefixes[0]!.base + (h.fixed % size));
      hs.push(host);
    }
    return { sites, segments: segs, hosts: hs };
  });

function checkInvariants(input: IpamInput, res: ReturnType<typeof allocate>): void {
  // Segments: inside their site's prefixes, never overlapping each other anywhere.
  for (const s of res.segments) {
    const site = input.sites.find((x) => x.id === s.site)!;
    assert.ok(site.prefixes.some((p) => containsPrefix(p, s.prefix)), `${s.site}/${s.segment} inside the site`);
  }
  for (let i = 0; i < res.segments.length; i++) {
    for (let j = i + 1; j < res.segments.length; j++) {
      assert.ok(!overlaps(res.segments[i]!.prefix, res.segments[j]!.prefix), 'segments never overlap');
    }
  }
  // Hosts: unique addresses, each usable in its own segment.
  const addrs = new Set<number>();
  for (const h of res.hosts) {
    assert.ok(!addrs.has(h.address), `address ${formatAddress(h.address)} given twice`);
    addrs.add(h.address);
    const seg = res.segments.find((s) => s.site === h.site && s.segment === h.segment)!;
    const tpl = input.segments.find((s) => s.name === h.segment)!;
    const { first, last } = usableRange(seg.prefix, tpl.reserved);
    assert.ok(h.address >= first && h.address <= last, `${h.host} usable in its segment`);
  }
  // Every host has an address or a problem that names it or its site.
  for (const h of input.hosts) {
    const given = res.hosts.some((x) => x.host === h.id);
    const explained = res.problems.some((p) => (p.subject.kind === 'host' && p.subject.id === h.id) || (p.subject.kind === 'site' && p.subject.id === h.site));
    assert.ok(given || explained, `${h.id} is addressed or explained`);
  }
  // The new record describes exactly the result.
  assert.equal(Object.keys(res.record.hosts).length, res.hosts.length);
}

test('property: no overlaps, every address usable in its segment, every host addressed or explained', () => {
  fc.assert(
    fc.property(ipamInput, (input) => {
      checkInvariants(input, allocate(input));
    }),
    { numRuns: 400 },
  );
});

test('property: deterministic without a record, whatever the order of sites and hosts', () => {
  fc.assert(
    fc.property(ipamInput, fc.integer(), (input, seed) => {
      const a = allocate(input);
      const rot = (xs: readonly unknown[]) => (xs.length ? [...xs.slice(Math.abs(seed) % xs.length), ...xs.slice(0, Math.abs(seed) % xs.length)] : []);
      const b = allocate({ ...input, sites: rot(input.sites) as IpamInput['sites'], hosts: [...input.hosts].reverse() });
      assert.deepEqual(b.record, a.record);
    }),
    { numRuns: 200 },
  );
});

test('property: with the record, inserting, removing and reordering hosts never renumbers the rest', () => {
  const changes = fc.record({
    inserted: fc.array(fc.record({ n: fc.integer({ min: 1000, max: 2000 }), at: fc.nat(), site: fc.nat(), segment: fc.nat() }), { maxLength: 20 }),
    removeEvery: fc.integer({ min: 2, max: 7 }),
    newSegment: fc.boolean(),
  });
  fc.assert(
    fc.property(ipamInput, changes, (input, ch) => {
      const before = allocate(input);
      const hosts = input.hosts.filter((_, i) => i % ch.removeEvery !== 0).reverse();
      for (const ins of ch.inserted) {
        const site = input.sites[ins.site % input.sites.length]!;
        const seg = input.segments[ins.segment % input.segments.length]!;
        if (hosts.some((h) => h.id === `new-${ins.n}`)) continue;
        hosts.splice(ins.at % (hosts.length + 1), 0, { id: `new-${ins.n}`, site: site.id, segment: seg.name });
      }
      const segments = ch.newSegment && !input.segments.some((s) => s.name === 'extra') ? [...input.segments, { name: 'extra', role: 'apps', prefixLength: 29, reserved: 1 }] : input.segments;
      const changed = { ...input, hosts, segments };
      const after = allocate(changed, before.record);
      checkInvariants(changed, after);
      for (const h of hosts) {
        const old = before.record.hosts[h.id];
        if (!old) continue;
        assert.equal(after.record.hosts[h.id]?.address, old.address, `${h.id} kept ${old.address}`);
      }
      for (const [site, segs] of Object.entries(before.record.segments)) {
        for (const [seg, p] of Object.entries(segs)) assert.equal(after.record.segments[site]?.[seg], p, `${site}/${seg} kept ${p}`);
      }
      assert.deepEqual(after.changes.changed, []);
    }),
    { numRuns: 300 },
  );
});

test('carves largest segments first and numbers hosts in natural order', () => {
  const res = allocate({
    sites: [{ id: 'nue', prefixes: [prefix('198.18.0.0/24')] }],
    segments: [
      { name: 'proxy', role: 'proxy', prefixLength: 28, reserved: 1 },
      { name: 'apps', role: 'apps', prefixLength: 25, reserved: 1 },
    ],
    hosts: [
      { id: 'app-10', site: 'nue', segment: 'apps' },
      { id: 'app-2', site: 'nue', segment: 'apps' },
      { id: 'proxy-1', site: 'nue', segment: 'proxy', address: '198.18.0.140' },
    ],
  });
  assert.deepEqual(res.problems, []);
  assert.equal(res.record.segments.nue?.apps, '198.18.0.0/25');
  assert.equal(res.record.segments.nue?.proxy, '198.18.0.128/28');
  assert.equal(res.record.hosts['app-2']?.address, '198.18.0.2');
  assert.equal(res.record.hosts['app-10']?.address, '198.18.0.3');
  assert.equal(res.hosts.find((h) => h.host === 'proxy-1')?.source, 'fixed');
});

test('reports segment plans that do not fit and exhausted segments', () => {
  const res = allocate({
    sites: [{ id: 'nue', prefixes: [prefix('198.18.0.0/26')] }],
    segments: [
      { name: 'apps', role: 'apps', prefixLength: 29, reserved: 1 },
      { name: 'big', role: 'data', prefixLength: 25, reserved: 1 },
    ],
    hosts: Array.from({ length: 7 }, (_, i) => ({ id: `h${i}`, site: 'nue', segment: 'apps' })),
  });
  assert.ok(res.problems.some((p) => p.code === 'HAFEN_IPAM_SEGMENTS_DONT_FIT' && p.subject.id === 'nue' && /big \(\/25\)/.test(p.message)));
  // A /29 keeps 1 reserved: 5 usable for 7 hosts.
  assert.equal(res.problems.filter((p) => p.code === 'HAFEN_IPAM_EXHAUSTED').length, 2);
  assert.equal(res.hosts.length, 5);
});

test('a record entry that is no longer valid is replaced and reported as changed', () => {
  const input: IpamInput = {
    sites: [{ id: 'nue', prefixes: [prefix('198.18.0.0/24')] }],
    segments: [{ name: 'apps', role: 'apps', prefixLength: 26, reserved: 1 }],
    hosts: [{ id: 'a', site: 'nue', segment: 'apps' }],
  };
  const res = allocate(input, { version: 1, segments: { nue: { apps: '198.18.0.0/26' } }, hosts: { a: { site: 'nue', segment: 'apps', address: '198.18.0.200' } } });
  assert.equal(res.record.hosts.a?.address, '198.18.0.2');
  assert.deepEqual(res.changes.changed, ['a']);
});
