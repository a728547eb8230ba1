/**
 * hafen's checks agree with Compose itself on public projects as published: every project of
 * the fixtures (awesome-compose) that `docker-compose config` accepts, hafen validates with no
 * error. (Compose 1.29 refuses some newer files that the Compose Specification allows; hafen
 * judges by the specification, and the host's Compose has the last word before `up`.)
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { readComposeProjects } from '../../src/cli/compose-projects.js';
import { validateFleet } from '../../src/core/fleet/validate.js';
import { COMPOSE_PROJECTS, fixtureFleet, fixtureProjects } from '../helpers/compose-fixtures.js';
import { run, works } from '../helpers/system.js';

const compose = works('docker-compose', ['version']);
if (!compose && process.env.HAFEN_REQUIRE_SYSTEM === '1') throw new Error('required system component missing: docker-compose (run scripts/install-system-deps.sh)');

test('every public project that Compose accepts, hafen accepts', { skip: !compose && 'docker-compose is not installed' }, async (t) => {
  const projects = fixtureProjects();
  const accepted = projects.filter((p) => run('docker-compose', ['config', '-q'], { cwd: join(COMPOSE_PROJECTS, p), env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/' } }).status === 0);
  t.diagnostic(`Compose accepts ${accepted.length} of ${projects.length}; refuses ${projects.filter((p) => !accepted.includes(p)).join(', ') || 'none'}`);
  assert.ok(accepted.length >= 35, `Compose accepts only ${accepted.join(', ')}`);
  const sources = [{ name: join(COMPOSE_PROJECTS, 'all.yaml'), text: fixtureFleet(accepted) }];
  const res = validateFleet(sources, { projects: await readComposeProjects(sources) });
  assert.deepEqual(res.problems.filter((p) => p.severity === 'error').map((p) => `${p.file}:${p.line}: ${p.message}`), []);
});
