import assert from 'node:assert/strict';
import { test } from 'node:test';
import { validateFleet } from '../core/fleet/validate.js';
import { DEMO_DATABASE, demoFleet } from './demo-fleet.js';

const dbHosts = ['nue', 'vie', 'hel'].map((site, i) => ({ host: `${site}-db-01`, site, address: `127.0.${11 + i}.2` }));

test('the demo fleet validates for both drivers, with backups and PostgreSQL too (its compose apps keep a data volume each)', () => {
  for (const text of [demoFleet('process'), demoFleet('process', undefined, '/tmp/hafen-demo-backups'), demoFleet('compose', 'hafen-demo/hello:test', '/tmp/hafen-demo-backups'), demoFleet('process', undefined, '/tmp/hafen-demo-backups', dbHosts)]) {
    const res = validateFleet([{ name: 'demo.yaml', text }]);
    assert.deepEqual(res.problems.filter((p) => p.severity === 'error').map((p) => p.message), []);
  }
});

test('with PostgreSQL: a database host per site, a critical PostgreSQL app with a standby, and the counter listing every database host', () => {
  const fleet = validateFleet([{ name: 'demo.yaml', text: demoFleet('process', undefined, undefined, dbHosts) }]).fleet!;
  assert.deepEqual(fleet.hosts.filter((h) => h.runtime === 'postgres').map((h) => h.id), ['nue-db-01', 'vie-db-01', 'hel-db-01']);
  const db = fleet.apps.find((a) => a.id === DEMO_DATABASE.app)!;
  assert.deepEqual([db.workloadKind, db.criticality, db.redundancy.mode, db.redundancy.replicas, db.redundancy.spreadOver], ['postgres', 'critical', 'standby', 2, 'site']);
  const counter = fleet.apps.find((a) => a.id === DEMO_DATABASE.counter)!;
  assert.equal(counter.workload.process?.env?.PG_HOSTS, '127.0.11.2,127.0.12.2,127.0.13.2');
  assert.deepEqual(counter.workload.process?.env?.PGPASSWORD, { secret: DEMO_DATABASE.secret });
  assert.deepEqual(counter.domains, [DEMO_DATABASE.domain]);
});
