/**
 * hafen's firewall on a host running the Docker engine: a namespace with its own dockerd (its
 * bridge, its iptables-nft tables), two containers with published ports, and this machine as
 * the proxy (a fleet address) and as the internet (an address outside the fleet). Docker's
 * default lets everyone reach a published port; with hafen's ruleset the published ports take
 * only what the policy allows, by their original port, and Docker's own tables stay exactly
 * as Docker wrote them through every apply, also when Docker adds rules afterwards.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { validateFleet } from '../../src/core/fleet/validate.js';
import { formatAddress } from '../../src/core/ipam/ipv4.js';
import { schedule } from '../../src/core/placement/schedule.js';
import { hostFirewall, nftScript } from '../../src/core/render/nftables.js';
import { makeNetns } from '../helpers/netns.js';
import { startNetnsDocker } from '../helpers/netns-docker.js';
import { DOCKER, need, run, works } from '../helpers/system.js';
import { until } from '../helpers/wait.js';

const usable = process.getuid?.() === 0 && works('nft', ['--version']) && works('ip', ['netns', 'list']) && existsSync('/usr/sbin/dockerd') && works(DOCKER, ['info']);
const INTERNET = '203.0.113.9';

const fleetYaml = (extraRule = '') => `
version: 1
providers: [{ id: provider-a }]
facilities: [{ id: nbg-1, operator: provider-a, country: DE, city: Nuremberg }]
sites: [{ id: nue, provider: provider-a, facility: nbg-1, country: DE, prefixes: [198.18.0.0/24] }]
siteTemplate:
  segments:
    - { name: proxy, role: proxy, prefixLength: 28 }
    - { name: apps, role: apps, prefixLength: 26 }
  firewall:
    - { from: internet, to: proxy, ports: [80, 443] }
    - { from: proxy, to: apps, ports: ["8000-8999"] }
${extraRule}
hosts:
  - { id: nue-proxy-01, site: nue, role: proxy, cpu: 4, memory: 8GiB, disk: 100GiB }
  - { id: nue-app-01, site: nue, role: app, runtime: compose, cpu: 8, memory: 32GiB, disk: 500GiB }
customers: [{ id: huber, contacts: [{ name: Anna Huber, email: anna@huber.example }] }]
apps:
  - id: web
    customer: huber
    workload: { compose: { services: { web: { image: "hafen-test/busybox:2", ports: ["8080:8080"] } } } }
    port: 8080
    resources: { cpu: 1, memory: 1GiB }
`;

function render(text: string) {
  const res = validateFleet([{ name: 'fleet.yaml', text }]);
  assert.ok(res.fleet && res.ipam, JSON.stringify(res.problems));
  const placements = schedule(res.fleet).placements;
  const address = (h: string) => formatAddress(res.ipam!.hosts.find((x) => x.host === h)!.address);
  return { script: nftScript(hostFirewall(res.fleet, res.ipam, placements, 'nue-app-01')!), app: address('nue-app-01'), proxy: address('nue-proxy-01') };
}

/** Does a TCP connection from `from` to `to:port` open within 1.5 s? */
function reaches(from: string, to: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect({ host: to, port, localAddress: from, timeout: 1500 });
    const done = (ok: boolean) => {
      s.destroy();
      resolve(ok);
    };
    s.once('connect', () => done(true));
    s.once('timeout', () => done(false));
    s.once('error', () => done(false));
  });
}

test("Docker's published ports take only what hafen's policy allows; Docker's tables survive every apply", { timeout: 240_000 }, async (t) => {
  if (!need(t, usable, 'needs root, nft, ip netns and the Docker engine')) return;
  const first = render(fleetYaml());
  const ns = makeNetns(76, first.app, first.proxy);
  const dir = mkdtempSync(join(tmpdir(), 'hafen-fw-docker-'));
  run('ip', ['addr', 'add', `${INTERNET}/32`, 'dev', 'ht76o']);
  ns.exec(['ip', 'route', 'add', INTERNET, 'dev', 'ht76i']);
  const engine = await startNetnsDocker(ns);
  const apply = (script: string) => {
    const file = join(dir, 'hafen.nft');
    writeFileSync(file, script);
    ns.exec(['nft', '-f', file]);
  };
  // Docker's tables as nft lists them, without counters (they move with every packet).
  const dockerTables = () =>
    ['nat', 'filter'].map((tb) => ns.exec(['nft', 'list', 'table', 'ip', tb]).replace(/counter packets \d+ bytes \d+ /g, '')).join('\n');
  const reach = async () => ({
    'proxy:8080': await reaches(first.proxy, first.app, 8080),
    'proxy:9090': await reaches(first.proxy, first.app, 9090),
    'internet:8080': await reaches(INTERNET, first.app, 8080),
    'internet:9090': await reaches(INTERNET, first.app, 9090),
  });
  try {
    for (const [name, port] of [['web', 8080], ['other', 9090]] as const) {
      const r = engine.docker(['run', '-d', '--name', name, '-p', `${port}:80`, engine.image, 'httpd', '-f', '-p', '80', '-h', '/www']);
      assert.equal(r.status, 0, r.stderr);
    }
    const open = await until('Docker publishes both ports', async () => {
      const r = await reach();
      return Object.values(r).every(Boolean) ? r : undefined;
    }, 30_000, 250);
    t.diagnostic(`before hafen (Docker's default): ${JSON.stringify(open)}`);
    const docker = dockerTables();
    assert.match(docker, /dnat to 172\.17\.\d+\.\d+:80/, "Docker's DNAT rules are there");

    apply(first.script);
    assert.deepEqual(await reach(), { 'proxy:8080': true, 'proxy:9090': false, 'internet:8080': false, 'internet:9090': false });
    assert.equal(dockerTables(), docker, "Docker's tables are as Docker wrote them");

    // A change of policy (the internet may reach 9090 on app hosts) is applied over the running table.
    const second = render(fleetYaml('    - { from: internet, to: apps, ports: [9090] }'));
    apply(second.script);
    assert.deepEqual(await reach(), { 'proxy:8080': true, 'proxy:9090': true, 'internet:8080': false, 'internet:9090': true });
    assert.equal(dockerTables(), docker);

    // Docker adds rules after hafen's apply: a new container publishes 8181, and hafen's policy holds for it too.
    const late = engine.docker(['run', '-d', '--name', 'late', '-p', '8181:80', engine.image, 'httpd', '-f', '-p', '80', '-h', '/www']);
    assert.equal(late.status, 0, late.stderr);
    assert.match(ns.exec(['nft', 'list', 'chain', 'ip', 'nat', 'DOCKER']), /tcp dport 8181 .*dnat to/);
    assert.equal(await reaches(first.proxy, first.app, 8181), false, '8181 is outside the proxy → apps ports of the apps placed here');
    apply(first.script);
    assert.equal(await reaches(first.proxy, first.app, 8080), true, 'DNAT still works after re-applies');
    assert.match(ns.exec(['nft', 'list', 'chain', 'ip', 'nat', 'DOCKER']), /tcp dport 8181 .*dnat to/, "Docker's late rule survived");
  } finally {
    await engine.stop();
    run('ip', ['addr', 'del', `${INTERNET}/32`, 'dev', 'ht76o']);
    ns.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
