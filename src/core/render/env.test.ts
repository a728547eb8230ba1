import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import type { Fleet } from '../fleet/model.js';
import { validateFleet } from '../fleet/validate.js';
import { schedule } from '../placement/schedule.js';
import { desiredState } from './desired.js';
import { secretUses, splitEnv } from './env.js';

const composeSmall = validateFleet([{ name: 'compose-small.yaml', text: readFileSync(new URL('../../../test/fixtures/valid/compose-small.yaml', import.meta.url), 'utf8') }]).fleet!;

/** compose-small with env on huber-db: a literal, a secret, and a service environment of its own. */
function withEnv(dbSecret = 'huber-db-password'): Fleet {
  return {
    ...composeSmall,
    apps: composeSmall.apps.map((a) =>
      a.id === 'huber-db'
        ? { ...a, env: { TZ: 'Europe/Berlin', POSTGRES_PASSWORD: { secret: dbSecret } }, workload: { compose: { services: { db: { image: 'postgres:16', environment: ['TZ=UTC', 'PGDATA=/data'] } } } } }
        : a,
    ),
  };
}

const units = (f: Fleet, versions: Map<string, number> = new Map()) =>
  new Map([...desiredState(f, schedule(f).placements, 1, versions).values()].flatMap((h) => h.units).map((u) => [u.name, u]));

test('later env maps win, and a literal replaces a secret of the same name (and the other way round)', () => {
  assert.deepEqual(splitEnv({ A: '1', B: { secret: 's1' } }, { B: '2', C: { secret: 's2' } }), { plain: { A: '1', B: '2' }, secrets: { C: 's2' } });
  assert.deepEqual(splitEnv({ A: '1' }, undefined, { A: { secret: 's' } }), { plain: {}, secrets: { A: 's' } });
});

test('secret references become secretEnv; the desired state holds names, never values', () => {
  const db = units(withEnv(), new Map([['huber-db-password', 1]])).get('huber-db-r1')!;
  assert.deepEqual(db.secretEnv, { POSTGRES_PASSWORD: 'huber-db-password' });
  assert.equal(db.secretValues, undefined);
  // The app's literal env goes into every service, under the service's own environment.
  assert.deepEqual(db.compose?.services.db?.environment, { TZ: 'UTC', PGDATA: '/data' });
  const plainOnly = units({ ...withEnv(), apps: withEnv().apps.map((a) => (a.id === 'huber-db' ? { ...a, workload: { compose: { services: { db: { image: 'postgres:16' } } } } } : a)) }).get('huber-db-r1')!;
  assert.deepEqual(plainOnly.compose?.services.db?.environment, { TZ: 'Europe/Berlin' });
  assert.deepEqual(secretUses(withEnv()), [{ app: 'huber-db', path: 'apps[1].env.POSTGRES_PASSWORD', env: 'POSTGRES_PASSWORD', secret: 'huber-db-password' }]);
});

test('a new secret version changes the hash of exactly the units that use the secret', () => {
  const v1 = units(withEnv(), new Map([['huber-db-password', 1], ['unused', 4]]));
  const v2 = units(withEnv(), new Map([['huber-db-password', 2], ['unused', 9]]));
  for (const [name, u] of v1) assert.equal(u.hash === v2.get(name)!.hash, !u.secretEnv, name);
  assert.ok(v1.get('huber-db-r1')!.secretEnv);
  // Another secret name is another configuration, even at the same version.
  assert.notEqual(units(withEnv('other'), new Map([['other', 1]])).get('huber-db-r1')!.hash, v1.get('huber-db-r1')!.hash);
});
