/**
 * A site that hangs instead of refusing: the proxy's own-site replica runs in a network
 * namespace the test makes (veth pair, 10.201.x.0/30), the other site's on loopback. Under
 * 500 GET/s, nftables in the namespace starts dropping every packet (connections hang, nothing
 * is refused). No GET may fail; the hung replica must be ejected within a second, and the
 * requests that waited on it are sent to the other site.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import http from 'node:http';
import { test } from 'node:test';
import type { RouteTable } from '../../src/core/render/routes.js';
import { startProxyServer } from '../../src/proxy/server.js';
import { startBackend } from '../helpers/backends.js';
import { need, run, works } from '../helpers/system.js';
import { sleep } from '../helpers/wait.js';
import { loopbackNet } from '../helpers/loopback.js';

const lo = loopbackNet();

const BACKEND = "require('http').createServer((q,s)=>{s.setHeader('x-backend','nue-r1');s.end('nue-r1')}).listen(18800,process.argv[1])";

test('a replica that hangs (packets dropped) is ejected within a second and no GET fails', async (t) => {
  if (!need(t, process.getuid?.() === 0 && works('ip', ['netns', 'list']) && works('nft', ['--version']), 'needs root, ip netns and nft')) return;
  const id = process.pid % 200;
  const ns = `hafen-bh-${process.pid}`;
  const [hostIf, nsIf] = [`hbh${id}a`, `hbh${id}b`];
  const [hostIp, nsIp] = [`10.201.${id}.1`, `10.201.${id}.2`];
  const sh = (args: string[]) => {
    const r = run(args[0]!, args.slice(1));
    assert.equal(r.status, 0, `${args.join(' ')}: ${r.stderr}`);
  };
  sh(['ip', 'netns', 'add', ns]);
  const backend = spawn('ip', ['netns', 'exec', ns, process.execPath, '-e', BACKEND, nsIp], { stdio: 'ignore' });
  const vie = await startBackend('vie-r1', `${lo}.1`);
  let proxy: Awaited<ReturnType<typeof startProxyServer>> | undefined;
  const agent = new http.Agent({ keepAlive: true, maxSockets: 200 });
  try {
    sh(['ip', 'link', 'add', hostIf, 'type', 'veth', 'peer', 'name', nsIf]);
    sh(['ip', 'link', 'set', nsIf, 'netns', ns]);
    sh(['ip', 'addr', 'add', `${hostIp}/30`, 'dev', hostIf]);
    sh(['ip', 'link', 'set', hostIf, 'up']);
    sh(['ip', 'netns', 'exec', ns, 'ip', 'addr', 'add', `${nsIp}/30`, 'dev', nsIf]);
    sh(['ip', 'netns', 'exec', ns, 'ip', 'link', 'set', nsIf, 'up']);
    sh(['ip', 'netns', 'exec', ns, 'ip', 'link', 'set', 'lo', 'up']);
    for (let i = 0; i < 50 && run('curl', ['-s', '-m', '1', `http://${nsIp}:18800/`]).stdout !== 'nue-r1'; i++) await sleep(100);

    const events = new Map<string, number>();
    const table: RouteTable = {
      revision: 1,
      routes: [
        {
          host: 'app.example.com',
          pathPrefix: '/',
          app: 'app',
          redirectHttps: false,
          replicas: [
            { id: 'nue-r1', site: 'nue', host: 'nue-app-01', address: nsIp, port: 18800, weight: 100, state: 'active' },
            { id: 'vie-r1', site: 'vie', host: 'vie-app-01', address: vie.address, port: vie.port, weight: 100, state: 'active' },
          ],
        },
      ],
    };
    proxy = await startProxyServer({
      site: 'nue',
      table,
      listen: { host: `${lo}.100`, port: 0 },
      onHealth: (replica, e) => {
        if ((e === 'ejected' || e === 'down') && !events.has(replica)) events.set(replica, performance.now());
      },
    });
    const request = () =>
      new Promise<{ status: number; backend: string }>((resolve) => {
        const req = http.request(`${proxy!.url}/`, { agent, headers: { host: 'app.example.com' } }, (res) => {
          res.resume();
          res.on('end', () => resolve({ status: res.statusCode ?? 0, backend: String(res.headers['x-backend'] ?? '') }));
        });
        req.on('error', () => resolve({ status: 0, backend: '' }));
        req.end();
      });
    const results: Promise<{ status: number; backend: string }>[] = [];
    const timer = setInterval(() => {
      for (let i = 0; i < 5; i++) results.push(request());
    }, 10);
    await sleep(1500);
    const before = (await Promise.all(results.slice())).filter((r) => r.backend === 'nue-r1').length;
    assert.ok(before > 300, `the own site served first (${before})`);
    sh(['ip', 'netns', 'exec', ns, 'nft', 'add table inet hafen_bh; add chain inet hafen_bh in { type filter hook input priority 0; policy drop; }']);
    const droppedAt = performance.now();
    await sleep(3500);
    clearInterval(timer);
    const all = await Promise.all(results);
    const failed = all.filter((r) => r.status !== 200);
    assert.equal(failed.length, 0, `${failed.length} of ${all.length} GETs failed`);
    const ejectedAfter = (events.get('nue-r1') ?? Infinity) - droppedAt;
    console.log(`ejected ${ejectedAfter.toFixed(0)} ms after the drop`);
    assert.ok(ejectedAfter <= 1000, `the hung replica was taken out ${ejectedAfter.toFixed(0)} ms after the drop (800 ms to call it a stall, checked every 100 ms)`);
    assert.ok(vie.served > 500, 'the other site took over');
  } finally {
    agent.destroy();
    await proxy?.close();
    backend.kill();
    await vie.close();
    run('ip', ['link', 'del', hostIf]);
    run('ip', ['netns', 'del', ns]);
  }
});
