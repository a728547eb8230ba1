/** `hafen site report` and `hafen site firewall` on the reference fleet: the blueprint of a site and a host's ruleset, from the files. */
import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { parseDocument, type YAMLSeq } from 'yaml';
import { validateFleet } from '../../src/core/fleet/validate.js';
import { containsAddress, parseAddress, parsePrefix } from '../../src/core/ipam/ipv4.js';
import { parseRecord } from '../../src/core/ipam/record.js';
import { EXAMPLES, FIXTURES, hafenAsync, yamlFiles } from '../helpers/paths.js';

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
  assert.match(site.stderr, /site "xyz" is not in the fleet \(sites: hel, nue, vie, wit\)/);
  const host = await hafenAsync(['site', 'firewall', FLEET, 'nue-app-99']);
  assert.equal(host.status, 1);
  assert.match(host.stderr, /host "nue-app-99" is not in the fleet/);
  const format = await hafenAsync(['site', 'firewall', FLEET, 'nue-app-01', '--format', 'yaml']);
  assert.equal(format.status, 2, 'a bad option value is a usage error');
  assert.match(format.stderr, /--format must be "nft", "text" or "json", not "yaml"/);
});

type SiteDiff = { hosts: { host: string; site: string; change: string; address?: { after: string }; units: { added: string[]; removed: string[]; changed: string[] }; firewall: { added: string[]; removed: string[] } }[]; sites: { site: string; added: number; changed: number; removed: number }[] };

/**
 * `hafen site diff BEFORE AFTER` where AFTER adds `site`: every host of the new site is added
 * with its address and ruleset and nothing placed on it; elsewhere no unit and no address
 * changes, and each firewall change is a fleet-wide set's elements line that gains exactly the
 * new site's prefix of that set. Returns the diff.
 */
async function assertOnlyTheNewSite(before: string, after: string, site: string, sitePrefix: string): Promise<SiteDiff> {
  const res = await hafenAsync(['site', 'diff', before, after, '--format', 'json']);
  assert.equal(res.status, 0, res.stderr);
  const diff = JSON.parse(res.stdout) as SiteDiff;
  const added = diff.hosts.filter((h) => h.change === 'added');
  assert.ok(added.length > 0 && added.every((h) => h.site === site), 'the new site\'s hosts are added');
  const parsed = parsePrefix(sitePrefix);
  assert.ok(parsed.ok);
  assert.ok(added.every((h) => h.address && containsAddress(parsed.prefix, parseAddress(h.address.after)!) && h.firewall.added.length > 0), `every new host addressed in ${sitePrefix}, with its ruleset`);
  assert.ok(added.every((h) => h.units.added.length === 0), 'nothing moves to the new site by itself');
  assert.ok(!diff.hosts.some((h) => h.change === 'removed'));
  const report = await hafenAsync(['site', 'report', after, site, '--format', 'json']);
  const segs = (JSON.parse(report.stdout) as { segments: { segment: string; prefix: string }[] }).segments;
  const newPrefix = new Map<string, string>([...segs.map((s): [string, string] => [`seg_${s.segment}_all`, s.prefix]), ['sites_all', sitePrefix]]);
  const wrong: string[] = [];
  for (const h of diff.hosts.filter((x) => x.site !== site)) {
    if (h.address || h.units.added.length + h.units.removed.length + h.units.changed.length) wrong.push(`${h.host}: units or address change`);
    if (h.firewall.added.length !== h.firewall.removed.length) wrong.push(`${h.host}: lines added and removed differ`);
    for (const line of h.firewall.added) {
      const m = /^set (\S+): elements = \{ (.*) \}$/.exec(line);
      if (!m || !m[1]!.endsWith('_all')) {
        wrong.push(`${h.host}: ${line}`);
        continue;
      }
      const was = h.firewall.removed.find((l) => l.startsWith(`set ${m[1]}: `));
      const gained = m[2]!.split(', ').filter((p) => !was?.includes(`${p},`) && !was?.includes(`${p} }`));
      if (JSON.stringify(gained) !== JSON.stringify([newPrefix.get(m[1]!)])) wrong.push(`${h.host}: set ${m[1]} gained ${gained.join(', ')}`);
    }
  }
  assert.deepEqual(wrong, []);
  return diff;
}

