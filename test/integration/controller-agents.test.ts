/**
 * A controller and two agents on loopback with the process driver run the minimal fleet:
 * apply, change, roll back; the controller goes away and the apps keep serving; it comes
 * back and the agents follow again. Auth: agents join with one-time tokens, and a host
 * credential reaches only /v1/agent.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { startAgent } from '../../src/agent/main.js';
import { ProcessDriver } from '../../src/agent/drivers/process.js';
import { HafenClient } from '../../src/client/client.js';
import { startController } from '../../src/controller/main.js';
import { isHafenError } from '../../src/lib/errors.js';
import { EXAMPLES } from '../helpers/paths.js';
import { fetchText } from '../helpers/http.js';
import { until } from '../helpers/wait.js';
import { loopbackNet } from '../helpers/loopback.js';

const net = loopbackNet();
const ADDR: Record<string, string> = { 'nue-app-01': `${net}.1`, 'nue-app-02': `${net}.2` };
const minimal = readFileSync(join(EXAMPLES, 'minimal.yaml'), 'utf8');

test('controller and agents run the minimal fleet, survive the controller going away, and follow changes', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'hafen-e2e-'));
  const data = join(dir, 'controller');
  let controller = await startController({ data, listen: '127.0.0.1:0' });
  const url = controller.url;
  const admin = new HafenClient(url, readFileSync(join(data, 'admin.token'), 'utf8').trim());
  const agents: { host: string; stop(): Promise<void>; data: string }[] = [];
  try {
    const first = await admin.apply([{ name: 'minimal.yaml', text: minimal }], null, 'first');
    assert.equal(first.revision, 1);

    for (const host of ['nue-app-01', 'nue-app-02']) {
      const { token } = await admin.joinToken(host);
      const agentData = join(dir, host);
      const { agent } = await startAgent({ controller: url, data: agentData, joinToken: token, driver: 'process', address: ADDR[host]! });
      agents.push({ host, data: agentData, stop: () => agent.stop() });
      // The token is spent.
      await assert.rejects(new HafenClient(url).join(token), (e) => isHafenError(e, 'HAFEN_AUTH_INVALID'));
    }

    // Every replica running and healthy, as hafen status sees it.
    const status = await until('all replicas running', async () => {
      const st = await admin.status();
      return st.apps.every((a) => a.running === a.desired) ? st : undefined;
    });
    assert.deepEqual(status.apps.map((a) => [a.app, a.running, a.desired]), [['huber-shop', 2, 2], ['huber-orders', 1, 1]]);
    assert.ok(status.apps.flatMap((a) => a.units).every((u) => u.healthy === true));
    for (const addr of Object.values(ADDR)) assert.match(await fetchText(addr, 8080), /^Guten Tag from huber-shop-r\d/);

    // A change reaches both hosts.
    const changed = minimal.replace('GREETING: "Guten Tag"', 'GREETING: "Moin"');
    const plan = await admin.plan([{ name: 'minimal.yaml', text: changed }]);
    assert.deepEqual(plan.diff.hosts.map((h) => [h.host, h.changed]), [['nue-app-01', ['huber-shop-r1']], ['nue-app-02', ['huber-shop-r2']]]);
    await admin.apply([{ name: 'minimal.yaml', text: changed }], 1);
    for (const addr of Object.values(ADDR)) await until(`new greeting at ${addr}`, async () => ((await fetchText(addr, 8080)).startsWith('Moin') ? true : undefined));

    // A stale apply is refused; an invalid fleet changes nothing and names its problems.
    await assert.rejects(admin.apply([{ name: 'minimal.yaml', text: changed }], 1), (e) => isHafenError(e, 'HAFEN_STORE_REVISION_CONFLICT'));
    await assert.rejects(admin.apply([{ name: 'minimal.yaml', text: changed.replace('cpu: 8', 'cpu: eight') }], 2), (e) => isHafenError(e, 'HAFEN_FLEET_INVALID') && Array.isArray(e.details));
    assert.equal((await admin.revisions()).revisions[0]?.number, 2);

    // A host credential reaches only its own agent API.
    const cred = JSON.parse(readFileSync(join(agents[0]!.data, 'credential.json'), 'utf8')) as { credential: string };
    await assert.rejects(new HafenClient(url, cred.credential).status(), (e) => isHafenError(e, 'HAFEN_AUTH_FORBIDDEN'));

    // The controller goes away: the apps keep serving.
    await controller.close();
    for (const addr of Object.values(ADDR)) assert.match(await fetchText(addr, 8080), /^Moin/);
    // It comes back on the same address; the agents follow again, and a rollback reaches them.
    const port = Number(new URL(url).port);
    controller = await until('controller restart', async () => startController({ data, listen: `127.0.0.1:${port}` }));
    const back = await admin.rollback(1);
    assert.equal(back.revision, 3);
    for (const addr of Object.values(ADDR)) await until(`rolled back at ${addr}`, async () => ((await fetchText(addr, 8080)).startsWith('Guten Tag') ? true : undefined), 40_000);
  } finally {
    for (const a of agents) {
      await a.stop();
      // A new driver on the same state adopts the processes; stopping it ends them.
      await ProcessDriver.open({ stateDir: join(a.data, 'state') }).stopAll();
    }
    await controller.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
