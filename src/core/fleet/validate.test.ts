import assert from 'node:assert/strict';
import { test } from 'node:test';
import { validateFleet } from './validate.js';

const topology = `
providers: [{ id: p }]
facilities:
  - { id: f1, operator: p, country: DE }
  - { id: f2, operator: p, country: AT }
sites:
  - { id: nue, provider: p, facility: f1, country: DE, prefixes: [198.18.0.0/24] }
  - { id: vie, provider: p, facility: f2, country: AT, prefixes: [198.18.1.0/24], backupRepository: { url: /mnt/backups } }
siteTemplate:
  segments:
    - { name: apps, role: apps, prefixLength: 26 }
    - { name: proxy, role: proxy, prefixLength: 28 }
hosts:
  - { id: nue-app-01, site: nue, cpu: 8, memory: 32GiB, disk: 500GiB }
  - { id: vie-app-01, site: vie, cpu: 8, memory: 32GiB, disk: 500GiB }
`;

const app = `
customers:
  - id: acme
    defaults: { backup: { to: vie, keep: { daily: 3 } } }
defaults:
  backup: { schedule: "0 3 * * *", keep: { daily: 7, weekly: 4 } }
  migration: live
apps:
  - id: acme-web
    customer: acme
    criticality: critical
    redundancy: { replicas: 2, sharedState: "the customer's PostgreSQL cluster db.acme.example" }
    workload: { compose: { services: { web: { image: nginx, ports: ["8080:80"] }, db: { image: postgres } } } }
    domains: [www.acme.example]
    port: 8080
    resources: { cpu: 1, memory: 1GiB }
    volumes: [{ name: data, size: 10GiB, changePerDay: 10% }]
`;

test('a valid fleet resolves its defaults', () => {
  const res = validateFleet([{ name: 'f.yaml', text: topology + app }]);
  assert.deepEqual(res.problems, []);
  assert.ok(res.ok && res.fleet && res.ipam);
  const a = res.fleet.apps[0]!;
  assert.equal(a.redundancy.spreadOver, 'site', 'critical apps spread over sites by default');
  assert.equal(a.migration, 'live', 'fleet default');
  assert.deepEqual(a.backup, { schedule: '0 3 * * *', keep: { daily: 3 }, to: 'vie', pruneEvery: '7d', check: { schedule: '0 5 * * 0', parts: 4 }, drill: { schedule: '0 4 1 * *' } }, 'customer default over fleet default, field by field; checks and drills by default');
  assert.equal(a.volumes[0]!.changePerDay, 2 ** 30);
  assert.equal(a.containersPerReplica, 2);
  assert.equal(res.fleet.hosts[0]!.segment, 'apps', 'segment from the host role');
  assert.equal(res.ipam.hosts.length, 2);
});

test('a fleet split over files is merged, and problems name the file and line they are in', () => {
  const res = validateFleet([
    { name: 'base.yaml', text: topology },
    { name: 'customers/acme.yaml', text: `${app}\n  - id: acme-api\n    customer: acme\n    workload: { compose: { services: { api: { image: api } } } }\n    resources: { cpu: 1, memory: 1GiB }\n    domains: [www.acme.example]\n    port: 80\n` },
    { name: 'sites/extra.yaml', text: 'hosts:\n  - { id: nue-app-01, site: nue, cpu: 8, memory: 32GiB, disk: 500GiB }\n' },
  ]);
  assert.equal(res.ok, false);
  const dupHost = res.problems.find((p) => p.code === 'HAFEN_FLEET_DUPLICATE_ID');
  assert.equal(dupHost?.file, 'sites/extra.yaml');
  assert.equal(dupHost?.path, 'hosts[0].id', 'the index is the one inside that file');
  assert.equal(dupHost?.line, 2);
  assert.match(dupHost?.message ?? '', /hosts\[0\] \(base\.yaml:14\)/);
  const dupDomain = res.problems.find((p) => p.code === 'HAFEN_FLEET_DUPLICATE_DOMAIN');
  assert.equal(dupDomain?.file, 'customers/acme.yaml');
  assert.equal(dupDomain?.path, 'apps[1].domains[0]');
});

test('one broken entry does not hide the problems of the others', () => {
  const res = validateFleet([
    {
      name: 'f.yaml',
      text: `${topology}
customers: [{ id: acme }]
apps:
  - { id: a1, customer: acme, workload: { compose: { services: { w: { image: x } } } }, resources: { cpu: many, memory: 1GiB } }
  - { id: a2, customer: nobody, workload: { compose: { services: { w: { image: x } } } }, resources: { cpu: 1, memory: 1GiB } }
`,
    },
  ]);
  const codes = res.problems.map((p) => `${p.path} ${p.code}`);
  assert.deepEqual(codes, ['apps[0].resources.cpu HAFEN_FLEET_TYPE', 'apps[1].customer HAFEN_FLEET_UNKNOWN_REF']);
});

