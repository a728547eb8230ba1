/**
 * `hafen demo --driver compose`: the three-site fleet as containers on the Docker engine (the
 * demo image is made from this machine's node binary, no registry), each agent publishing its
 * replicas' ports on its own loopback address; every proxy answers; Ctrl-C removes every
 * container of the demo.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { demo, demoAddresses, freePort } from '../helpers/demo.js';
import { getWithHost } from '../helpers/http.js';
import { DOCKER, run, works } from '../helpers/system.js';

const dockerUp = works(DOCKER, ['info']) && (works('docker-compose', ['version']) || works(DOCKER, ['compose', 'version']));
if (!dockerUp && process.env.HAFEN_REQUIRE_SYSTEM === '1') throw new Error('required system component missing: a Docker engine with compose (run scripts/install-system-deps.sh and scripts/start-services.sh)');

const APPS = ['stadtwerke-portal', 'huber-shop', 'verlag-blog'];
const demoContainers = () =>
  APPS.flatMap((app) => run(DOCKER, ['ps', '-a', '-q', '--filter', `label=dev.hafen.app=${app}`]).stdout.split('\n').filter(Boolean));

test('the demo runs on the compose driver: containers behind every proxy, and Ctrl-C removes them', { skip: !dockerUp && 'no Docker engine with compose' }, async () => {
  const data = mkdtempSync(join(tmpdir(), 'hafen-demo-compose-'));
  const port = await freePort();
  try {
    const { args, proxies } = demoAddresses();
    const d = demo(data, port, ['--driver', 'compose', ...args], 300_000);
    try {
      const out = await d.ready;
      assert.match(out, /with the compose driver/);
      for (const proxy of proxies) {
        const r = await getWithHost(`http://${proxy}:8080`, 'portal.stadtwerke.example');
        assert.equal(r.status, 200, `through ${proxy}`);
        assert.match(r.body, /^Stadtwerke from /);
      }
      assert.equal(demoContainers().length, 6, 'six replicas, each a container');
    } finally {
      d.child.kill('SIGINT');
    }
    assert.equal(await d.exited, 0);
    assert.deepEqual(demoContainers(), [], 'no container of the demo is left');
  } finally {
    rmSync(data, { recursive: true, force: true });
  }
});
