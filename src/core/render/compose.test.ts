import assert from 'node:assert/strict';
import { test } from 'node:test';
import { bindPublishedPorts } from './compose.js';

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
