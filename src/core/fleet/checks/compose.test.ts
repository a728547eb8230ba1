/** Compose services against the Compose Specification's JSON Schema, reported where the user wrote them. */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import type { Problem } from '../problems.js';
import { validateFleet } from '../validate.js';

const minimal = readFileSync(new URL('../../../../examples/minimal.yaml', import.meta.url), 'utf8');

/** The minimal example with one compose app whose services are `services` (YAML, indented for its place), and more of the project (`rest`). */
function withServices(services: string, rest = ''): Problem[] {
  const app = `apps:
  - id: site
    customer: baeckerei-huber
    resources: { cpu: 0.5, memory: 256MiB }
    env: { DB_PASSWORD: { secret: site-db } }
    workload:
      compose:
        services:
${services.replace(/^/gm, '          ')}
${rest.replace(/^/gm, '        ')}
`;
  const res = validateFleet([{ name: 'f.yaml', text: minimal.replace(/^apps:\n/m, app) }]);
  return res.problems.filter((p) => p.path.startsWith('apps[0].workload'));
}

test('a typo in a compose service is an unknown key at its line, with the key Compose has', () => {
  const problems = withServices('web:\n  image: nginx:1.25\n  enviroment:\n    A: b\n  x-notes: free for anchors\n');
  assert.equal(problems.length, 1, JSON.stringify(problems));
  const [typo] = problems as [Problem];
  assert.equal(typo.code, 'HAFEN_FLEET_UNKNOWN_KEY');
  assert.equal(typo.path, 'apps[0].workload.compose.services.web.enviroment');
  assert.match(typo.message, /did you mean "environment"/);
  const line = minimal.split('\n').findIndex((l) => l === 'apps:') + 1;
  assert.equal(typo.line, line + 10, 'the line of "enviroment:"');
});

test('values of the wrong shape are named by their path; several mistakes are all reported', () => {
  const problems = withServices('web:\n  image: nginx:1.25\n  ports:\n    - { target: true }\n  healthcheck:\n    test: 5\n  depends_on: 7\n');
  const byPath = new Map(problems.map((p) => [p.path, p.message]));
  assert.match(byPath.get('apps[0].workload.compose.services.web.ports[0].target') ?? '', /must be an integer or a string/);
  assert.ok([...byPath.keys()].some((p) => p.startsWith('apps[0].workload.compose.services.web.healthcheck')), JSON.stringify(problems));
  assert.match(byPath.get('apps[0].workload.compose.services.web.depends_on') ?? '', /must be a list or a mapping/);
  assert.ok(problems.every((p) => p.line !== undefined && p.file === 'f.yaml'));
});

test('services written as projects publish them validate clean: lists and mappings, long and short syntax', () => {
  const wordpress = `db:
  image: mariadb:10.11
  command: '--default-authentication-plugin=mysql_native_password'
  volumes:
    - db_data:/var/lib/mysql
  restart: always
  environment:
    - MYSQL_DATABASE=wordpress
    - MYSQL_USER=wordpress
  expose: [3306, 33060]
  healthcheck:
    test: ["CMD", "healthcheck.sh", "--connect"]
    interval: 10s
    retries: 5
wordpress:
  image: wordpress:6
  depends_on:
    db: { condition: service_healthy }
  ports:
    - "8000:80"
    - { target: 443, published: "8443", protocol: tcp, mode: host }
  restart: always
  environment:
    WORDPRESS_DB_HOST: db
    WORDPRESS_DB_NAME: wordpress
  volumes:
    - type: bind
      source: ./uploads.ini
      target: /usr/local/etc/php/conf.d/uploads.ini
  deploy:
    resources:
      limits: { cpus: "0.5", memory: 512M }
  logging:
    driver: json-file
    options: { max-size: 10m }
`;
  assert.deepEqual(withServices(wordpress), []);
});

test('variables: defined by the app\'s env or with a default; anything else is an error at its line, never an empty string', () => {
  const problems = withServices('db:\n  image: mariadb:10.11\n  environment:\n    MARIADB_PASSWORD: ${DB_PASSWORD}\n    MARIADB_ROOT_PASSWORD: ${MYSQL_ROOT_PASSWORD}\n    TZ: ${TZ:-Europe/Berlin}\n  command: ["sh", "-c", "echo $(date)"]\n');
  assert.deepEqual(problems.map((p) => [p.code, p.path]), [
    ['HAFEN_FLEET_UNDEFINED_VARIABLE', 'apps[0].workload.compose.services.db.environment.MARIADB_ROOT_PASSWORD'],
    ['HAFEN_FLEET_COMPOSE_INVALID', 'apps[0].workload.compose.services.db.command[2]'],
  ]);
  assert.match(problems[0]!.message, /\$\{MYSQL_ROOT_PASSWORD\}.*add it to the app's env/);
  assert.match(problems[1]!.message, /write "\$\$" for a dollar sign/);
});

test('the project\'s volumes, networks, secrets and configs are checked too; files next to a compose file are refused', () => {
  const rest = 'volumes:\n  db_data: { driver: local, driver_opts: { type: none } }\n  cache:\nnetworks:\n  backend: { internal: true }\n  front: { drivr: bridge }\nsecrets:\n  db_password: { file: ./db_password.txt }\n  api_key: { environment: DB_PASSWORD }\nconfigs:\n  nginx: { content: "server_tokens off; # ${DB_PASSWORD}" }\n';
  const problems = withServices('db:\n  image: mariadb:10.11\n  networks: [backend]\n', rest);
  assert.deepEqual(problems.map((p) => [p.code, p.path]), [
    ['HAFEN_FLEET_UNKNOWN_KEY', 'apps[0].workload.compose.networks.front.drivr'],
    ['HAFEN_FLEET_UNSUPPORTED', 'apps[0].workload.compose.secrets.db_password.file'],
  ]);
  const all = validateFleet([{ name: 'f.yaml', text: minimal.replace(/^apps:\n/m, `apps:\n  - id: site\n    customer: baeckerei-huber\n    resources: { cpu: 0.5, memory: 256MiB }\n    workload:\n      compose:\n        services: { db: { image: mariadb:10.11 } }\n${rest.replace(/^/gm, '        ')}\n`) }]).problems;
  assert.ok(all.some((p) => p.code === 'HAFEN_FLEET_UNDEFINED_VARIABLE' && p.path === 'apps[0].workload.compose.configs.nginx.content'), 'configs are interpolated too');
});
