/**
 * A public compose project as published (awesome-compose's gitea-postgres, test/fixtures/
 * compose-projects) run as a hafen app through the compose driver on a real Docker engine: read
 * and validated as `workload.compose.project`, rendered, its files written on the host from
 * their digests, brought up under its own project name with hafen's override. Its images cannot
 * be pulled here, so the test writes its own compose.override.yaml beside a copy (busybox
 * instead of Gitea and PostgreSQL), never editing the project's file. Then: a redeploy of the
 * same revision recreates nothing, a changed value recreates only its service, the named
 * volume keeps its data, a backup of its data (named volumes and data directory) restores
 * them, and removing the app keeps the volume and the data directory.
 */
import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { readComposeProjects, type ReadProject } from '../../src/cli/compose-projects.js';
import { ComposeDriver } from '../../src/agent/drivers/compose.js';
import { Restic } from '../../src/agent/backup/restic.js';
import { dataOf, type Fleet } from '../../src/core/fleet/model.js';
import { validateFleet } from '../../src/core/fleet/validate.js';
import { schedule } from '../../src/core/placement/schedule.js';
import { desiredState } from '../../src/core/render/desired.js';
import { BUSYBOX_IMAGE, ensureBusyboxImage, hostPortFree, removeComposeProject } from '../helpers/docker.js';
import { FIXTURES } from '../helpers/paths.js';
import { DOCKER, run, works } from '../helpers/system.js';

const dockerUp = works(DOCKER, ['info']) && (works('docker-compose', ['version']) || works(DOCKER, ['compose', 'version']));
if (!dockerUp && process.env.HAFEN_REQUIRE_SYSTEM === '1') throw new Error('required system component missing: a Docker engine with compose (run scripts/install-system-deps.sh and scripts/start-services.sh)');

/** The project publishes 3000 on every address of the host, as written. */
const PORT = 3000;
const PROJECT = 'gitea-postgres';

const FLEET = `
providers: [{ id: pa }]
facilities: [{ id: f1, operator: pa, country: DE }]
sites: [{ id: nue, provider: pa, facility: f1, country: DE, prefixes: [198.18.0.0/24] }]
siteTemplate: { segments: [{ name: apps, role: apps, prefixLength: 26 }] }
hosts: [{ id: nue-app-01, site: nue, cpu: 4, memory: 8GiB, disk: 100GiB }]
customers: [{ id: huber }]
apps:
  - id: huber-gitea
    customer: huber
    workload: { compose: { project: apps/gitea-postgres, data: [./backups] } }
    resources: { cpu: 1, memory: 1GiB }
`;

/** What the test's own override puts in place of the images no registry here serves. */
function override(dbExtra = ''): string {
  return `services:
  gitea:
    image: ${BUSYBOX_IMAGE}
    init: true
    command: ["sh", "-c", "mkdir -p /www && echo gitea-stand-in > /www/index.html && exec httpd -f -p 3000 -h /www"]
  db:
    image: ${BUSYBOX_IMAGE}
    init: true
    command: ["sh", "-c", "[ -f /var/lib/postgresql/data/first ] || date +%s%N > /var/lib/postgresql/data/first; exec sleep 3600"]
    volumes: ["./backups:/backups"]${dbExtra}
`;
}

/** A project's containers, volumes and networks gone. */
const cleanDocker = (project = PROJECT) => removeComposeProject(project);

