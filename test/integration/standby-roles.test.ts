/**
 * A standby app's writer as the controller hands it out, after a failover recorded in the store:
 * each unit's term and role, the route's term and writer, and the backup job on the writer's
 * host for the writer's unit (the controller's parts wired as the leader runs them, on SQLite).
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { buildApp } from '../../src/controller/app.js';
import { Secrets } from '../../src/controller/secrets.js';
import { SqliteStore } from '../../src/controller/store/sqlite.js';
import { wireController } from '../../src/controller/wiring.js';
import { keyId, newKey } from '../../src/lib/seal.js';
import { hashToken } from '../../src/lib/secrets.js';
import { EXAMPLES } from '../helpers/paths.js';

const fleet = `${readFileSync(join(EXAMPLES, 'three-sites.yaml'), 'utf8').replace('prefixes: [198.18.0.0/24], uplink: 1Gbit/s }', 'prefixes: [198.18.0.0/24], uplink: 1Gbit/s, backupRepository: { url: "/srv/restic" } }')}
  - id: huber-notes
    customer: huber
    criticality: critical
    workload: { process: { command: [node, notes.mjs] } }
    domains: [notes.huber.example]
    port: 8091
    volumes: [{ name: data, size: 10MB }]
    redundancy: { replicas: 2, spreadOver: site, mode: standby }
    placement: { hosts: [hel-app-01, vie-app-01] }
    backup: { to: nue, schedule: "0 2 * * *", keep: { last: 3 } }
    resources: { cpu: 0.5, memory: 256MiB }
`;

test("after a failover the writer's term and role reach its units and the routes, and its backup job runs on the writer's host", async () => {
  const store = new SqliteStore(':memory:');
  const key = newKey();
  const secrets = new Secrets(store, { key, id: keyId(key), source: 'test', warnings: [] });
  await store.createApiToken({ id: 'a', name: 'admin', role: 'admin', hash: hashToken('admin-token-1234'), createdAt: new Date().toISOString() });
  const first = wireController(store, secrets);
  const app = buildApp(first);
  await app.ready();
  const applied = await app.inject({ method: 'POST', url: '/v1/apply', headers: { authorization: 'Bearer admin-token-1234' }, payload: { sources: [{ name: 'three-sites.yaml', text: fleet }], parent: null } });
  assert.equal(applied.statusCode, 200, applied.body);
  const unit = (state: { units: { name: string; standby?: unknown }[] }, name: string) => state.units.find((u) => u.name === name)?.standby;
  const jobs = (state: { backups?: { app: string; unit: string }[] }) => (state.backups ?? []).filter((j) => j.app === 'huber-notes').map((j) => j.unit);
  // Term 1: the first replica (at hel) writes and is backed up.
  const hel = (await first.pulls.desiredFor('hel-app-01')).state;
  assert.deepEqual(unit(hel, 'huber-notes-r1'), { term: 1, role: 'active', data: ['data'] });
  assert.deepEqual(jobs(hel), ['huber-notes-r1']);
  assert.deepEqual(unit((await first.pulls.desiredFor('vie-app-01')).state, 'huber-notes-r2'), { term: 1, role: 'standby', data: ['data'] });
  await app.close();

  // A failover to the second replica, as the leader records it; a controller taking over reads it.
  await store.putStandbyRole({ app: 'huber-notes', term: 2, active: 2, since: new Date().toISOString(), reason: 'failover', previous: { replica: 1, planned: false } }, null);
  const next = wireController(store, secrets);
  const vie = (await next.pulls.desiredFor('vie-app-01')).state;
  assert.deepEqual(unit(vie, 'huber-notes-r2'), { term: 2, role: 'active', data: ['data'] });
  assert.deepEqual(jobs(vie), ['huber-notes-r2'], "the backup job runs where the writer is, for the writer's unit");
  const helNow = (await next.pulls.desiredFor('hel-app-01')).state;
  assert.deepEqual(unit(helNow, 'huber-notes-r1'), { term: 2, role: 'standby', data: ['data'] }, 'the old writer is told it is a standby of term 2: fenced when its agent applies it');
  assert.deepEqual(jobs(helNow), []);
  const route = (await next.pulls.routes()).table.routes.find((r) => r.host === 'notes.huber.example')!;
  assert.equal(route.term, 2);
  assert.deepEqual(route.replicas.map((r) => [r.id, r.weight]), [['huber-notes-r1', 0], ['huber-notes-r2', 100]]);
  assert.equal((await next.backups.apps()).find((a) => a.app === 'huber-notes')?.host, 'vie-app-01', "the backup book names the writer's host");
  assert.deepEqual((await next.pulls.checks()).filter((c) => c.app === 'huber-notes' && c.id.startsWith('replica:')).map((c) => c.id), ['replica:huber-notes-r2'], 'only the writer is probed');
  next.close();
  first.close();
});
