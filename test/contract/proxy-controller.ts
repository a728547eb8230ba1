/**
 * A proxy following the controller, for every engine: the minimal fleet runs on two agents
 * (process driver); a proxy on one of the hosts gets the route table from the controller, with
 * the addresses the agents report, and routes the shop's domain to both replicas. `hafen
 * status` shows the proxy's view and the traffic it counted. Without the controller the proxy
 * keeps serving, and starts from its cache.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { test } from 'node:test';
import { startAgent } from '../../src/agent/main.js';
import { ProcessDriver } from '../../src/agent/drivers/process.js';
import { HafenClient } from '../../src/client/client.js';
import { startController } from '../../src/controller/main.js';
import { startProxy, type ProxyStartOptions } from '../../src/proxy/main.js';
import { EXAMPLES } from '../helpers/paths.js';
import { getWithHost } from '../helpers/http.js';
import { freePort } from '../helpers/demo.js';
import { until } from '../helpers/wait.js';
import { loopbackNet } from '../helpers/loopback.js';

const minimal = readFileSync(join(EXAMPLES, 'minimal.yaml'), 'utf8');
const quiet = new Writable({ write: (_c, _e, cb) => cb() });

/** Each run takes a loopback /24 of its own (loopbackNet): the agents at .41 and .42, the proxy at .40. */
export function proxyFollowsController(name: string, engine: Pick<ProxyStartOptions, 'engine' | 'haproxy'>, skip?: string): void {
  const net = loopbackNet();
  const ADDR: Record<string, string> = { 'nue-app-01': `${net}.41`, 'nue-app-02': `${net}.42` };
  test(`${name}: a proxy follows the controller's route table, reports what it sees, and serves on without the controller`, { ...(skip ? { skip } : {}) }, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'hafen-proxy-ctl-'));
    const data = join(dir, 'controller');
    let controller: Awaited<ReturnType<typeof startController>> | undefined = await startController({ data, listen: '127.0.0.1:0' });
    const url = controller.url;
    const admin = new HafenClient(url, readFileSync(join(data, 'admin.token'), 'utf8').trim());
    const agents: { data: string; stop(): Promise<void> }[] = [];
    const proxies: { stop(): Promise<void> }[] = [];
    try {
      await admin.apply([{ name: 'minimal.yaml', text: minimal }], null);
      for (const host of Object.keys(ADDR)) {
        const agentData = join(dir, host);
        const { agent } = await startAgent({ controller: url, data: agentData, joinToken: (await admin.joinToken(host)).token, driver: 'process', address: ADDR[host]! });
        agents.push({ data: agentData, stop: () => agent.stop() });
      }
      await until('every replica running', async () => ((await admin.status()).apps.every((a) => a.running === a.desired) ? true : undefined));

      // The proxy runs on nue-app-01 and uses that host's credential (the agent's data directory).
      const proxyData = join(dir, 'nue-app-01');
      const adminAt = `${net}.40:${await freePort()}`;
      let proxy = await startProxy({ controller: url, data: proxyData, listen: `${net}.40:0`, admin: adminAt, logStream: quiet, ...engine });
      proxies.push(proxy);
      assert.equal(proxy.site, 'nue', 'the site comes from the proxy\'s host');
      const seen = new Set<string>();
      await until('both replicas served through the proxy', async () => {
        const r = await getWithHost(proxy.url, 'shop.baeckerei-huber.example');
        const m = /from (huber-shop-r\d)/.exec(r.body);
        if (m) seen.add(m[1]!);
        return seen.size === 2 ? true : undefined;
      });
      assert.equal((await getWithHost(proxy.url, 'unknown.example')).status, 404);
      const view = await until('the proxy view in status', async () => (await admin.status()).proxies.find((p) => p.host === 'nue-app-01'));
      assert.equal(view.site, 'nue');
      assert.deepEqual(view.replicas.map((r) => [r.id, r.up]).sort(), [['huber-shop-r1', true], ['huber-shop-r2', true]], 'apps with domains only');
      // The admin address: the same view, the revision, and Prometheus metrics.
      const own = JSON.parse((await getWithHost(`http://${adminAt}`, 'x', '/replicas')).body) as { revision: number; replicas: { id: string; up: boolean }[] };
      assert.deepEqual(own.replicas.map((r) => [r.id, r.up]).sort(), [['huber-shop-r1', true], ['huber-shop-r2', true]]);
      assert.equal(JSON.parse((await getWithHost(`http://${adminAt}`, 'x', '/healthz')).body).revision, own.revision);
      assert.match((await getWithHost(`http://${adminAt}`, 'x', '/metrics')).body, /^# (HELP|TYPE) /m);
      assert.equal((await getWithHost(`http://${adminAt}`, 'x', '/nothing')).status, 404);

      // The requests it forwarded reach the traffic history (per app, site and hour).
      const served = await until('traffic counted', async () => {
        const t = (await admin.traffic(new Date(Date.now() - 3600_000).toISOString(), 'huber-shop')).traffic;
        return t.length > 0 ? t : undefined;
      });
      assert.equal(served[0]!.site, 'nue');
      assert.ok(served.reduce((n, t) => n + t.requests, 0) >= 2);

      // Without the controller: the running proxy serves on; a restarted one starts from its cache.
      await controller.close();
      controller = undefined;
      assert.match((await getWithHost(proxy.url, 'shop.baeckerei-huber.example')).body, /from huber-shop-r\d/);
      await proxy.stop();
      proxies.pop();
      proxy = await startProxy({ controller: url, data: proxyData, listen: `${net}.40:0`, logStream: quiet, ...engine });
      proxies.push(proxy);
      assert.match((await getWithHost(proxy.url, 'shop.baeckerei-huber.example')).body, /from huber-shop-r\d/);
    } finally {
      for (const p of proxies) await p.stop();
      for (const a of agents) {
        await a.stop();
        await ProcessDriver.open({ stateDir: join(a.data, 'state') }).stopAll();
      }
      await controller?.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
}
