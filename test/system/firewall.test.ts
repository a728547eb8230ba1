/**
 * The rendered firewalls behave as the site template says, between real network namespaces:
 * hosts of the reference fleet (examples/frachtwerk) at Nuremberg and Helsinki, each in a
 * namespace of its own with its fleet address, plus a host on the internet, all on one
 * bridge; each host's ruleset is applied with nft in its namespace, every host listens on the
 * ports the policy talks about, and real TCP connections (and pings) are tried. The expected
 * outcomes are written here by hand from the template, not derived from the rules.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { formatAddress } from '../../src/core/ipam/ipv4.js';
import { hostFirewall, nftScript } from '../../src/core/render/nftables.js';
import { makeLan, type Lan } from '../helpers/lan.js';
import { loadReference } from '../helpers/reference.js';
import { need, run, works } from '../helpers/system.js';

const usable = process.getuid?.() === 0 && works('nft', ['--version']) && works('ip', ['netns', 'list']) && works('ping', ['-V']);
const { fleet, ipam, placements } = loadReference();
const dir = mkdtempSync(join(tmpdir(), 'hafen-firewall-'));
const HOSTS = ['nue-proxy-01', 'nue-app-01', 'nue-data-01', 'nue-backup-01', 'nue-mgmt-01', 'hel-proxy-01', 'hel-app-01', 'hel-mgmt-01'];
const INTERNET = '203.0.113.9';
/** The port of an app placed on nue-app-01: the proxies (and the probers) reach its replica there. */
const APP = fleet.apps.find((a) => a.id === placements.find((p) => p.host === 'nue-app-01')!.app)!.port!;
const PORTS = [22, 80, 443, 5432, 7400, APP, 8404, 9100];
const address = (host: string) => formatAddress(ipam.hosts.find((h) => h.host === host)!.address);
let lan: Lan | undefined;

before(async () => {
  if (!usable) return;
  lan = makeLan(71, [...HOSTS.map((h) => ({ name: h, address: address(h) })), { name: 'internet', address: INTERNET }]);
  for (const h of HOSTS) {
    const file = join(dir, `${h}.nft`);
    writeFileSync(file, nftScript(hostFirewall(fleet, ipam, placements, h)!));
    lan.hosts.get(h)!.exec(['nft', '-f', file]);
  }
  await lan.listen(PORTS);
});

after(() => {
  lan?.close();
  rmSync(dir, { recursive: true, force: true });
});

test('every host of the reference fleet: its rendered ruleset passes nft -c', (t) => {
  if (!need(t, usable, 'needs root, nft, ip netns and ping')) return;
  const bad: string[] = [];
  for (const h of fleet.hosts) {
    const file = join(dir, `check-${h.id}.nft`);
    writeFileSync(file, nftScript(hostFirewall(fleet, ipam, placements, h.id)!));
    const r = run('nft', ['-c', '-f', file]);
    if (r.status !== 0) bad.push(`${h.id}: ${r.stderr.trim()}`);
  }
  assert.deepEqual(bad, []);
  t.diagnostic(`${fleet.hosts.length} rulesets checked`);
});

