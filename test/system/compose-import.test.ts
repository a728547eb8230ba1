/**
 * Taking over a compose project that already runs on a host, without restarting it. The project
 * (awesome-compose's gitea-postgres as published, with an override of the user's beside it that
 * puts busybox stand-ins in place of images no registry here serves, binds a data directory and
 * a config file) is started by hand as its owner would: `docker-compose up -d` in its
 * directory. `hafen import` then writes the fleet for it; the fleet validates; the compose driver
 * runs the app from that fleet — and every container is the one that ran before, started at the
 * same moment, with its data. Removed from the fleet, the project goes down and its directory
 * and data stay where they were.
 */
import assert from 'node:assert/strict';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { ComposeDriver } from '../../src/agent/drivers/compose.js';
import { loadFleet } from '../../src/cli/load.js';
import { schedule } from '../../src/core/placement/schedule.js';
import { desiredState } from '../../src/core/render/desired.js';
import { BUSYBOX_IMAGE, ensureBusyboxImage, hostPortFree, removeComposeProject } from '../helpers/docker.js';
import { FIXTURES, hafen } from '../helpers/paths.js';
import { DOCKER, run, works } from '../helpers/system.js';

const dockerUp = works(DOCKER, ['info']) && works('docker-compose', ['version']);
if (!dockerUp && process.env.HAFEN_REQUIRE_SYSTEM === '1') throw new Error('required system component missing: a Docker engine with docker-compose (run scripts/install-system-deps.sh and scripts/start-services.sh)');

/** Named after its directory, as Compose derives it. */
const PROJECT = 'huber-gitea';
const PORT = 3000;

/** The owner's own override: stand-ins for the images, a data directory and a config file bind-mounted. */
const OWNER_OVERRIDE = `services:
  gitea:
    image: ${BUSYBOX_IMAGE}
    init: true
    command: ["sh", "-c", "mkdir -p /www && cp /etc/gitea/app.ini /www/index.html && exec httpd -f -p 3000 -h /www"]
    volumes: ["./app.ini:/etc/gitea/app.ini:ro"]
  db:
    image: ${BUSYBOX_IMAGE}
    init: true
    command: ["sh", "-c", "date +%s%N >> /var/lib/postgresql/data/starts; exec sleep 3600"]
    volumes: ["./dumps:/dumps"]
`;

const BASE_FLEET = `
providers: [{ id: pa }]
facilities: [{ id: f1, operator: pa, country: DE }]
sites: [{ id: nue, provider: pa, facility: f1, country: DE, prefixes: [198.18.0.0/24] }]
siteTemplate: { segments: [{ name: apps, role: apps, prefixLength: 26 }] }
hosts:
  - { id: nue-app-01, site: nue, cpu: 4, memory: 8GiB, disk: 100GiB }
  - { id: nue-app-02, site: nue, cpu: 4, memory: 8GiB, disk: 100GiB }
customers: [{ id: huber }]
`;

/** Each service's container: its id and when it was started. */
function containers(): Record<string, string> {
  const ids = run(DOCKER, ['ps', '-q', '--filter', `label=com.docker.compose.project=${PROJECT}`]).stdout.split('\n').filter(Boolean);
  if (ids.length === 0) return {};
  const out = run(DOCKER, ['inspect', '--format', '{{index .Config.Labels "com.docker.compose.service"}} {{.Id}} {{.State.StartedAt}}', ...ids]).stdout;
  return Object.fromEntries(out.split('\n').filter(Boolean).map((l) => {
    const [service, ...rest] = l.split(' ');
    return [service!, rest.join(' ')];
  }));
}