test('a published compose project runs as it is: deployed, redeployed without a recreate, one changed service recreated, its data kept', { skip: !dockerUp && 'no Docker engine with compose here' }, async () => {
  assert.ok(await hostPortFree(PORT), `port ${PORT} is taken on this machine: the published project binds it (as its compose file says)`);
  ensureBusyboxImage();
  cleanDocker();
  const dir = mkdtempSync(join(tmpdir(), 'hafen-compose-project-'));
  const fleetDir = join(dir, 'fleet');
  cpSync(join(FIXTURES, 'compose-projects', PROJECT), join(fleetDir, 'apps', PROJECT), { recursive: true });
  const published = readFileSync(join(fleetDir, 'apps', PROJECT, 'compose.yaml'), 'utf8');
  writeFileSync(join(fleetDir, 'fleet.yaml'), FLEET);
  const stateDir = join(dir, 'state');
  let projects = new Map<string, ReadProject>();
  const driver = await ComposeDriver.open({
    stateDir,
    docker: DOCKER,
    blobs: async (digests) => {
      const out = new Map<string, Buffer>();
      for (const p of projects.values()) for (const f of p.files) if (digests.includes(f.digest)) out.set(f.digest, p.contents.get(f.path)!);
      return out;
    },
  });
  let fleet: Fleet | undefined;
  const units = async () => {
    const sources = [{ name: join(fleetDir, 'fleet.yaml'), text: FLEET }];
    projects = await readComposeProjects(sources);
    const res = validateFleet(sources, { projects });
    assert.ok(res.fleet, JSON.stringify(res.problems, null, 1));
    fleet = res.fleet;
    return desiredState(res.fleet, schedule(res.fleet).placements, 1).get('nue-app-01')!.units;
  };
  const containers = () =>
    Object.fromEntries(
      run(DOCKER, ['ps', '-q', '--filter', `label=com.docker.compose.project=${PROJECT}`, '--format', '{{.Label "com.docker.compose.service"}} {{.ID}}']).stdout.split('\n').filter(Boolean).map((l) => l.split(' ') as [string, string]),
    );
  const served = async () => {
    for (let i = 0; i < 100; i++) {
      const body = await fetch(`http://127.0.0.1:${PORT}/`).then((r) => r.text(), () => '');
      if (body.includes('gitea-stand-in')) return body;
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error(`nothing served on ${PORT}`);
  };
  try {
    writeFileSync(join(fleetDir, 'apps', PROJECT, 'compose.override.yaml'), override());
    const first = await units();
    assert.equal(first[0]!.compose!.name, PROJECT, 'the project keeps the name Compose derives from its directory');
    await driver.apply(first);
    await served();
    const status = await driver.status();
    assert.deepEqual(status.map((s) => [s.name, s.state, s.hash]), [['huber-gitea-r1', 'running', first[0]!.hash]]);
    const before = containers();
    assert.deepEqual(Object.keys(before).sort(), ['db', 'gitea']);
    const firstWrite = run(DOCKER, ['exec', before.db!, 'cat', '/var/lib/postgresql/data/first']).stdout.trim();
    assert.ok(firstWrite.length > 0);

    // The same revision again (an agent's next pull): nothing is recreated.
    await driver.apply(await units());
    assert.deepEqual(containers(), before);

    // One service's environment changes: Compose recreates that one only.
    writeFileSync(join(fleetDir, 'apps', PROJECT, 'compose.override.yaml'), override('\n    environment: [EXTRA=1]'));
    const changed = await units();
    assert.notEqual(changed[0]!.hash, first[0]!.hash);
    await driver.apply(changed);
    await served();
    const after = containers();
    assert.equal(after.gitea, before.gitea, 'gitea was not recreated');
    assert.notEqual(after.db, before.db, 'db was recreated with its new environment');
    assert.equal(run(DOCKER, ['exec', after.db!, 'cat', '/var/lib/postgresql/data/first']).stdout.trim(), firstWrite, 'the named volume kept its data');
    assert.equal(run(DOCKER, ['exec', after.db!, 'sh', '-c', 'echo $EXTRA']).stdout.trim(), '1');

    // What only Compose can judge (a network no file declares) is refused before any container is
    // touched: by `config` (v2), or as `up` loads the project (1.29's `config` lets this one pass).
    writeFileSync(join(fleetDir, 'apps', PROJECT, 'compose.override.yaml'), override('\n    environment: [EXTRA=1]\n    networks: [nowhere]'));
    await assert.rejects(driver.apply(await units()), (err: Error) => /compose (config|up) of gitea-postgres failed: .*nowhere/.test(err.message));
    assert.deepEqual(containers(), after, 'nothing was recreated');
    writeFileSync(join(fleetDir, 'apps', PROJECT, 'compose.override.yaml'), override('\n    environment: [EXTRA=1]'));
    await driver.apply(await units());
    assert.deepEqual(containers(), after);

    // The data directory (declared data, bind-mounted) is on the host, beside the shipped files.
    run(DOCKER, ['exec', after.db!, 'sh', '-c', 'echo dump > /backups/dump.sql']);
    const dump = join(stateDir, 'projects', PROJECT, 'files', 'backups', 'dump.sql');
    assert.equal(readFileSync(dump, 'utf8').trim(), 'dump');
    assert.equal(readFileSync(join(stateDir, 'projects', PROJECT, 'files', 'compose.yaml'), 'utf8'), published, 'the project\'s file is written as published');

    // Its data, as a backup takes it: the named volumes its file declares and the data directory.
    const data = dataOf(fleet!.apps[0]!);
    assert.deepEqual(data, ['db_data', 'git_data', './backups']);
    const paths = await driver.dataPaths({ name: 'huber-gitea-r1' }, data);
    const mountpoint = run(DOCKER, ['volume', 'inspect', '--format', '{{.Mountpoint}}', `${PROJECT}_db_data`]).stdout.trim();
    assert.ok(paths.includes(mountpoint) && paths.includes(join(stateDir, 'projects', PROJECT, 'files', 'backups')), paths.join(', '));
    if (works('restic', ['version'])) {
      const restic = new Restic({ url: join(dir, 'repo'), password: 'not-a-real-one' });
      await restic.init();
      await restic.backup(paths, { host: 'nue-app-01' });
      const restored = join(dir, 'restored');
      await restic.restore('latest', restored);
      assert.equal(readFileSync(join(restored, mountpoint, 'first'), 'utf8').trim(), firstWrite, 'the named volume, restored');
      assert.equal(readFileSync(join(restored, dump), 'utf8').trim(), 'dump', 'the data directory, restored');
    } else if (process.env.HAFEN_REQUIRE_SYSTEM === '1') assert.fail('restic is missing');

    // Removed from the host: containers go; the volume and the data directory stay.
    await driver.apply([]);
    assert.deepEqual(containers(), {});
    assert.deepEqual(await driver.status(), []);
    assert.equal(run(DOCKER, ['volume', 'inspect', `${PROJECT}_db_data`]).status, 0, 'the named volume stays');
    assert.equal(readFileSync(dump, 'utf8').trim(), 'dump', 'the data directory stays');
  } finally {
    await driver.stopAll().catch(() => {});
    cleanDocker();
    rmSync(dir, { recursive: true, force: true });
  }
});

/** Stand-ins that answer HTTP with their name on `port` (busybox has no MariaDB, Redis or PHP). */
const standIn = (name: string, port: number) => `    image: ${BUSYBOX_IMAGE}\n    init: true\n    command: ["sh", "-c", "mkdir -p /www && echo ${name} > /www/index.html && exec httpd -f -p ${port} -h /www"]\n`;

test('WordPress and Nextcloud as published come up under their own names, on the networks and volumes their files declare', { skip: !dockerUp && 'no Docker engine with compose here' }, async () => {
  assert.ok(await hostPortFree(80), 'port 80 is taken on this machine: both projects publish it (as their compose files say)');
  ensureBusyboxImage();
  const cases = [
    { project: 'wordpress-mysql', app: 'huber-wordpress', overrides: { db: standIn('db', 3306), wordpress: standIn('wordpress-stand-in', 80) }, web: 'wordpress', volumes: ['db_data'], networks: ['default'] },
    { project: 'nextcloud-redis-mariadb', app: 'huber-nextcloud', overrides: { nc: standIn('nextcloud-stand-in', 80), redis: standIn('redis', 6379), db: standIn('db', 3306) }, web: 'nc', volumes: ['db_data', 'nc_data'], networks: ['dbnet', 'redisnet'] },
  ];
  const dir = mkdtempSync(join(tmpdir(), 'hafen-compose-projects-'));
  const fleetDir = join(dir, 'fleet');
  let projects = new Map<string, ReadProject>();
  const driver = await ComposeDriver.open({
    stateDir: join(dir, 'state'),
    docker: DOCKER,
    blobs: async (digests) => new Map([...projects.values()].flatMap((p) => p.files.filter((f) => digests.includes(f.digest)).map((f) => [f.digest, p.contents.get(f.path)!] as const))),
  });
  try {
    cpSync(join(FIXTURES, 'compose-projects'), fleetDir, { recursive: true });
    for (const c of cases) {
      cleanDocker(c.project);
      writeFileSync(join(fleetDir, c.project, 'compose.override.yaml'), `services:\n${Object.entries(c.overrides).map(([svc, text]) => `  ${svc}:\n${text}`).join('')}`);
    }
    // The fixture fleet names WordPress by its one file (file: …/compose.yaml); here its directory, so the test's override is merged.
    const text = readFileSync(join(fleetDir, 'fleet.yaml'), 'utf8').replace('file: wordpress-mysql/compose.yaml', 'project: wordpress-mysql');
    const sources = [{ name: join(fleetDir, 'fleet.yaml'), text }];
    projects = await readComposeProjects(sources);
    const res = validateFleet(sources, { projects });
    assert.ok(res.fleet, JSON.stringify(res.problems, null, 1));
    const all = [...desiredState(res.fleet, schedule(res.fleet).placements, 1).values()].flatMap((h) => h.units);
    // Both publish port 80: placement put them on different hosts; here one host's driver runs one, then the other.
    for (const c of cases) {
      const unit = all.find((u) => u.app === c.app)!;
      assert.equal(unit.compose!.name, c.project);
      await driver.apply([unit]);
      const body = await (async () => {
        for (let i = 0; i < 100; i++) {
          const text = await fetch('http://127.0.0.1:80/').then((r) => r.text(), () => '');
          if (text.includes('stand-in')) return text;
          await new Promise((r) => setTimeout(r, 100));
        }
        return '';
      })();
      assert.match(body, new RegExp(`${c.web === 'nc' ? 'nextcloud' : 'wordpress'}-stand-in`));
      assert.deepEqual((await driver.status()).map((s) => [s.name, s.state]), [[unit.name, 'running']]);
      const ls = (kind: string) => run(DOCKER, [kind, 'ls', '--format', '{{.Name}}', '--filter', `label=com.docker.compose.project=${c.project}`]).stdout.split('\n').filter(Boolean).sort();
      assert.deepEqual(ls('volume'), c.volumes.map((v) => `${c.project}_${v}`));
      assert.deepEqual(ls('network'), c.networks.map((n) => `${c.project}_${n}`));
      if (c.project === 'nextcloud-redis-mariadb') {
        // The networks as declared: nc reaches redis and db; redis (only on redisnet) does not reach db.
        const web = run(DOCKER, ['ps', '-q', '--filter', `label=com.docker.compose.project=${c.project}`, '--filter', 'label=com.docker.compose.service=nc']).stdout.trim();
        const redis = run(DOCKER, ['ps', '-q', '--filter', `label=com.docker.compose.project=${c.project}`, '--filter', 'label=com.docker.compose.service=redis']).stdout.trim();
        assert.equal(run(DOCKER, ['exec', web, 'wget', '-qO-', 'http://redis:6379/']).stdout.trim(), 'redis');
        assert.equal(run(DOCKER, ['exec', web, 'wget', '-qO-', 'http://db:3306/']).stdout.trim(), 'db');
        assert.notEqual(run(DOCKER, ['exec', redis, 'wget', '-qO-', '-T', '2', 'http://db:3306/']).status, 0, 'redis is not on dbnet');
      }
      await driver.apply([]);
    }
  } finally {
    await driver.stopAll().catch(() => {});
    for (const c of cases) cleanDocker(c.project);
    rmSync(dir, { recursive: true, force: true });
  }
});
