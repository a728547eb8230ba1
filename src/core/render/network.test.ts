import assert from 'node:assert/strict';
import { test } from 'node:test';
import { loadReference } from '../../../test/helpers/reference.js';
import { validateFleet } from '../fleet/validate.js';
import { hostNetwork, ifupdownSnippet, networkConfigText, networkdSnippet } from './network.js';

const ref = loadReference();

test("a host's address with its segment's prefix length, and the segment's first address as gateway", () => {
  const n = hostNetwork(ref.fleet, ref.ipam, 'nue-app-01')!;
  assert.deepEqual(n, { host: 'nue-app-01', site: 'nue', segment: 'apps', address: '198.18.0.2/25', prefix: '198.18.0.0/25', gateway: '198.18.0.1', interface: 'eth0', manage: 'panel' });
  assert.equal(networkConfigText(n), 'nue-app-01: eth0 198.18.0.2/25, gateway 198.18.0.1 (site nue, segment apps 198.18.0.0/25)\n');
  assert.equal(networkdSnippet(n), '# hafen: nue-app-01 (site nue, segment apps 198.18.0.0/25); rendered by hafen\n[Match]\nName=eth0\n\n[Network]\nAddress=198.18.0.2/25\nGateway=198.18.0.1\n');
  assert.equal(ifupdownSnippet(n), '# hafen: nue-app-01 (site nue, segment apps 198.18.0.0/25); rendered by hafen\nauto eth0\niface eth0 inet static\n\taddress 198.18.0.2/25\n\tgateway 198.18.0.1\n');
  assert.equal(hostNetwork(ref.fleet, ref.ipam, 'no-such-host'), undefined);
});

test('network.manage and the interface come from the template, a host overrides them; no reserved address, no gateway', () => {
  const text = `
version: 1
providers: [{ id: p }]
facilities: [{ id: f, operator: p, country: DE }]
sites: [{ id: nue, provider: p, facility: f, country: DE, prefixes: [198.18.0.0/24] }]
siteTemplate:
  segments:
    - { name: apps, role: apps, prefixLength: 26 }
    - { name: mgmt, role: management, prefixLength: 28, reserved: 0 }
  network: { manage: networkd, interface: enp1s0 }
hosts:
  - { id: a, site: nue, cpu: 2, memory: 4GiB, disk: 10GiB }
  - { id: b, site: nue, cpu: 2, memory: 4GiB, disk: 10GiB, network: { manage: ifupdown } }
  - { id: m, site: nue, role: management, cpu: 2, memory: 4GiB, disk: 10GiB }
`;
  const res = validateFleet([{ name: 'f.yaml', text }]);
  assert.ok(res.fleet && res.ipam, JSON.stringify(res.problems));
  const a = hostNetwork(res.fleet, res.ipam, 'a')!;
  const b = hostNetwork(res.fleet, res.ipam, 'b')!;
  const m = hostNetwork(res.fleet, res.ipam, 'm')!;
  assert.deepEqual([a.manage, a.interface, b.manage, b.interface], ['networkd', 'enp1s0', 'ifupdown', 'enp1s0']);
  assert.match(networkConfigText(a), /^\[Match\]\nName=enp1s0$/m);
  assert.match(networkConfigText(b), /^iface enp1s0 inet static$/m);
  assert.equal(m.gateway, undefined);
  assert.doesNotMatch(networkdSnippet(m), /Gateway/);
  const bad = validateFleet([{ name: 'f.yaml', text: text.replace('network: { manage: ifupdown }', 'network: { manage: netplan }') }]);
  assert.ok(bad.problems.some((p) => p.path.includes('hosts[1].network.manage') || p.path.includes('network')), JSON.stringify(bad.problems.map((p) => p.path)));
});