test('hafen import takes over a running compose project: the fleet it writes runs it without recreating or restarting a container', { skip: !dockerUp && 'no Docker engine with docker-compose here' }, async () => {
  assert.ok(await hostPortFree(PORT), `port ${PORT} is taken on this machine: the published project binds it (as its compose file says)`);
  ensureBusyboxImage();
  removeComposeProject(PROJECT);
  const dir = mkdtempSync(join(tmpdir(), 'hafen-compose-import-'));
  const hostDir = join(dir, 'srv', PROJECT);
  const fleetDir = join(dir, 'fleet');
  const stateDir = join(dir, 'state');
  let driver: ComposeDriver | undefined;
  try {
    // The project as its owner runs it today.
    mkdirSync(hostDir, { recursive: true });
    cpSync(join(FIXTURES, 'compose-projects', 'gitea-postgres', 'compose.yaml'), join(hostDir, 'compose.yaml'));
    writeFileSync(join(hostDir, 'compose.override.yaml'), OWNER_OVERRIDE);
    writeFileSync(join(hostDir, 'app.ini'), 'gitea-config\n');
    mkdirSync(join(hostDir, 'dumps'));
    writeFileSync(join(hostDir, 'dumps', 'nightly.sql'), 'a dump that must stay on the host\n');
    mkdirSync(join(hostDir, '.git'));
    writeFileSync(join(hostDir, '.git', 'HEAD'), 'ref: refs/heads/main\n');
    const up = run('docker-compose', ['up', '-d'], { cwd: hostDir });
    assert.equal(up.status, 0, up.stderr);
    const before = containers();
    assert.deepEqual(Object.keys(before).sort(), ['db', 'gitea']);

    // Imported into a fleet directory beside a base fleet.
    mkdirSync(fleetDir);
    writeFileSync(join(fleetDir, 'fleet.yaml'), BASE_FLEET);
    const imported = hafen(['import', '--host', 'nue-app-01', '--out', fleetDir, '--customer', 'huber', '--project', PROJECT, '--format', 'json']);
    assert.equal(imported.status, 0, imported.stderr);
    const report = JSON.parse(imported.stdout) as { file: string; projects: { name: string; app: string; workingDir: string; files: string[]; ports: string[]; port: number; volumes: { name: string; bytes?: number }[]; data: { path: string; bytes?: number }[]; adopt: { kind: string } }[] };
    assert.equal(report.projects.length, 1);
    const p = report.projects[0]!;
    assert.deepEqual(
      { name: p.name, app: p.app, workingDir: p.workingDir, files: p.files, ports: p.ports, port: p.port, volumes: p.volumes.map((v) => v.name), data: p.data.map((d) => d.path), adopt: p.adopt },
      { name: PROJECT, app: PROJECT, workingDir: hostDir, files: ['compose.yaml', 'compose.override.yaml'], ports: ['3000/tcp'], port: 3000, volumes: ['db_data', 'git_data'], data: ['./dumps'], adopt: { kind: 'kept' } },
    );
    assert.ok(p.data[0]!.bytes! > 0, 'the data directory was measured');
    // The copy: the project's files as they are; neither its data nor .git.
    const copy = join(fleetDir, 'projects', PROJECT);
    assert.equal(readFileSync(join(copy, 'compose.yaml'), 'utf8'), readFileSync(join(FIXTURES, 'compose-projects', 'gitea-postgres', 'compose.yaml'), 'utf8'));
    assert.equal(readFileSync(join(copy, 'app.ini'), 'utf8'), 'gitea-config\n');
    assert.ok(!existsSync(join(copy, 'dumps', 'nightly.sql')) && !existsSync(join(copy, '.git')));
    const written = readFileSync(report.file, 'utf8');
    assert.match(written, /workingDir: .*huber-gitea/);
    assert.match(written, /# review:/);

    // A second import into the same directory refuses to overwrite it.
    const again = hafen(['import', '--host', 'nue-app-01', '--out', fleetDir, '--customer', 'huber', '--project', PROJECT]);
    assert.equal(again.status, 1);
    assert.match(again.stderr, /exist.*--force replaces/);

    // The fleet validates as written, and its app is placed on the host it runs on.
    const loaded = await loadFleet(fleetDir);
    assert.ok(loaded.result.fleet, JSON.stringify(loaded.result.problems, null, 1));
    const fleet = loaded.result.fleet;
    const placements = schedule(fleet).placements;
    assert.deepEqual(placements.map((pl) => [pl.app, pl.host]), [[PROJECT, 'nue-app-01']]);
    const units = desiredState(fleet, placements, 1).get('nue-app-01')!.units;

    // The agent's driver runs it: Compose finds nothing to change.
    driver = await ComposeDriver.open({
      stateDir,
      docker: DOCKER,
      blobs: async (digests) => new Map([...loaded.projects.values()].flatMap((pr) => pr.files.filter((f) => digests.includes(f.digest)).map((f) => [f.digest, pr.contents.get(f.path)!] as const))),
    });
    await driver.apply(units);
    assert.deepEqual(containers(), before, 'every container is the one that ran, started when it was');
    assert.deepEqual((await driver.status()).map((s) => [s.name, s.app, s.state, s.hash]), [[units[0]!.name, PROJECT, 'running', units[0]!.hash]]);
    assert.equal(run(DOCKER, ['exec', before.db!.split(' ')[0]!, 'sh', '-c', 'wc -l < /var/lib/postgresql/data/starts']).stdout.trim(), '1', 'the database was started once');
    const page = await fetch(`http://127.0.0.1:${PORT}/`).then((r) => r.text());
    assert.equal(page, 'gitea-config\n');
    assert.equal(readFileSync(join(hostDir, 'dumps', 'nightly.sql'), 'utf8'), 'a dump that must stay on the host\n');
    // Its data paths are where the project keeps them: in its own directory and its volumes.
    const paths = await driver.dataPaths({ name: units[0]!.name }, ['db_data', './dumps']);
    assert.deepEqual(paths, [run(DOCKER, ['volume', 'inspect', '--format', '{{.Mountpoint}}', `${PROJECT}_db_data`]).stdout.trim(), join(hostDir, 'dumps')]);

    // The agent's next pull of the same revision, and a restarted agent: still nothing recreated.
    await driver.apply(units);
    const restarted = await ComposeDriver.open({ stateDir, docker: DOCKER });
    assert.deepEqual((await restarted.status()).map((s) => [s.name, s.state, s.hash]), [[units[0]!.name, 'running', units[0]!.hash]], 'found again by Compose\'s project label and the driver\'s record');
    assert.deepEqual(containers(), before);

    // Taken out of the fleet: its containers go; its directory, files and data stay.
    await driver.apply([]);
    assert.deepEqual(containers(), {});
    assert.deepEqual(await driver.status(), []);
    assert.ok(existsSync(join(hostDir, 'compose.yaml')) && existsSync(join(hostDir, 'app.ini')));
    assert.equal(readFileSync(join(hostDir, 'dumps', 'nightly.sql'), 'utf8'), 'a dump that must stay on the host\n');
    assert.equal(run(DOCKER, ['volume', 'inspect', `${PROJECT}_db_data`]).status, 0, 'the named volume stays');
  } finally {
    await driver?.stopAll().catch(() => {});
    removeComposeProject(PROJECT);
    rmSync(dir, { recursive: true, force: true });
  }
});