test('adding a site (Graz) to the reference fleet: its whole blueprint, and elsewhere only the fleet-wide sets gaining its prefixes', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'hafen-new-site-'));
  try {
    const after = join(dir, 'frachtwerk');
    cpSync(FLEET, after, { recursive: true });
    cpSync(join(FIXTURES, 'new-site', 'grz.yaml'), join(after, 'sites', 'grz.yaml'));
    const diff = await assertOnlyTheNewSite(FLEET, after, 'grz', '198.18.6.0/23');
    assert.deepEqual(diff.hosts.filter((h) => h.change === 'added').map((h) => h.host), ['grz-app-01', 'grz-app-02', 'grz-backup-01', 'grz-data-01', 'grz-mgmt-01', 'grz-proxy-01', 'grz-proxy-02']);
    assert.deepEqual(diff.sites.map((s) => [s.site, s.added, s.removed]), [['grz', 7, 0], ['hel', 0, 0], ['nue', 0, 0], ['vie', 0, 0], ['wit', 0, 0]]);
    const text = await hafenAsync(['site', 'diff', FLEET, after, '--site', 'nue']);
    assert.match(text.stdout, /^ {2}site nue: 0 hosts added, 0 removed, \d+ changed, \d+ unchanged$/m);
    assert.match(text.stdout, /^ {4}\+ set seg_mgmt_all: elements = \{ [^}]*198\.18\.6\.\d+\/28 \}$/m);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

/**
 * The reference fleet as it was before Vienna: Nuremberg and Helsinki, without the apps that
 * need Vienna (those backing up there, or spread over three sites); found by validating and
 * dropping the apps the problems name, file by file.
 */
function fleetBeforeVienna(dir: string): string {
  const before = join(dir, 'before-vienna');
  cpSync(FLEET, before, { recursive: true });
  rmSync(join(before, 'sites', 'vie.yaml'));
  for (let round = 0; round < 3; round++) {
    const res = validateFleet(yamlFiles(before).map((f) => ({ name: f, text: readFileSync(f, 'utf8') })));
    const errors = res.problems.filter((p) => p.severity === 'error');
    if (errors.length === 0) return before;
    const drop = new Map<string, Set<number>>();
    for (const p of errors) {
      const m = /^apps\[(\d+)\]/.exec(p.path);
      if (!m || !p.file) throw new Error(`not an app's problem: ${p.file ?? ''} ${p.path}: ${p.message}`);
      drop.set(p.file, (drop.get(p.file) ?? new Set()).add(Number(m[1])));
    }
    for (const [file, indexes] of drop) {
      const doc = parseDocument(readFileSync(file, 'utf8'));
      const apps = doc.get('apps') as YAMLSeq;
      for (const i of [...indexes].sort((a, b) => b - a)) apps.delete(i);
      writeFileSync(file, doc.toString());
    }
  }
  throw new Error('the fleet before Vienna does not validate');
}

