/** `hafen site report` and `hafen site firewall` on the reference fleet: the blueprint of a site and a host's ruleset, from the files. */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { EXAMPLES, FIXTURES, hafenAsync } from '../helpers/paths.js';

const FLEET = join(EXAMPLES, 'frachtwerk');

test("site report: a site's prefixes, segments, hosts with addresses, proxies and flows, as text and JSON", async () => {
  const json = await hafenAsync(['site', 'report', FLEET, 'vie', '--format', 'json']);
  assert.equal(json.status, 0, json.stderr);
  const r = JSON.parse(json.stdout) as { site: string; country: string; prefixes: string[]; segments: { segment: string; prefix: string }[]; hosts: { host: string; address: string; segment: string }[]; proxies: string[]; flows: { from: string; to: string; fromWhere: string }[] };
  assert.deepEqual([r.site, r.country, r.prefixes], ['vie', 'AT', ['198.18.2.0/23']]);
  assert.deepEqual(r.segments.map((s) => s.segment), ['edge', 'proxy', 'apps', 'data', 'mgmt', 'backup']);
  assert.ok(r.segments.every((s) => s.prefix.startsWith('198.18.')));
  assert.ok(r.hosts.length > 20 && r.hosts.every((h) => h.address && h.host.startsWith('vie-')));
  assert.deepEqual(r.proxies, ['vie-proxy-01', 'vie-proxy-02']);
  assert.ok(r.flows.some((f) => f.from === 'mgmt' && f.to === 'apps' && f.fromWhere === 'every site'));
  const text = await hafenAsync(['site', 'report', FLEET, 'vie']);
  assert.match(text.stdout, /^site vie \(Vienna\): AT, provider-a, facility vie-a1; prefixes 198\.18\.2\.0\/23$/m);
  assert.match(text.stdout, /^ {2}vie-backup-01 +backup +backup +198\.18\.2\.\d+ +0 units, \d+ firewall rules$/m);
  assert.match(text.stdout, /^firewall \(everything else is dropped\):\n {2}internet +→ proxy +tcp 80, 443/m);
});

test('site firewall: the nft script of a host (as the golden file), its rules as text and JSON', async () => {
  const nft = await hafenAsync(['site', 'firewall', FLEET, 'nue-app-01']);
  assert.equal(nft.status, 0, nft.stderr);
  assert.equal(nft.stdout, readFileSync(join(FIXTURES, 'golden', 'nftables', 'nue-app-01.nft'), 'utf8'));
  const text = await hafenAsync(['site', 'firewall', FLEET, 'nue-app-01', '--format', 'text']);
  assert.match(text.stdout, /^nue-app-01 \(site nue, segment apps, 198\.18\.0\.2\): input dropped unless allowed below$/m);
  const json = JSON.parse((await hafenAsync(['site', 'firewall', FLEET, 'nue-backup-01', '--format', 'json'])).stdout) as { segment: string; rules: { fromLabel: string; ports?: string[] }[] };
  assert.equal(json.segment, 'backup');
  assert.ok(json.rules.some((r) => r.fromLabel === 'apps' && r.ports?.includes('22')), 'apps back up over ssh');
});

test('an unknown site, host or format is refused with what exists', async () => {
  const site = await hafenAsync(['site', 'report', FLEET, 'xyz']);
  assert.equal(site.status, 1);
  assert.match(site.stderr, /site "xyz" is not in the fleet \(sites: hel, nue, vie\)/);
  const host = await hafenAsync(['site', 'firewall', FLEET, 'nue-app-99']);
  assert.equal(host.status, 1);
  assert.match(host.stderr, /host "nue-app-99" is not in the fleet/);
  const format = await hafenAsync(['site', 'firewall', FLEET, 'nue-app-01', '--format', 'yaml']);
  assert.equal(format.status, 1);
  assert.match(format.stderr, /--format must be "nft", "text" or "json", not "yaml"/);
});
