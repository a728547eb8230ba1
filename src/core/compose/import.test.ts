import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parse } from 'yaml';
import { adoptCheck, dataDirsOf, guessCustomer, idOf, importProject, relativeFiles, sizeText, volumesOf, type RunningProject } from './import.js';
import { importFleetYaml } from './import-yaml.js';

const project = (over: Partial<RunningProject> = {}): RunningProject => ({
  name: 'huber_gitea',
  workingDir: '/srv/compose/gitea',
  configFiles: ['docker-compose.yml', '/srv/compose/gitea/docker-compose.prod.yml'],
  managed: false,
  containers: [
    {
      name: 'huber_gitea_server_1',
      service: 'server',
      state: 'running',
      configHash: 'h-server',
      ports: ['3000/tcp', '222/tcp'],
      memoryBytes: 200 * 1024 * 1024,
      mounts: [
        { type: 'volume', source: '/var/lib/docker/volumes/huber_gitea_git_data/_data', name: 'huber_gitea_git_data', rw: true },
        { type: 'bind', source: '/srv/compose/gitea/app.ini', rw: true },
        { type: 'bind', source: '/srv/compose/gitea/custom', rw: false },
      ],
    },
    {
      name: 'huber_gitea_db_1',
      service: 'db',
      state: 'running',
      configHash: 'h-db',
      ports: [],
      mounts: [
        { type: 'bind', source: '/srv/compose/gitea/postgres', rw: true },
        { type: 'bind', source: '/srv/compose/gitea/postgres/wal', rw: true },
        { type: 'bind', source: '/var/backups/gitea', rw: true },
        { type: 'volume', source: '/x', name: 'shared_cache', rw: true },
      ],
    },
  ],
  ...over,
});

const dirs = new Set(['/srv/compose/gitea/custom', '/srv/compose/gitea/postgres', '/srv/compose/gitea/postgres/wal', '/var/backups/gitea']);
const isDirectory = (p: string) => dirs.has(p);

test('names: an app id and a guessed customer from a Compose project name', () => {
  assert.equal(idOf('huber_gitea'), 'huber-gitea');
  assert.equal(idOf('__'), 'imported');
  assert.equal(guessCustomer('huber_gitea'), 'huber');
  assert.equal(guessCustomer('wp-site'), 'wp-site', 'a prefix of two letters is no customer');
  assert.equal(guessCustomer('nextcloud'), 'nextcloud');
});

test('compose files are taken relative to the working directory; one outside it cannot travel with the project', () => {
  assert.deepEqual(relativeFiles('/srv/a', ['docker-compose.yml', '/srv/a/prod/x.yml']), ['docker-compose.yml', 'prod/x.yml']);
  assert.match(relativeFiles('/srv/a', ['/etc/compose.yml']) as string, /outside its working directory/);
  assert.match(relativeFiles('/srv/a', ['../b/compose.yml']) as string, /outside/);
  assert.match(relativeFiles('/srv/a', []) as string, /no compose file/);
});

test('data are the writable bind-mounted directories inside the project; read-only ones, files and host paths are not', () => {
  assert.deepEqual(dataDirsOf(project(), isDirectory), ['postgres']);
  assert.deepEqual(volumesOf(project()), { own: ['git_data'], other: ['shared_cache'] });
});

test('adoption: Compose\'s hash per service against the containers\'', () => {
  assert.deepEqual(adoptCheck(project(), new Map([['server', 'h-server'], ['db', 'h-db']])), { kind: 'kept' });
  assert.deepEqual(adoptCheck(project(), new Map([['server', 'other'], ['db', 'h-db']])), { kind: 'recreated', services: ['server'] });
  assert.deepEqual(adoptCheck(project(), 'compose refused it'), { kind: 'unknown', reason: 'compose refused it' });
});

test('an imported project: its facts, what to review, and the fleet YAML that adopts it where it runs', () => {
  const imported = importProject(project(), { isDirectory, adopt: { kind: 'recreated', services: ['db'] } });
  assert.equal(imported.skip, undefined);
  assert.equal(imported.app, 'huber-gitea');
  assert.equal(imported.customer, 'huber');
  assert.equal(imported.port, 222, 'the lowest published TCP port');
  assert.ok(imported.review.some((r) => /recreates db/.test(r)));
  assert.ok(imported.review.some((r) => /not its own \(shared_cache\)/.test(r)));
  assert.equal(importProject(project({ managed: true }), { isDirectory, adopt: { kind: 'kept' } }).skip, 'hafen runs it already');
  assert.match(importProject(project({ configFiles: ['/etc/x.yml'] }), { isDirectory, adopt: { kind: 'kept' } }).skip!, /outside/);

  const text = importFleetYaml([imported], { host: 'nue-app-01', projectsDir: 'projects', sizes: new Map([['huber_gitea_git_data', 3 * 1024 ** 3 + 1], ['/srv/compose/gitea/postgres', 5 * 1024 ** 2]]), declareCustomers: true, at: new Date().toISOString() });
  const doc = parse(text) as { customers: { id: string }[]; apps: Record<string, unknown>[] };
  assert.deepEqual(doc.customers, [{ id: 'huber' }]);
  assert.deepEqual(doc.apps[0], {
    id: 'huber-gitea',
    customer: 'huber',
    placement: { hosts: ['nue-app-01'] },
    resources: { cpu: 0.5, memory: '512MiB' },
    port: 222,
    volumes: [{ name: 'git_data', size: '4GiB' }],
    workload: { compose: { project: 'projects/huber-gitea', name: 'huber_gitea', workingDir: '/srv/compose/gitea', files: ['docker-compose.yml', 'docker-compose.prod.yml'], data: ['./postgres'] } },
  });
  assert.match(text, /customer: huber # review: guessed/);
  assert.match(text, /workingDir: \/srv\/compose\/gitea # review: taking it over recreates db/);
  assert.match(text, /- \.\/postgres # 5MiB when imported/);
  assert.match(text, /project: projects\/huber-gitea # review: it mounts volumes that are not its own \(shared_cache\)/);
  assert.equal(sizeText(0), '1MiB');
  assert.equal(sizeText(1024 ** 3), '1GiB');
});
