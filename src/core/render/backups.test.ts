import assert from 'node:assert/strict';
import { test } from 'node:test';
import { validateFleet } from '../fleet/validate.js';
import { authorizedKeys, backupAccess, backupJobs, repositoryFor } from './backups.js';

const FLEET = `
version: 1
providers: [{ id: p }]
facilities: [{ id: f1, operator: p, country: DE }, { id: f2, operator: p, country: AT }]
sites:
  - { id: nue, provider: p, facility: f1, country: DE, prefixes: [198.18.0.0/24] }
  - { id: vie, provider: p, facility: f2, country: AT, prefixes: [198.18.2.0/24], backupRepository: { sshPort: 2222 } }
siteTemplate:
  segments: [{ name: apps, role: apps, prefixLength: 26 }, { name: backup, role: backup, prefixLength: 28 }]
hosts:
  - { id: nue-app-01, site: nue, runtime: process, cpu: 8, memory: 32GiB, disk: 500GiB }
  - { id: vie-app-01, site: vie, runtime: process, cpu: 8, memory: 32GiB, disk: 500GiB }
  - { id: vie-backup-01, site: vie, role: backup, cpu: 4, memory: 8GiB, disk: 4TiB }
customers: [{ id: huber }]
apps:
  - id: shop
    customer: huber
    redundancy: { replicas: 2, spreadOver: site, sharedState: "files on the customer's NFS, db in its PostgreSQL" }
    workload: { process: { command: [node, app.mjs] } }
    resources: { cpu: 0.5, memory: 512MiB }
    volumes: [{ name: db, size: 1GiB }, { name: files, size: 1GiB }]
    backup: { to: vie, keep: { daily: 7 }, volumes: [db] }
  - id: notes
    customer: huber
    workload: { process: { command: [node, app.mjs] } }
    resources: { cpu: 0.5, memory: 512MiB }
`;

test('one job per app with backups, on its first replica\'s host, to the backup host of the target site', () => {
  const res = validateFleet([{ name: 'fleet.yaml', text: FLEET }]);
  assert.ok(res.fleet, JSON.stringify(res.problems));
  const placements = [
    { app: 'shop', replica: 2, host: 'vie-app-01', site: 'vie' },
    { app: 'shop', replica: 1, host: 'nue-app-01', site: 'nue' },
    { app: 'notes', replica: 1, host: 'nue-app-01', site: 'nue' },
  ];
  const addresses = new Map([['vie-backup-01', '198.18.2.70']]);
  const { jobs, problems } = backupJobs(res.fleet, placements as never, addresses, new Map([['backup-shop', 3]]));
  assert.deepEqual(problems, []);
  assert.deepEqual([...jobs.keys()], ['nue-app-01']);
  assert.deepEqual(jobs.get('nue-app-01'), [
    {
      app: 'shop',
      customer: 'huber',
      unit: 'shop-r1',
      schedule: '15 2 * * *',
      keep: { daily: 7 },
      volumes: ['db'],
      paths: [],
      pruneEveryMs: 7 * 86_400_000,
      check: { schedule: '0 5 * * 0', parts: 4 },
      drill: { schedule: '0 4 1 * *' },
      repository: { site: 'vie', url: 'sftp:restic@198.18.2.70:/srv/restic/huber/shop', sftp: { user: 'restic', address: '198.18.2.70', port: 2222 }, backupHost: 'vie-backup-01' },
      passwordSecret: 'backup-shop',
      passwordVersion: 3,
    },
  ]);
  // A replica at the repository's site is passed over while another is elsewhere.
  const atVie = [{ app: 'shop', replica: 1, host: 'vie-app-01', site: 'vie' }, { app: 'shop', replica: 2, host: 'nue-app-01', site: 'nue' }];
  assert.equal(backupJobs(res.fleet, atVie as never, addresses, new Map()).jobs.get('nue-app-01')?.[0]?.unit, 'shop-r2');
  // Without the backup host's address there is no repository to name.
  assert.equal(backupJobs(res.fleet, placements as never, new Map(), new Map()).problems[0]!.message, 'backup host "vie-backup-01" has no address yet');
  assert.deepEqual(repositoryFor({ sites: [{ ...res.fleet.sites[0]!, backupRepository: { url: '/mnt/backups/' } }], hosts: [] }, 'nue', 'huber', 'shop', new Map()), { site: 'nue', url: '/mnt/backups/huber/shop' });
});

