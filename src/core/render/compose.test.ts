import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { validateFleet } from '../fleet/validate.js';
import { bindPublishedPorts, composeProject } from './compose.js';

/** examples/minimal.yaml on compose hosts, with `apps` (YAML text from "apps:") instead of its own. */
function minimalWith(apps: string): string {
  const minimal = readFileSync(new URL('../../../examples/minimal.yaml', import.meta.url), 'utf8').replace(/runtime: process/g, 'runtime: compose');
  return `${minimal.slice(0, minimal.search(/^apps:/m))}${apps}`;
}

test('bindPublishedPorts binds published ports without an address to the host\'s, and leaves the rest', () => {
  const project = {
    name: 'hafen-web-r1',
    services: {
      web: { image: 'x', ports: ['8080:8080', '127.0.0.1:9000:9000', '7000', 5000, { target: 80, published: 8081 }, { target: 81, published: 8082, host_ip: '0.0.0.0' }, '[::1]:6000:6000'] },
      worker: { image: 'y' },
    },
  };
  const bound = bindPublishedPorts(project, '198.18.0.70');
  assert.deepEqual(bound.services.web!.ports, ['198.18.0.70:8080:8080', '127.0.0.1:9000:9000', '7000', 5000, { target: 80, published: 8081, host_ip: '198.18.0.70' }, { target: 81, published: 8082, host_ip: '0.0.0.0' }, '[::1]:6000:6000']);
  assert.deepEqual(bound.services.worker, { image: 'y' });
  assert.deepEqual(project.services.web.ports[0], '8080:8080', 'the input is not changed');
  assert.deepEqual((bindPublishedPorts(project, '2001:db8::7').services.web!.ports as unknown[])[0], '[2001:db8::7]:8080:8080');
});

test('the project keeps the user\'s volumes, networks, secrets and configs, with hafen\'s labels where Compose allows them', () => {
  const app = `apps:
  - id: site
    customer: baeckerei-huber
    resources: { cpu: 0.5, memory: 256MiB }
    env: { GREETING: "5$ off", TOKEN: { secret: site-token } }
    volumes: [{ name: data, size: 1GiB }]
    workload:
      compose:
        services:
          web: { image: nginx, networks: [backend], environment: { TITLE: "\${GREETING}" } }
        volumes:
          data: { driver: local, labels: [team=web] }
          shared: { external: true }
          cache:
        networks:
          backend: { internal: true }
        secrets:
          token: { environment: TOKEN }
        configs:
          banner: { content: "welcome" }
`;
  const res = validateFleet([{ name: 'f.yaml', text: minimalWith(app) }]);
  assert.ok(res.fleet, JSON.stringify(res.problems));
  const p = composeProject(res.fleet.apps.find((a) => a.id === 'site')!, 'site-r1', { GREETING: '5$ off' });
  const hafen = { 'dev.hafen.owned': 'true', 'dev.hafen.app': 'site', 'dev.hafen.unit': 'site-r1' };
  assert.deepEqual(p.volumes, { data: { driver: 'local', labels: { team: 'web', ...hafen } }, shared: { external: true }, cache: { labels: hafen } });
  assert.deepEqual(p.networks, { backend: { internal: true, labels: hafen } });
  assert.deepEqual(p.secrets, { token: { environment: 'TOKEN' } });
  assert.deepEqual(p.configs, { banner: { content: 'welcome' } });
  assert.equal(p.services.web!.environment && (p.services.web!.environment as Record<string, string>).GREETING, '5$$ off', 'the app\'s env is a literal to Compose');
  assert.equal((p.services.web!.environment as Record<string, string>).TITLE, '${GREETING}', 'the user\'s own text is Compose\'s to interpolate');
  assert.deepEqual(p.variables, { GREETING: '5$ off' }, 'with the app\'s values as they are');
});

