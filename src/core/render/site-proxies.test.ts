import assert from 'node:assert/strict';
import { test } from 'node:test';
import { loadReference } from '../../../test/helpers/reference.js';
import { proxyUnit, siteProxies, siteProxiesText } from './site-proxies.js';

const ref = loadReference();

test("a site's proxies listen on 80 and 443 as the template lets the internet in; their routes put the site's replicas first", () => {
  const s = siteProxies(ref.fleet, ref.ipam, ref.placements, 'vie')!;
  assert.deepEqual(s.proxies.map((p) => p.host), ['vie-proxy-01', 'vie-proxy-02']);
  for (const p of s.proxies) {
    assert.equal(p.listen, `${p.address}:80`);
    assert.equal(p.tlsListen, `${p.address}:443`);
    assert.deepEqual(p.otherPorts, []);
  }
  assert.ok(s.routes.length > 50);
  for (const r of s.routes) {
    const firstRemote = r.replicas.findIndex((x) => !x.local);
    assert.ok(firstRemote === -1 || r.replicas.slice(firstRemote).every((x) => !x.local), `${r.host}: local replicas first`);
  }
  assert.ok(s.routes.some((r) => r.replicas[0]?.local), 'some domains have a replica at vie');
  assert.match(siteProxiesText(s), /^ {2}vie-proxy-01 +http 198\.18\.\d+\.\d+:80, https 198\.18\.\d+\.\d+:443$/m);
  assert.equal(siteProxies(ref.fleet, ref.ipam, ref.placements, 'mars'), undefined);
});

test('the systemd unit runs hafen proxy on those addresses, following the controller', () => {
  const p = siteProxies(ref.fleet, ref.ipam, ref.placements, 'nue')!.proxies[0]!;
  const unit = proxyUnit(p, 'nue', { url: 'https://hafen.example:7400' });
  assert.match(unit, new RegExp(`^ExecStart=/usr/local/bin/hafen proxy --controller https://hafen.example:7400 --site nue --data /var/lib/hafen --listen ${p.address.replace(/\./g, '\\.')}:80 --tls-listen ${p.address.replace(/\./g, '\\.')}:443 --certs /etc/hafen/certs$`, 'm'));
  assert.match(unit, /^Restart=always$/m);
  assert.match(proxyUnit(p, 'nue', { url: 'https://hafen.example:7400', ca: '/etc/hafen/ca.pem' }), /^ExecStart=\S+ proxy --controller https:\/\/hafen\.example:7400 --ca \/etc\/hafen\/ca\.pem --site nue /m);
  assert.match(proxyUnit(p, 'nue', { url: 'http://10.0.0.1:7400', allowPlainHttp: true }), /^ExecStart=\S+ proxy --controller http:\/\/10\.0\.0\.1:7400 --allow-plain-http --site nue /m);
});