test('a backup to a site with nowhere to keep it is a validation warning (the backups cannot run; nothing else is blocked)', () => {
  const res = validateFleet([{ name: 'fleet.yaml', text: FLEET.replace('backup: { to: vie,', 'backup: { to: nue,') }]);
  const p = res.problems.find((x) => x.code === 'HAFEN_FLEET_BACKUP_NO_REPOSITORY');
  assert.ok(p, JSON.stringify(res.problems));
  assert.equal(p.severity, 'warning');
  assert.match(p.message, /app "shop" backs up to site "nue", which has no host with role backup and no sites\[\]\.backupRepository\.url: its backups cannot run/);
});

test('a copy at a third site: its repository in the job, its backup host letting the agent in; without a repository there, a warning', () => {
  const withCopy = FLEET.replace("backupRepository: { sshPort: 2222 } }", "backupRepository: { sshPort: 2222 } }\n  - { id: hel, provider: p, facility: f1, country: DE, prefixes: [198.18.4.0/24], backupRepository: { url: /mnt/copies } }").replace('backup: { to: vie, keep: { daily: 7 }, volumes: [db] }', 'backup: { to: vie, copyTo: hel, keep: { daily: 7 }, volumes: [db] }');
  const res = validateFleet([{ name: 'fleet.yaml', text: withCopy }]);
  assert.ok(res.fleet, JSON.stringify(res.problems));
  const placements = [{ app: 'shop', replica: 1, host: 'nue-app-01', site: 'nue' }];
  const { jobs } = backupJobs(res.fleet, placements as never, new Map([['vie-backup-01', '198.18.2.70']]), new Map());
  assert.deepEqual(jobs.get('nue-app-01')?.[0]?.copy, { site: 'hel', url: '/mnt/copies/huber/shop' });
  const noCopyHome = validateFleet([{ name: 'fleet.yaml', text: withCopy.replace(', backupRepository: { url: /mnt/copies } }', ' }') }]);
  const p = noCopyHome.problems.find((x) => x.code === 'HAFEN_FLEET_BACKUP_NO_REPOSITORY');
  assert.match(p?.message ?? '', /app "shop" copies its backups to site "hel", which has no host with role backup .*: the copies are not made until it has one/);
});

test('a fixed sftp URL: its user, address and port; keys managed by hand unless a backup host is named', () => {
  const site = { id: 'vie', provider: 'p', facility: 'f', country: 'AT', prefixes: [] } as never as Parameters<typeof repositoryFor>[0]['sites'][number];
  const fixed = (backupRepository: object) => repositoryFor({ sites: [{ ...site, backupRepository } as never], hosts: [] }, 'vie', 'huber', 'shop', new Map());
  assert.deepEqual(fixed({ url: 'sftp:bk@10.1.2.3:/tank/', sshPort: 2200 }), { site: 'vie', url: 'sftp:bk@10.1.2.3:/tank/huber/shop', sftp: { user: 'bk', address: '10.1.2.3', port: 2200 } });
  assert.equal((fixed({ url: 'sftp:bk@10.1.2.3:/tank', host: 'vie-backup-01' }) as { backupHost?: string }).backupHost, 'vie-backup-01');
});