test('a project directory is rendered as its files, its own name, an override with hafen\'s labels only, and the app\'s env as variables', () => {
  const app = `apps:
  - id: gitea
    customer: baeckerei-huber
    resources: { cpu: 0.5, memory: 256MiB }
    env: { DB_PASSWORD: "5$ off" }
    workload: { compose: { project: apps/gitea, data: [./postgres] } }
`;
  const compose = 'services:\n  server:\n    image: gitea/gitea:1.22\n    environment:\n      - DB_PASSWD=${DB_PASSWORD}\n    volumes: [./postgres:/var/lib/postgresql/data, ./app.ini:/etc/app.ini]\n  db: { image: postgres:16 }\n';
  const files = [
    { path: 'app.ini', size: 8, mode: 0o644, digest: 'a'.repeat(64) },
    { path: 'compose.yaml', size: compose.length, mode: 0o644, digest: 'c'.repeat(64) },
  ];
  const tree = { digest: 'd'.repeat(64), files, text: (p: string) => (p === 'compose.yaml' ? compose : p === 'app.ini' ? '[server]' : undefined) };
  const res = validateFleet([{ name: 'fleet/minimal.yaml', text: minimalWith(app) }], { projects: new Map([['fleet/apps/gitea', tree]]) });
  assert.ok(res.fleet, JSON.stringify(res.problems));
  const project = composeProject(res.fleet.apps.find((a) => a.id === 'gitea')!, 'gitea-r1', { DB_PASSWORD: '5$ off' });
  const labels = { 'dev.hafen.owned': 'true', 'dev.hafen.app': 'gitea', 'dev.hafen.unit': 'gitea-r1' };
  assert.deepEqual(project, {
    name: 'gitea',
    services: { server: { labels }, db: { labels } },
    directory: { digest: 'd'.repeat(64), files, composeFiles: ['compose.yaml'], dataDirs: ['postgres'] },
    variables: { DB_PASSWORD: '5$ off' },
  });
});

test('a project in its own working directory gets no override (Compose keeps its containers); the directory is a host\'s to give once', () => {
  const compose = 'services:\n  web:\n    image: nginx\n    volumes: [./data:/data]\n';
  const tree = { digest: 'd'.repeat(64), files: [{ path: 'compose.yaml', size: compose.length, mode: 0o644, digest: 'c'.repeat(64) }], text: (p: string) => (p === 'compose.yaml' ? compose : undefined) };
  const app = (id: string, workingDir: string, hosts = '[nue-app-01]') => `  - id: ${id}
    customer: baeckerei-huber
    resources: { cpu: 0.5, memory: 256MiB }
    placement: { hosts: ${hosts} }
    workload: { compose: { project: apps/site, name: ${id}, workingDir: "${workingDir}" } }
`;
  const projects = new Map([['fleet/apps/site', tree]]);
  const res = validateFleet([{ name: 'fleet/minimal.yaml', text: minimalWith(`apps:\n${app('site', '/srv/compose/site')}`) }], { projects });
  assert.ok(res.fleet, JSON.stringify(res.problems));
  const site = res.fleet.apps.find((a) => a.id === 'site')!;
  const project = composeProject(site, 'site-r1');
  assert.deepEqual(project.services, { web: {} }, 'nothing added: hafen\'s labels would change every service\'s config hash');
  assert.equal(project.directory?.workingDir, '/srv/compose/site');
  assert.ok(site.hostClaims.includes('directory /srv/compose/site'));

  for (const [dir, why] of [['srv/site', 'relative'], ['/srv/../etc', 'climbs'], ['/', 'root'], ['/srv//site/', 'not normal']] as const) {
    const bad = validateFleet([{ name: 'fleet/minimal.yaml', text: minimalWith(`apps:\n${app('site', dir)}`) }], { projects });
    assert.ok(bad.problems.some((p) => p.path === 'apps[0].workload.compose.workingDir' && /absolute path below/.test(p.message)), `${why}: ${JSON.stringify(bad.problems)}`);
  }
  const unknown = validateFleet([{ name: 'fleet/minimal.yaml', text: minimalWith(`apps:\n${app('site', '/srv/site', '[nue-app-09]')}`) }], { projects });
  assert.ok(unknown.problems.some((p) => p.code === 'HAFEN_FLEET_UNKNOWN_REF' && p.path === 'apps[0].placement.hosts[0]'), JSON.stringify(unknown.problems));
  const inline = validateFleet([{ name: 'f.yaml', text: minimalWith('apps:\n  - id: x\n    customer: baeckerei-huber\n    resources: { cpu: 0.5, memory: 256MiB }\n    workload: { compose: { services: { web: { image: nginx } }, workingDir: /srv/x } }\n') }]);
  assert.ok(inline.problems.some((p) => /"workingDir" belong to a project directory/.test(p.message)), JSON.stringify(inline.problems));
});