/** from → "host:port" → reached? As the template says ("internet" is anywhere, the fleet's own hosts included). */
const EXPECTED: Record<string, Record<string, boolean>> = {
  internet: { 'nue-proxy-01:80': true, 'nue-proxy-01:443': true, 'nue-proxy-01:22': false, 'nue-proxy-01:9100': false, [`nue-app-01:${APP}`]: false, 'nue-app-01:22': false, 'nue-mgmt-01:7400': false, 'nue-backup-01:22': false },
  'nue-proxy-01': { [`nue-app-01:${APP}`]: true, 'nue-app-01:22': false, 'nue-app-01:9100': false, 'nue-app-01:5432': false, 'nue-mgmt-01:7400': true, 'nue-mgmt-01:22': false },
  'hel-proxy-01': { [`nue-app-01:${APP}`]: true, 'nue-app-01:22': false },
  'nue-app-01': { 'nue-data-01:5432': true, 'nue-data-01:22': false, 'nue-backup-01:22': true, 'nue-backup-01:9100': false, 'nue-mgmt-01:22': false, 'nue-mgmt-01:7400': true, 'nue-proxy-01:22': false, 'nue-proxy-01:443': true },
  'hel-app-01': { 'nue-data-01:5432': false, 'nue-backup-01:22': true, 'nue-mgmt-01:7400': true, [`nue-app-01:${APP}`]: false },
  'nue-mgmt-01': { 'nue-app-01:22': true, 'nue-app-01:9100': true, [`nue-app-01:${APP}`]: true, 'nue-proxy-01:8404': true, 'nue-proxy-01:22': true, 'nue-data-01:22': true, 'nue-backup-01:9100': true, 'nue-app-01:5432': false },
  'hel-mgmt-01': { 'nue-app-01:22': true, 'nue-proxy-01:9100': true, 'nue-data-01:5432': false },
};

test('between namespaces, the traffic the policy allows passes and the rest is dropped', (t) => {
  if (!need(t, usable, 'needs root, nft, ip netns and ping')) return;
  const wrong: string[] = [];
  let tried = 0;
  for (const [from, cases] of Object.entries(EXPECTED)) {
    const targets = Object.keys(cases).map((k) => {
      const [host, port] = k.split(':');
      return `${address(host!)}:${port}`;
    });
    const got = lan!.reaches(from, targets);
    Object.entries(cases).forEach(([k, want], i) => {
      tried++;
      if (got[targets[i]!] !== want) wrong.push(`${from} → ${k}: ${got[targets[i]!] ? 'reached' : 'dropped'}, the policy says ${want ? 'allow' : 'drop'}`);
    });
  }
  // ICMP: the management segment pings app hosts (the template's probes); the internet does not.
  const ping = (from: string, to: string) => run('ip', ['netns', 'exec', lan!.hosts.get(from)!.ns, 'ping', '-c', '1', '-W', '1', address(to)]).status === 0;
  if (!ping('nue-mgmt-01', 'nue-app-01')) wrong.push('nue-mgmt-01 → nue-app-01 ping: dropped, the policy says allow');
  if (ping('internet', 'nue-app-01')) wrong.push('internet → nue-app-01 ping: answered, the policy says drop');
  assert.deepEqual(wrong, []);
  t.diagnostic(`${tried} connections and 2 pings as the policy says`);
});

test("replacing the ruleset is atomic and leaves other tables alone (Docker's, say)", (t) => {
  if (!need(t, usable, 'needs root, nft, ip netns and ping')) return;
  const h = lan!.hosts.get('nue-app-01')!;
  // Someone else's table (as Docker's iptables-nft makes), with a rule in it.
  h.exec(['nft', 'add table ip other; add chain ip other forward { type filter hook forward priority 0; policy accept; }; add rule ip other forward counter accept']);
  const file = join(dir, 'nue-app-01.nft');
  h.exec(['nft', '-f', file]);
  h.exec(['nft', '-f', file]);
  const tables = h.exec(['nft', 'list', 'tables']);
  assert.match(tables, /table ip other/);
  assert.match(tables, /table inet hafen/);
  assert.match(h.exec(['nft', 'list', 'table', 'ip', 'other']), /counter packets \d+ bytes \d+ accept/);
  // A broken script changes nothing: nft applies a file whole or not at all.
  writeFileSync(join(dir, 'broken.nft'), nftScript(hostFirewall(fleet, ipam, placements, 'nue-app-01')!).replace('policy drop;', 'policy drop;\n\t\tthis is not nft'));
  const before = h.exec(['nft', 'list', 'table', 'inet', 'hafen']);
  assert.notEqual(run('ip', ['netns', 'exec', h.ns, 'nft', '-f', join(dir, 'broken.nft')]).status, 0);
  assert.equal(h.exec(['nft', 'list', 'table', 'inet', 'hafen']), before);
});