test('backup access: each backup host lets in the keys of the agents whose jobs back up there, sftp only', () => {
  const job = (app: string, backupHost?: string) => ({ app, repository: { site: 'vie', url: `sftp:restic@a:/r/${app}`, sftp: { user: 'restic', address: 'a', port: 22 }, ...(backupHost ? { backupHost } : {}) } }) as never;
  const jobs = new Map([
    ['nue-app-02', [job('wiki', 'vie-backup-01')]],
    ['nue-app-01', [job('shop', 'vie-backup-01'), job('blog', 'vie-backup-01'), job('mail')]],
    ['hel-app-01', [job('crm', 'vie-backup-01')]],
  ]);
  const keys = new Map([
    ['nue-app-01', 'ssh-ed25519 AAAAC3one hafen-agent@nue-app-01'],
    ['nue-app-02', 'ssh-ed25519 AAAAC3two'],
  ]);
  const access = backupAccess(jobs, keys);
  // hel-app-01 has reported no key yet; mail's repository is managed by hand.
  assert.deepEqual([...access.keys()], ['vie-backup-01']);
  assert.deepEqual(access.get('vie-backup-01'), [
    { host: 'nue-app-01', key: 'ssh-ed25519 AAAAC3one hafen-agent@nue-app-01', apps: ['blog', 'shop'] },
    { host: 'nue-app-02', key: 'ssh-ed25519 AAAAC3two', apps: ['wiki'] },
  ]);
  const file = authorizedKeys(access.get('vie-backup-01')!);
  assert.equal(
    file,
    '# Managed by the hafen agent of this backup host: edits are overwritten.\n' +
      'restrict,command="internal-sftp" ssh-ed25519 AAAAC3one hafen-agent@nue-app-01 (blog, shop)\n' +
      'restrict,command="internal-sftp" ssh-ed25519 AAAAC3two hafen-agent@nue-app-02 (wiki)\n',
  );
  // A reported comment cannot smuggle options or a second line in: only the key type and body are used.
  assert.doesNotMatch(authorizedKeys([{ host: 'x', key: 'ssh-ed25519 AAAA evil\ncommand="sh" ssh-ed25519 BBBB', apps: ['a'] }]), /command="sh"/);
});

test('pruneEvery: hours or days, a week by default; anything else is named', () => {
  const withPrune = (v: string) => validateFleet([{ name: 'fleet.yaml', text: FLEET.replace('backup: { to: vie, keep: { daily: 7 }, volumes: [db] }', `backup: { to: vie, keep: { daily: 7 }, volumes: [db], pruneEvery: "${v}" }`) }]);
  const ok = withPrune('36h');
  assert.ok(ok.fleet, JSON.stringify(ok.problems));
  const { jobs } = backupJobs(ok.fleet, [{ app: 'shop', replica: 1, host: 'nue-app-01', site: 'nue' }] as never, new Map([['vie-backup-01', '198.18.2.70']]), new Map());
  assert.equal(jobs.get('nue-app-01')?.[0]?.pruneEveryMs, 36 * 3_600_000);
  const bad = withPrune('2w');
  assert.match(bad.problems.map((p) => `${p.path}: ${p.message}`).join('\n'), /apps\[0\]\.backup\.pruneEvery: "2w" must be hours or days, like "24h" or "7d"/);
});

test('a standby app is backed up from its active replica, wherever that runs: its standbys take no writes', () => {
  const res = validateFleet([{ name: 'fleet.yaml', text: FLEET.replace('sharedState: "files on the customer\'s NFS, db in its PostgreSQL"', 'mode: standby') }]);
  assert.ok(res.fleet, JSON.stringify(res.problems));
  // The active (r1) runs at vie, the repository's site; the standby at nue.
  const placements = [
    { app: 'shop', replica: 1, host: 'vie-app-01', site: 'vie' },
    { app: 'shop', replica: 2, host: 'nue-app-01', site: 'nue' },
  ];
  const { jobs } = backupJobs(res.fleet, placements as never, new Map([['vie-backup-01', '198.18.2.70']]), new Map([['backup-shop', 3]]));
  assert.deepEqual([...jobs].map(([host, list]) => [host, list.map((j) => j.unit)]), [['vie-app-01', ['shop-r1']]]);
});
