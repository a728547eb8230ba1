import assert from 'node:assert/strict';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { loadReference } from '../../../test/helpers/reference.js';
import { ROOT } from '../../../test/helpers/paths.js';
import { formatPrefix } from '../ipam/ipv4.js';
import { hostFirewall, nftRule, nftScript } from './nftables.js';

const { fleet, ipam, placements } = loadReference();
const GOLDEN = join(ROOT, 'test/fixtures/golden/nftables');

/** One host of each role at Nuremberg: their rulesets are the golden files. */
const SAMPLES = ['nue-proxy-01', 'nue-app-01', 'nue-data-01', 'nue-backup-01', 'nue-mgmt-01'];

test('golden: the rulesets of one host of each role in the reference fleet', () => {
  for (const host of SAMPLES) {
    const fw = hostFirewall(fleet, ipam, placements, host);
    assert.ok(fw, `${host} has a firewall`);
    const file = join(GOLDEN, `${host}.nft`);
    const text = nftScript(fw);
    // UPDATE_GOLDEN=1 rewrites the files after a deliberate change; review the diff before committing.
    if (process.env.UPDATE_GOLDEN === '1') writeFileSync(file, text);
    assert.ok(existsSync(file), `golden file missing: run with UPDATE_GOLDEN=1 once and review ${file}`);
    assert.equal(text, readFileSync(file, 'utf8'), host);
  }
});

test('the policy as written: a site-scoped flow comes from the own site only, a fleet-scoped one from every site', () => {
  const fw = hostFirewall(fleet, ipam, placements, 'nue-data-01')!;
  const appsToData = fw.rules.find((r) => r.source === 'template: apps → data (site)')!;
  assert.equal(appsToData.from, 'seg_apps_nue');
  assert.deepEqual(appsToData.ports, ['3306', '5432', '6379', '9200']);
  assert.deepEqual(fw.sets.find((s) => s.name === 'seg_apps_nue')?.elements, ipam.segments.filter((s) => s.site === 'nue' && s.segment === 'apps').map((s) => formatPrefix(s.prefix)));
  const mgmt = fw.rules.find((r) => r.source === 'template: mgmt → data (fleet)')!;
  assert.equal(fw.sets.find((s) => s.name === mgmt.from)?.elements.length, 3, 'the mgmt segment of each of the three sites');
});

test('proxies reach exactly the ports of the apps on the host; a host without apps takes nothing from them', () => {
  for (const h of fleet.hosts.filter((x) => x.role === 'app')) {
    const ports = [...new Set(placements.filter((p) => p.host === h.id).map((p) => fleet.apps.find((a) => a.id === p.app)!.port).filter((p) => p !== undefined))].map(String).sort((a, b) => Number(a) - Number(b));
    const fw = hostFirewall(fleet, ipam, placements, h.id)!;
    const fromProxies = fw.rules.find((r) => r.fromLabel === 'proxy');
    if (ports.length === 0) assert.equal(fromProxies, undefined, h.id);
    else assert.deepEqual(fromProxies?.ports, ports, h.id);
  }
  const empty = hostFirewall(fleet, ipam, [], 'nue-app-01')!;
  assert.ok(!empty.rules.some((r) => r.fromLabel === 'proxy'), 'no apps, no proxy rule');
  // Into a segment apps do not run in (edge → proxy), the flow stays as written.
  const edgeToProxy = { ...fleet, siteTemplate: { ...fleet.siteTemplate, firewall: [...fleet.siteTemplate.firewall, { from: 'edge', to: 'proxy', protocol: 'tcp' as const, ports: [443], scope: 'site' as const }] } };
  assert.deepEqual(hostFirewall(edgeToProxy, ipam, placements, 'nue-proxy-01')!.rules.find((r) => r.fromLabel === 'edge')?.ports, ['443']);
});

test('rules as nft statements; comments cannot break out of their quotes', () => {
  assert.equal(nftRule({ source: 's', from: 'seg_mgmt_all', fromLabel: 'mgmt', protocol: 'tcp', ports: ['22', '9100'], comment: 'Admin "and" metrics' }), `ip saddr @seg_mgmt_all tcp dport { 22, 9100 } accept comment "Admin 'and' metrics"`);
  assert.equal(nftRule({ source: 's', fromLabel: 'internet', protocol: 'icmp', comment: 'ping' }), 'ip protocol icmp accept comment "ping"');
  assert.equal(nftRule({ source: 's', fromLabel: 'internet', protocol: 'udp', comment: 'all udp' }), 'meta l4proto udp accept comment "all udp"');
  assert.equal(nftRule({ source: 's', fromLabel: 'internet', protocol: 'tcp', ports: ['443'], comment: 'x'.repeat(300) }).length, 'tcp dport 443 accept comment ""'.length + 128);
});

test('every host of the reference fleet gets a firewall; the script only ever touches table inet hafen', () => {
  for (const h of fleet.hosts) {
    const fw = hostFirewall(fleet, ipam, placements, h.id);
    assert.ok(fw, h.id);
    const script = nftScript(fw);
    assert.ok(!/flush ruleset/.test(script));
    for (const line of script.split('\n').filter((l) => /^(table|delete|flush|add)\b/.test(l))) assert.match(line, /^(table|delete table) inet hafen( \{)?$/, line);
  }
});

test('restricted egress: the flows from the host\'s segment, management anywhere in the fleet, the allow list; open egress has no output chain', () => {
  const restricted = { ...fleet, siteTemplate: { ...fleet.siteTemplate, egress: { policy: 'restricted' as const, allow: [{ to: '192.0.2.10/32', protocol: 'tcp' as const, ports: [7400], description: 'the controller' }] } } };
  const app = hostFirewall(restricted, ipam, placements, 'nue-app-01')!;
  assert.deepEqual(app.egress?.map((r) => [r.toLabel, r.to ?? r.toAddress, r.ports?.join(',')]), [
    ['data', 'seg_data_nue', '3306,5432,6379,9200'],
    ['backup', 'seg_backup_all', '22'],
    ['192.0.2.10/32', '192.0.2.10/32', '7400'],
  ]);
  const script = nftScript(app);
  assert.match(script, /chain output \{\n\t\ttype filter hook output priority filter; policy drop;/);
  assert.match(script, /\t\tip daddr 192\.0\.2\.10\/32 tcp dport 7400 accept comment "the controller"\n/);
  const mgmt = hostFirewall(restricted, ipam, placements, 'nue-mgmt-01')!;
  assert.ok(mgmt.egress?.some((r) => r.to === 'sites_all' && r.ports === undefined), 'management reaches every host');
  assert.equal(hostFirewall(fleet, ipam, placements, 'nue-app-01')!.egress, undefined);
  assert.doesNotMatch(nftScript(hostFirewall(fleet, ipam, placements, 'nue-app-01')!), /chain output/);
  assert.equal(app.confirmMs, 60_000, 'firewallConfirm defaults to 60 s');
});
