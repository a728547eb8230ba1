import assert from 'node:assert/strict';
import { test } from 'node:test';
import { composeFiles, normalPath, projectKey, splitComposeFile, type ProjectTree } from './project.js';

const tree = (...paths: string[]): ProjectTree => ({ digest: 'd', files: paths.map((path) => ({ path, size: 1, mode: 0o644, digest: 'x' })), text: () => '' });

test('a project is keyed by where the fleet file that names it is', () => {
  assert.equal(projectKey('fleet/apps.yaml', 'gitea'), 'fleet/gitea');
  assert.equal(projectKey('fleet/customers/huber.yaml', '../../projects/./gitea/'), 'projects/gitea');
  assert.equal(projectKey('fleet.yaml', '.'), '');
  assert.equal(projectKey('/srv/fleet/fleet.yaml', 'apps/gitea'), '/srv/fleet/apps/gitea');
  assert.equal(projectKey('fleet.yaml', '/srv/gitea'), undefined, 'an absolute project path does not travel with the fleet');
  assert.equal(projectKey('fleet.yaml', '../outside'), undefined);
  assert.equal(normalPath('a/../../b'), undefined);
  assert.deepEqual(splitComposeFile('gitea/docker-compose.yml'), { project: 'gitea', files: ['docker-compose.yml'] });
  assert.deepEqual(splitComposeFile('compose.yaml'), { project: '.', files: ['compose.yaml'] });
});

test('compose files are found as Compose finds them without -f: the first default name, and its override', () => {
  assert.deepEqual(composeFiles(tree('docker-compose.yml', 'compose.yaml', 'compose.override.yaml')), ['compose.yaml', 'compose.override.yaml']);
  assert.deepEqual(composeFiles(tree('docker-compose.yml', 'docker-compose.override.yml')), ['docker-compose.yml', 'docker-compose.override.yml']);
  assert.deepEqual(composeFiles(tree('compose.yaml', 'prod.yaml'), ['compose.yaml', './prod.yaml']), ['compose.yaml', 'prod.yaml']);
  assert.match(composeFiles(tree('README.md')) as string, /holds no compose file/);
  assert.match(composeFiles(tree('compose.yaml'), ['prod.yaml']) as string, /no compose file "prod.yaml"/);
  assert.match(composeFiles(tree('compose.yaml'), ['../x.yaml']) as string, /outside the project directory/);
});
