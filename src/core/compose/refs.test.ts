import assert from 'node:assert/strict';
import { test } from 'node:test';
import { projectRefs } from './refs.js';

test('the project directories a fleet names, keyed where its files are; a fleet that names none is not parsed for them', () => {
  const text = `apps:
  - { id: a, workload: { compose: { project: apps/gitea, data: [./postgres] } } }
  - { id: b, workload: { compose: { file: ../shared/wp/compose.yaml } } }
  - { id: c, workload: { compose: { services: { web: { image: nginx } } } } }
`;
  assert.deepEqual(projectRefs([{ name: 'fleet/customers/huber.yaml', text }]), [
    { key: 'fleet/customers/apps/gitea', data: ['./postgres'] },
    { key: 'fleet/shared/wp', data: [] },
  ]);
  const cache = new Map();
  assert.deepEqual(projectRefs([{ name: 'f.yaml', text: 'apps:\n  - { id: c, workload: { compose: { services: { web: { image: nginx } } } } }\n' }], cache), []);
  assert.equal(cache.size, 0, 'not parsed');
});
