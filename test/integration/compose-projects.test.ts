/**
 * Compose project directories from the CLI to the agents: five public projects as published
 * (test/fixtures/compose-projects, awesome-compose) validate untouched; `hafen apply` ships them
 * to a controller, which keeps them across a restart and a rollback, and hands each file only
 * to the agent of a host whose units run its project. How a project directory is read.
 */
import assert from 'node:assert/strict';
import { cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { readComposeProjects, readProject } from '../../src/cli/compose-projects.js';
import { validateFleet } from '../../src/core/fleet/validate.js';
import { COMPOSE_PROJECTS, fixtureFleet, fixtureProjects } from '../helpers/compose-fixtures.js';
import { HafenClient } from '../../src/client/client.js';
import { startController } from '../../src/controller/main.js';
import { isHafenError } from '../../src/lib/errors.js';
import { FIXTURES, hafenAsync } from '../helpers/paths.js';

const PROJECTS = join(FIXTURES, 'compose-projects');

test('five published compose projects validate as they are; a typo, an undefined variable and a missing file are found at their lines', async () => {
  const ok = await hafenAsync(['validate', join(PROJECTS, 'fleet.yaml')]);
  assert.equal(ok.status, 0, ok.stderr);
  assert.match(ok.stdout, /5 apps \(0 critical\), 12 containers/);

  const dir = mkdtempSync(join(tmpdir(), 'hafen-compose-broken-'));
  try {
    cpSync(PROJECTS, dir, { recursive: true });
    const edit = (file: string, from: string, to: string) => writeFileSync(join(dir, file), readFileSync(join(dir, file), 'utf8').replace(from, to));
    edit('gitea-postgres/compose.yaml', '  db:\n    image: postgres:alpine\n    environment:', '  db:\n    image: postgres:alpine\n    enviroment:');
    edit('wordpress-mysql/compose.yaml', 'MYSQL_ROOT_PASSWORD=somewordpress', 'MYSQL_ROOT_PASSWORD=${ROOT_PASSWORD}');
    rmSync(join(dir, 'nginx-golang-postgres', 'db', 'password.txt'));
    const res = await hafenAsync(['validate', join(dir, 'fleet.yaml'), '--format', 'json']);
    assert.equal(res.status, 1);
    const problems = (JSON.parse(res.stdout) as { problems: { file: string; line: number; code: string; message: string }[] }).problems;
    const rel = (f: string) => f.slice(dir.length + 1);
    assert.deepEqual(problems.map((p) => [rel(p.file), p.line, p.code]), [
      ['gitea-postgres/compose.yaml', 17, 'HAFEN_FLEET_UNKNOWN_KEY'],
      ['nginx-golang-postgres/compose.yaml', 48, 'HAFEN_FLEET_COMPOSE_FILE_MISSING'],
      ['wordpress-mysql/compose.yaml', 12, 'HAFEN_FLEET_UNDEFINED_VARIABLE'],
    ]);
    assert.match(problems[0]!.message, /unknown key "enviroment".*did you mean "environment"/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('every public project of the fixtures (the five above and 34 more of awesome-compose) validates as published', async () => {
  const projects = fixtureProjects();
  assert.ok(projects.length >= 39, projects.join(', '));
  const sources = [{ name: join(COMPOSE_PROJECTS, 'all.yaml'), text: fixtureFleet(projects) }];
  const res = validateFleet(sources, { projects: await readComposeProjects(sources) });
  assert.deepEqual(res.problems.filter((p) => p.severity === 'error').map((p) => `${p.file}:${p.line}: ${p.message}`), []);
  assert.equal(res.fleet?.apps.length, projects.length);
});

test('hafen apply ships the projects; the controller keeps them through a restart and a rollback, and gives a file only to a host that runs it', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'hafen-compose-ship-'));
  const data = join(dir, 'controller');
  let controller = await startController({ data, listen: '127.0.0.1:0' });
  const url = controller.url;
  const token = readFileSync(join(data, 'admin.token'), 'utf8').trim();
  const admin = new HafenClient(url, token);
  const fleetDir = join(dir, 'fleet');
  try {
    cpSync(PROJECTS, fleetDir, { recursive: true });
    const env = { ...process.env, HAFEN_CONTROLLER: url, HAFEN_TOKEN: token };
    const applied = await hafenAsync(['apply', join(fleetDir, 'fleet.yaml'), '--yes'], { env });
    assert.equal(applied.status, 0, applied.stderr);
    const compose = readFileSync(join(fleetDir, 'gitea-postgres', 'compose.yaml'));
    const digest = createHash('sha256').update(compose).digest('hex');

    // The host whose units run the project gets its files; the other host does not.
    const status = await admin.status();
    const giteaHost = status.apps.find((a) => a.app === 'huber-gitea')!.units[0]!.host;
    const hosts = ['nue-app-01', 'nue-app-02'];
    const clientOf = async (host: string) => new HafenClient(url, (await new HafenClient(url).join((await admin.joinToken(host)).token)).credential);
    const runner = await clientOf(giteaHost);
    const desired = await runner.desired(undefined, 0);
    const unit = desired.state.units.find((u) => u.app === 'huber-gitea')!;
    assert.equal(unit.compose?.name, 'gitea-postgres');
    assert.deepEqual(unit.compose?.directory?.composeFiles, ['compose.yaml']);
    assert.equal(Buffer.from((await runner.agentBlob(digest)).content, 'base64').toString('utf8'), compose.toString('utf8'));
    await assert.rejects(runner.agentBlob('0'.repeat(64)), (e) => isHafenError(e, 'HAFEN_AGENT_BLOB_NOT_FOUND'));
    const others = await Promise.all(hosts.filter((h) => h !== giteaHost).map(clientOf));
    for (const other of others) {
      const theirs = (await other.desired(undefined, 0)).state.units.some((u) => u.compose?.directory?.files.some((f) => f.digest === digest));
      if (!theirs) await assert.rejects(other.agentBlob(digest), (e) => isHafenError(e, 'HAFEN_AGENT_BLOB_NOT_FOUND'));
    }

    // A restarted controller loads the revision and its projects from the store.
    await controller.close();
    controller = await startController({ data, listen: new URL(url).host });
    const again = await clientOf(giteaHost);
    assert.equal((await again.desired(undefined, 0)).hash, desired.hash);
    assert.equal((await again.agentBlob(digest)).digest, digest);

    // A second revision without one project, then a rollback to the first: the project is back.
    const fleet = readFileSync(join(fleetDir, 'fleet.yaml'), 'utf8');
    const without = fleet.slice(0, fleet.indexOf('  - id: huber-golang'));
    writeFileSync(join(fleetDir, 'fleet.yaml'), without);
    assert.equal((await hafenAsync(['apply', join(fleetDir, 'fleet.yaml'), '--yes'], { env })).status, 0);
    const back = await hafenAsync(['rollback', '1'], { env });
    assert.equal(back.status, 0, back.stderr);
    assert.ok((await admin.status()).apps.some((a) => a.app === 'huber-golang'));
  } finally {
    await controller.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('reading a project: version control and declared data stay behind, links inside it are followed, a link out of it and an oversized project are refused', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'hafen-compose-read-'));
  try {
    const project = join(dir, 'gitea');
    mkdirSync(join(project, '.git'), { recursive: true });
    mkdirSync(join(project, 'postgres'));
    mkdirSync(join(project, 'conf'));
    writeFileSync(join(project, 'compose.yaml'), 'services:\n  app: { image: gitea/gitea }\n');
    writeFileSync(join(project, '.git', 'HEAD'), 'ref: refs/heads/main\n');
    writeFileSync(join(project, 'postgres', 'base.dat'), Buffer.alloc(1024));
    writeFileSync(join(project, 'conf', 'app.ini'), '[server]\n');
    symlinkSync('conf/app.ini', join(project, 'app.ini'));
    const read = await readProject({ key: project, data: ['./postgres'] });
    assert.equal(read.problem, undefined);
    assert.deepEqual(read.files.map((f) => f.path), ['app.ini', 'compose.yaml', 'conf/app.ini']);
    assert.equal(read.text('app.ini'), '[server]\n');

    symlinkSync('/etc/hostname', join(project, 'hostname'));
    assert.match((await readProject({ key: project, data: ['./postgres'] })).problem ?? '', /^hostname is a symbolic link to \/etc\/hostname, outside the project directory/);
    rmSync(join(project, 'hostname'));

    const large = await readProject({ key: project, data: [] });
    assert.equal(large.problem, undefined, 'a small data directory may be shipped');
    writeFileSync(join(project, 'postgres', 'huge.dat'), Buffer.alloc(9 * 1024 * 1024));
    assert.match((await readProject({ key: project, data: [] })).problem ?? '', /^postgres\/huge\.dat is 9\.0 MiB, more than the 8\.0 MiB .*declare directories that hold data in workload\.compose\.data/);
    assert.equal((await readProject({ key: join(dir, 'nope'), data: [] })).problem, 'no such directory');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('hafen import without a Docker engine to ask says so, and writes nothing', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'hafen-import-'));
  try {
    const res = await hafenAsync(['import', '--host', 'nue-app-01', '--out', dir, '--docker', join(dir, 'no-docker-here')]);
    assert.equal(res.status, 1);
    assert.match(res.stderr, /cannot list containers with .*no-docker-here: .*ENOENT.*\[HAFEN_CLI_DOCKER\]/);
    assert.deepEqual(readdirSync(dir), []);
    const usage = await hafenAsync(['import', '--out', dir]);
    assert.equal(usage.status, 2);
    assert.match(usage.stderr, /--host/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