test('warnings do not make a fleet invalid', () => {
  const res = validateFleet([{ name: 'f.yaml', text: `${topology}\ncustomers:\n  - id: acme\n    maintenanceWindows: [{ days: daily, from: "01:00", to: "01:10" }]\n` }]);
  assert.equal(res.ok, true);
  assert.deepEqual(res.problems.map((p) => [p.severity, p.code]), [['warning', 'HAFEN_FLEET_WINDOW_SHORT']]);
});

test('an empty fleet is valid, has nothing to address, and is reported: applied, it would stop everything', () => {
  for (const text of ['# nothing yet\n', '', '---\n']) {
    const res = validateFleet([{ name: 'empty.yaml', text }]);
    assert.equal(res.ok, true);
    assert.deepEqual(res.problems.map((p) => [p.severity, p.code, p.file]), [['warning', 'HAFEN_FLEET_EMPTY', 'empty.yaml']], JSON.stringify(text));
    assert.match(res.problems[0]!.message, /declares nothing.*would stop every app on every host/);
  }
  // One empty file among several: that file is named; the fleet itself is not empty.
  const split = validateFleet([{ name: 'fleet.yaml', text: `${topology}\ncustomers:\n  - id: acme\n` }, { name: 'sites/hel.yaml', text: '# moved to vie\n' }]);
  assert.equal(split.ok, true);
  assert.deepEqual(split.problems.map((p) => [p.severity, p.code, p.file]), [['warning', 'HAFEN_FLEET_FILE_EMPTY', 'sites/hel.yaml']]);
});

test('the allocation record keeps addresses when hosts are added before others', () => {
  const first = validateFleet([{ name: 'f.yaml', text: topology }]);
  assert.ok(first.ipam);
  const inserted = topology.replace('hosts:\n', 'hosts:\n  - { id: nue-app-00, site: nue, cpu: 8, memory: 32GiB, disk: 500GiB }\n');
  const fresh = validateFleet([{ name: 'f.yaml', text: inserted }]);
  const kept = validateFleet([{ name: 'f.yaml', text: inserted }], { allocations: first.ipam.record });
  assert.notEqual(fresh.ipam?.record.hosts['nue-app-01']?.address, first.ipam.record.hosts['nue-app-01']?.address, 'without the record the order decides');
  assert.equal(kept.ipam?.record.hosts['nue-app-01']?.address, first.ipam.record.hosts['nue-app-01']?.address, 'with it nothing moves');
});

test('a single key set to null is a problem, not silently ignored', () => {
  const res = validateFleet([{ name: 'f.yaml', text: 'siteTemplate: null\npolicies: null\n' }]);
  assert.equal(res.ok, false);
  assert.deepEqual(res.problems.map((p) => [p.path, p.code]), [['siteTemplate', 'HAFEN_FLEET_TYPE'], ['policies', 'HAFEN_FLEET_TYPE']]);
});

test('alerting: receivers and planned work name existing customers, apps and sites; each receiver one kind; planned work in order', async () => {
  const { readFileSync } = await import('node:fs');
  const minimal = readFileSync(new URL('../../../examples/minimal.yaml', import.meta.url), 'utf8');
  const problems = (alerting: string) => validateFleet([{ name: 'fleet.yaml', text: `${minimal}\nalerting:\n${alerting}` }]).problems.map((p) => `${p.path}: ${p.message}`);
  const shape = problems(`  receivers:
    - { id: both, webhook: { url: "https://hooks.example/y" }, email: { to: [a@b.example], from: x@y.example, smtp: { host: mail } } }
  maintenance:
    - { id: backwards, from: "2026-12-02T02:00:00Z", to: "2026-12-01T22:00:00Z", app: huber-shop, comment: oops }
`);
  assert.ok(shape.some((l) => /alerting\.receivers\[1\]|alerting\.receivers\[0\].*exactly one of "webhook" or "email"/.test(l)), shape.join('\n'));
  assert.ok(shape.some((l) => /alerting\.maintenance\[0\]: "from" must be before "to"/.test(l)), shape.join('\n'));
  const refs = problems(`  receivers:
    - { id: ops, webhook: { url: "https://hooks.example/x" }, customers: [nobody] }
  maintenance:
    - { id: move, from: "2026-12-01T22:00:00+01:00", to: "2026-12-02T02:00:00+01:00", site: hel, comment: move }
`);
  assert.ok(refs.some((l) => /alerting\.receivers\[0\]\.customers\[0\]: .*nobody/.test(l)), refs.join('\n'));
  assert.ok(refs.some((l) => /alerting\.maintenance\[0\]\.site: .*hel/.test(l)), refs.join('\n'));
});

