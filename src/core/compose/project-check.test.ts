import assert from 'node:assert/strict';
import { test } from 'node:test';
import { checkProject } from './project-check.js';
import type { ProjectTree } from './project.js';

function tree(files: Record<string, string>): ProjectTree {
  return { digest: 'd', files: Object.keys(files).map((path) => ({ path, size: files[path]!.length, mode: 0o644, digest: 'x' })), text: (p) => files[p] };
}

const GITEA = `services:
  gitea:
    image: gitea/gitea:latest
    env_file: [gitea.env]
    environment:
      - DB_PASSWD=\${DB_PASSWORD}
      - ROOT_URL=\${ROOT_URL:-http://localhost:3000}
    volumes:
      - git_data:/data
      - ./gitea:/var/lib/gitea
      - ./app.ini:/etc/gitea/app.ini:ro
      - ./custom:/custom
      - type: bind
        source: ./postgres
        target: /pg
volumes:
  git_data:
  shared: { external: true }
secrets:
  token: { file: ./secrets/token.txt }
`;

test('a project as published passes: variables from its .env, files beside it, data directories found', () => {
  const t = tree({ 'compose.yaml': GITEA, '.env': 'DB_PASSWORD=secret\n', 'gitea.env': 'A=1', 'app.ini': '[server]', 'custom/templates/home.tmpl': 'x', 'secrets/token.txt': 't' });
  const { findings, facts } = checkProject({ key: 'apps/gitea', tree: t, files: ['compose.yaml'], data: ['./postgres'], defined: new Set() });
  assert.deepEqual(findings, []);
  assert.deepEqual(facts, { services: ['gitea'], volumes: ['git_data'], dataDirs: ['gitea', 'postgres'], ports: { ports: [], unknown: false }, containerNames: [] });
});

test('typos, undefined variables and missing files are found at their line in the compose file', () => {
  const text = GITEA.replace('    environment:', '    enviroment:');
  const t = tree({ 'compose.yaml': `${text}x-note: free\nnetwork:\n  a: {}\n` });
  const { findings } = checkProject({ key: 'apps/gitea', tree: t, files: ['compose.yaml'], data: [], defined: new Set() });
  const seen = findings.map((f) => `${f.pos.file}:${f.pos.line} ${f.code} ${f.message}`);
  assert.deepEqual(seen, [
    'apps/gitea/compose.yaml:22 HAFEN_FLEET_UNKNOWN_KEY unknown key "network" (Compose Specification) (did you mean "networks"?)',
    'apps/gitea/compose.yaml:5 HAFEN_FLEET_UNKNOWN_KEY unknown key "enviroment" (Compose Specification) (did you mean "environment"?)',
    'apps/gitea/compose.yaml:6 HAFEN_FLEET_UNDEFINED_VARIABLE uses ${DB_PASSWORD}, which neither the project\'s .env nor the app\'s env defines: add it to one of them, give a default ("${NAME:-default}"), or write "$$" for a dollar sign',
    'apps/gitea/compose.yaml:4 HAFEN_FLEET_COMPOSE_FILE_MISSING env_file gitea.env is not in the project directory',
    'apps/gitea/compose.yaml:20 HAFEN_FLEET_COMPOSE_FILE_MISSING secret "token" ./secrets/token.txt is not in the project directory',
  ]);
});

test('the app\'s env defines variables too; paths outside the project, the project itself and host paths are warnings (Compose takes them; hafen keeps nothing there)', () => {
  const compose = 'services:\n  web:\n    image: nginx\n    environment: { A: "${FROM_APP}" }\n    volumes: ["../shared:/s", "/srv/www:/www", ".:/all"]\n';
  const { findings } = checkProject({ key: 'web', tree: tree({ 'compose.yaml': compose }), files: ['compose.yaml'], data: [], defined: new Set(['FROM_APP']) });
  assert.deepEqual(findings.map((f) => [f.severity, f.code, f.pos.line]), [
    ['warning', 'HAFEN_FLEET_COMPOSE_HOST_PATH', 5],
    ['warning', 'HAFEN_FLEET_COMPOSE_HOST_PATH', 5],
    ['warning', 'HAFEN_FLEET_COMPOSE_HOST_PATH', 5],
  ]);
  assert.match(findings[0]!.message, /\.\.\/shared, outside the project directory/);
  assert.match(findings[2]!.message, /the project directory itself/);
});

test('a file that is not YAML, or not a mapping, is one problem at its line', () => {
  const bad = checkProject({ key: 'p', tree: tree({ 'compose.yaml': 'services:\n  web: [\n' }), files: ['compose.yaml'], data: [], defined: new Set() });
  assert.equal(bad.findings.length, 1);
  assert.match(bad.findings[0]!.message, /^YAML: /);
  assert.ok(bad.findings[0]!.pos.line! >= 2, `at line ${bad.findings[0]!.pos.line}`);
  const list = checkProject({ key: 'p', tree: tree({ 'compose.yaml': '- a\n' }), files: ['compose.yaml'], data: [], defined: new Set() });
  assert.match(list.findings[0]!.message, /a compose file is a mapping/);
});
