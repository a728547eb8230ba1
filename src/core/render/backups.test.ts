import assert from 'node:assert/strict';
import { test } from 'node:test';
import { validateFleet } from '../fleet/validate.js';
import { backupJobs, repositoryFor } from './backups.js';

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
    redundancy: { replicas: 2, spreadOver: site }
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
      repository: { site: 'vie', url: 'sftp:restic@198.18.2.70:/srv/restic/huber/shop', sftp: { user: 'restic', address: '198.18.2.70', port: 2222 } },
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
