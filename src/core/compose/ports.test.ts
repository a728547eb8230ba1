import assert from 'node:assert/strict';
import { test } from 'node:test';
import { publishedPorts } from './ports.js';

test('published host ports in every syntax Compose takes; a container port alone publishes none', () => {
  const services = {
    web: { ports: ['8080:80', '127.0.0.1:9000:9000', '80', 443, '8443-8444:443-444', '5353:53/udp', '[::1]:6000:6000', '127.0.0.1::7000'] },
    api: { ports: [{ target: 80, published: 8081 }, { target: 53, published: '5300', protocol: 'udp' }, { target: 81 }] },
    db: { image: 'postgres' },
  };
  assert.deepEqual(publishedPorts(services), { ports: ['5300/udp', '5353/udp', '6000/tcp', '8080/tcp', '8081/tcp', '8443/tcp', '8444/tcp', '9000/tcp'], unknown: false });
});

test('a port with a variable is not known before Compose interpolates it', () => {
  assert.deepEqual(publishedPorts({ web: { ports: ['${WEB_PORT:-8080}:80', '9000:9000'] } }), { ports: ['9000/tcp'], unknown: true });
  assert.deepEqual(publishedPorts({ web: { ports: [{ target: 80, published: '${P}' }] } }), { ports: [], unknown: true });
});