test('adding Vienna to the reference fleet as it was before Vienna changes nothing at the other sites but the fleet-wide sets', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'hafen-vienna-'));
  try {
    const before = fleetBeforeVienna(dir);
    const after = join(dir, 'with-vienna');
    cpSync(before, after, { recursive: true });
    cpSync(join(FLEET, 'sites', 'vie.yaml'), join(after, 'sites', 'vie.yaml'));
    const diff = await assertOnlyTheNewSite(before, after, 'vie', '198.18.2.0/23');
    const vieHosts = (readFileSync(join(FLEET, 'sites', 'vie.yaml'), 'utf8').match(/^ {2}- id: vie-/gm) ?? []).length;
    assert.deepEqual(diff.sites.map((s) => [s.site, s.added, s.removed]), [['hel', 0, 0], ['nue', 0, 0], ['vie', vieHosts, 0], ['wit', 0, 0]]);
    // The addresses Vienna gets are those of the reference fleet's ipam.lock.
    const lock = parseRecord(readFileSync(join(FLEET, 'ipam.lock'), 'utf8'));
    assert.ok(lock.ok);
    for (const h of diff.hosts.filter((x) => x.change === 'added')) assert.equal(h.address!.after, lock.record.hosts[h.host]?.address, `${h.host} as in ipam.lock`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("site network: a host's interface for the provider's panel, a site's hosts in one go, JSON; unknown targets named", async () => {
  const host = await hafenAsync(['site', 'network', FLEET, 'nue-app-01']);
  assert.equal(host.status, 0, host.stderr);
  assert.equal(host.stdout, 'nue-app-01: eth0 198.18.0.2/25, gateway 198.18.0.1 (site nue, segment apps 198.18.0.0/25)\n');
  const site = await hafenAsync(['site', 'network', FLEET, 'hel', '--format', 'json']);
  const all = JSON.parse(site.stdout) as { host: string; address: string; gateway?: string }[];
  assert.ok(all.length > 20 && all.every((n) => n.host.startsWith('hel-') && /^198\.18\.\d+\.\d+\/\d+$/.test(n.address) && n.gateway));
  const unknown = await hafenAsync(['site', 'network', FLEET, 'xyz']);
  assert.equal(unknown.status, 1);
  assert.match(unknown.stderr, /"xyz" is neither a host nor a site with hosts in the fleet \(sites: hel, nue, vie, wit\)/);
  // The witness's host sits in its provider's network with the address the fleet gives it.
  const witness = await hafenAsync(['site', 'network', FLEET, 'wit']);
  assert.equal(witness.status, 1);
  assert.match(witness.stderr, /"wit" is a witness site; its hosts get no segment: configure the provider's address \(fleet hosts\[\]\.address\)/);
});

test('a witness site: its report names its prober and address, it has no proxies, and every app host lets its probes in', async () => {
  const report = await hafenAsync(['site', 'report', FLEET, 'wit']);
  assert.equal(report.status, 0, report.stderr);
  assert.match(report.stdout, /^witness site wit \(Witness \(Luxembourg\)\): LU, provider-c, facility lux-c1$/m);
  assert.match(report.stdout, /^ {2}wit-probe-01 +management +192\.0\.2\.10 /m);
  const proxies = await hafenAsync(['site', 'proxies', FLEET, 'wit']);
  assert.equal(proxies.status, 1);
  assert.match(proxies.stderr, /"wit" is a witness site: it runs no edge proxies/);
  const fw = JSON.parse((await hafenAsync(['site', 'firewall', FLEET, 'hel-app-01', '--format', 'json'])).stdout) as { sets: { name: string; elements: string[] }[]; rules: { from?: string; ports?: string[]; comment: string }[] };
  assert.deepEqual(fw.sets.find((x) => x.name === 'witnesses')?.elements, ['192.0.2.10']);
  const mgmt = fw.rules.find((r) => r.comment.startsWith('probers check'))!;
  const wit = fw.rules.find((r) => r.from === 'witnesses')!;
  assert.deepEqual(wit.ports, mgmt.ports, 'the witness reaches the same check ports as the management segments');
  const own = JSON.parse((await hafenAsync(['site', 'firewall', FLEET, 'wit-probe-01', '--format', 'json'])).stdout) as { address: string; rules: unknown[] };
  assert.equal(own.address, '192.0.2.10');
});

test("site proxies: where a site's proxies listen, the routes they serve, their systemd units", async () => {
  const text = await hafenAsync(['site', 'proxies', FLEET, 'hel']);
  assert.equal(text.status, 0, text.stderr);
  assert.match(text.stdout, /^edge proxies of site hel:\n {2}hel-proxy-01 +http 198\.18\.4\.\d+:80, https 198\.18\.4\.\d+:443$/m);
  assert.match(text.stdout, /^routes \(\d+; replicas at hel first, the others take over when they fail\):$/m);
  const units = await hafenAsync(['site', 'proxies', FLEET, 'hel', '--format', 'systemd', '--controller-url', 'https://ctl.example:7400']);
  assert.equal((units.stdout.match(/^ExecStart=\/usr\/local\/bin\/hafen proxy --controller https:\/\/ctl\.example:7400 --site hel /gm) ?? []).length, 2);
  // Units that would carry the host credential in clear are not written, unless asked for.
  const plain = await hafenAsync(['site', 'proxies', FLEET, 'hel', '--format', 'systemd', '--controller-url', 'http://10.0.0.1:7400']);
  assert.equal(plain.status, 1);
  assert.equal(plain.stdout, '');
  assert.match(plain.stderr, /^error: --controller-url: http:\/\/10\.0\.0\.1:7400 is plain HTTP to another machine.*--allow-plain-http/);
  const allowed = await hafenAsync(['site', 'proxies', FLEET, 'hel', '--format', 'systemd', '--controller-url', 'http://10.0.0.1:7400', '--allow-plain-http', '--ca', '/etc/hafen/ca.pem']);
  assert.equal(allowed.status, 0, allowed.stderr);
  assert.equal((allowed.stdout.match(/^ExecStart=\S+ proxy --controller http:\/\/10\.0\.0\.1:7400 --allow-plain-http --ca \/etc\/hafen\/ca\.pem --site hel /gm) ?? []).length, 2);
});
