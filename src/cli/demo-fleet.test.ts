import assert from 'node:assert/strict';
import { test } from 'node:test';
import { validateFleet } from '../core/fleet/validate.js';
import { demoFleet } from './demo-fleet.js';

test('the demo fleet validates for both drivers, with backups too (its compose apps keep a data volume each)', () => {
  for (const text of [demoFleet('process'), demoFleet('process', undefined, '/tmp/hafen-demo-backups'), demoFleet('compose', 'hafen-demo/hello:test', '/tmp/hafen-demo-backups')]) {
    const res = validateFleet([{ name: 'demo.yaml', text }]);
    assert.deepEqual(res.problems.filter((p) => p.severity === 'error').map((p) => p.message), []);
  }
});
