/**
 * The public compose projects of test/fixtures/compose-projects (awesome-compose, CC0) as one
 * fleet: an app per project directory, each named by `workload.compose.project`.
 */
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { COMPOSE_FILE_NAMES } from '../../src/core/compose/project.js';
import { FIXTURES } from './paths.js';

export const COMPOSE_PROJECTS = join(FIXTURES, 'compose-projects');

/** Every project directory below test/fixtures/compose-projects, relative to it ("gitea-postgres", "awesome-compose/flask"). */
export function fixtureProjects(): string[] {
  const out: string[] = [];
  const walk = (rel: string) => {
    const dir = join(COMPOSE_PROJECTS, rel);
    if (rel && COMPOSE_FILE_NAMES.some((n) => existsSync(join(dir, n)))) return void out.push(rel);
    for (const e of readdirSync(dir, { withFileTypes: true })) if (e.isDirectory()) walk(rel ? `${rel}/${e.name}` : e.name);
  };
  walk('');
  return out.sort();
}

/** A fleet (to be read from COMPOSE_PROJECTS) with one app per project. */
export function fixtureFleet(projects: readonly string[]): string {
  const apps = projects.map((p, i) => `  - { id: app-${i + 1}, customer: c, workload: { compose: { project: ${p}, name: p${i + 1} } }, resources: { cpu: 0.1, memory: 64MiB } }`);
  return `providers: [{ id: pa }]
facilities: [{ id: f1, operator: pa, country: DE }]
sites: [{ id: nue, provider: pa, facility: f1, country: DE, prefixes: [198.18.0.0/24] }]
siteTemplate: { segments: [{ name: apps, role: apps, prefixLength: 26 }] }
hosts: [{ id: h1, site: nue, cpu: 64, memory: 256GiB, disk: 10TiB, runtime: compose }]
customers: [{ id: c }]
apps:
${apps.join('\n')}
`;
}
