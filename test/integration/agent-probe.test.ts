/**
 * `hafen agent --probe`: the agent of a host is also the prober of its site, with the same
 * credential and its address as the probes' source; its results count for its site.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { ProcessDriver } from '../../src/agent/drivers/process.js';
import { HafenClient } from '../../src/client/client.js';
import { startController } from '../../src/controller/main.js';
import { BIN, EXAMPLES, ROOT } from '../helpers/paths.js';
import { FAST_MONITORING } from '../helpers/three-sites.js';
import { until } from '../helpers/wait.js';
import { loopbackNet } from '../helpers/loopback.js';

test('an agent started with --probe probes every check from its site', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'hafen-agent-probe-'));
  const controller = await startController({ data: join(dir, 'controller'), listen: '127.0.0.1:0' });
  const admin = new HafenClient(controller.url, readFileSync(join(dir, 'controller', 'admin.token'), 'utf8').trim());
  const agentData = join(dir, 'nue-app-01');
  let stderr = '';
  try {
    await admin.apply([{ name: 'minimal.yaml', text: readFileSync(join(EXAMPLES, 'minimal.yaml'), 'utf8') + FAST_MONITORING }], null);
    const agent = spawn(process.execPath, [BIN, 'agent', '--controller', controller.url, '--data', agentData, '--address', `${loopbackNet()}.1`, '--probe'], {
      cwd: ROOT,
      stdio: ['ignore', 'ignore', 'pipe'],
      env: { ...process.env, HAFEN_JOIN_TOKEN: (await admin.joinToken('nue-app-01')).token },
    });
    agent.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    try {
      const probed = await until('results from site nue', async () => {
        const { checks, sites } = await admin.checks();
        return sites.some((s) => s.site === 'nue' && s.probers === 'reporting') && checks.some((c) => c.views.nue) ? checks : undefined;
      }, 30_000, 200);
      assert.ok(probed.filter((c) => c.views.nue).length >= 1);
      assert.match(stderr, /hafen agent for host nue-app-01 following .*, probing/);
    } finally {
      agent.kill('SIGTERM');
      await new Promise((r) => agent.once('exit', r));
    }
  } finally {
    await ProcessDriver.open({ stateDir: join(agentData, 'state') }).stopAll();
    await controller.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