test('the receiver that carries migration proposals must be declared, and the public URL must be a URL', () => {
  const res = validateFleet([{ name: 'f.yaml', text: `${topology}\npolicies:\n  migrations: { notify: { receiver: ops-mial } }\nalerting:\n  receivers: [{ id: ops-mail, webhook: { url: "http://127.0.0.1:9/x" } }]\n` }]);
  assert.deepEqual(res.problems.filter((p) => p.severity === 'error').map((p) => [p.path, p.message]), [['policies.migrations.notify.receiver', 'receiver "ops-mial" is not declared in alerting.receivers (did you mean "ops-mail"?)']]);
  const url = validateFleet([{ name: 'f.yaml', text: `${topology}\npolicies:\n  migrations: { notify: { receiver: ops-mail, publicUrl: "hafen.example" } }\nalerting:\n  receivers: [{ id: ops-mail, webhook: { url: "http://127.0.0.1:9/x" } }]\n` }]);
  assert.match(url.problems.find((p) => p.path === 'policies.migrations.notify.publicUrl')?.message ?? '', /must be an http:\/\/ or https:\/\/ URL/);
  const ok = validateFleet([{ name: 'f.yaml', text: `${topology}\npolicies:\n  migrations: { notify: { receiver: ops-mail, publicUrl: "https://hafen.example" } }\nalerting:\n  receivers: [{ id: ops-mail, webhook: { url: "http://127.0.0.1:9/x" } }]\n` }]);
  assert.equal(ok.fleet?.policies.migrations.notify?.remindEvery, '24h');
  assert.equal(ok.fleet?.policies.migrations.maxCustomersPerWave, 5);
});

test('a witness site only probes: no prefixes, apps or backups; its hosts are management hosts with their own address; other sites need prefixes', () => {
  const witness = `
  - { id: wit, provider: p, facility: f1, country: DE, witness: true }
`;
  const withWitness = (site: string, host: string, more = '') =>
    validateFleet([{ name: 'f.yaml', text: topology.replace('\nsiteTemplate:', `${site}siteTemplate:`).replace(/\n$/, `\n${host}\n`) + app + more }]);
  const ok = withWitness(witness, '  - { id: wit-probe-01, site: wit, role: management, cpu: 1, memory: 1GiB, disk: 10GiB, address: 203.0.113.10 }');
  assert.deepEqual(ok.problems, []);
  assert.ok(ok.ok && ok.ipam);
  assert.ok(!ok.ipam.hosts.some((h) => h.host === 'wit-probe-01'), 'no address from IPAM: it keeps its own');
  assert.ok(!ok.ipam.segments.some((s) => s.site === 'wit'), 'no segments at a witness site');

  const codes = (res: ReturnType<typeof validateFleet>) => res.problems.map((p) => `${p.code} ${p.path}: ${p.message}`);
  const bad = withWitness(
    '\n  - { id: wit, provider: p, facility: f1, country: DE, witness: true, prefixes: [198.18.9.0/24], backupRepository: { url: /mnt/x } }\n',
    '  - { id: wit-app-01, site: wit, cpu: 8, memory: 32GiB, disk: 500GiB }',
  );
  assert.equal(bad.ok, false);
  const text = codes(bad).join('\n');
  assert.match(text, /HAFEN_FLEET_WITNESS sites\[2\]\.prefixes: witness site "wit" gets no segments, so it has no prefixes/);
  assert.match(text, /HAFEN_FLEET_WITNESS sites\[2\]\.backupRepository: witness site "wit" keeps no backups/);
  assert.match(text, /HAFEN_FLEET_WITNESS hosts\[2\]\.role: host "wit-app-01" is at witness site "wit", which only probes: its role must be management, not app/);
  assert.match(text, /HAFEN_FLEET_WITNESS hosts\[2\]: host "wit-app-01" is at witness site "wit", which gets no segments: give it its fixed "address"/);

  const used = validateFleet([{ name: 'f.yaml', text: topology.replace('\nsiteTemplate:', `${witness}siteTemplate:`) + app.replace('    defaults: { backup: { to: vie,', '    home: wit\n    defaults: { backup: { to: wit,').replace('    port: 8080\n', '    port: 8080\n    placement: { sites: [wit, nue] }\n') }]);
  const usedText = codes(used).join('\n');
  assert.match(usedText, /HAFEN_FLEET_WITNESS customers\[0\]\.defaults\.backup\.to: "wit" is a witness site, which keeps no backups/);
  assert.match(usedText, /HAFEN_FLEET_WITNESS customers\[0\]\.home: "wit" is a witness site, which runs no apps/);
  assert.match(usedText, /HAFEN_FLEET_WITNESS apps\[0\]\.placement\.sites\[0\]: "wit" is a witness site, which runs no apps/);
  assert.match(usedText, /HAFEN_FLEET_WITNESS sites\[2\]: witness site "wit" has no host: nothing probes from it/);

  const bare = validateFleet([{ name: 'f.yaml', text: topology.replace('prefixes: [198.18.0.0/24] ', '') + app }]);
  assert.match(codes(bare).join('\n'), /HAFEN_FLEET_REQUIRED sites\[0\]: site "nue" needs at least one IPv4 prefix in "prefixes" \(only a witness site has none\)/);
});
