/**
 * WebSocket tunnels at the built-in proxy beyond the data-plane contract: each is logged once
 * when it ends (bytes each way, why it ended), counted while open (metrics), and cut when the
 * proxy stops rather than holding the stop forever.
 */
import assert from 'node:assert/strict';
import net from 'node:net';
import { test } from 'node:test';
import { ProxyMetrics } from '../../src/proxy/metrics.js';
import type { AccessEntry } from '../../src/proxy/proxy.js';
import { startProxyServer } from '../../src/proxy/server.js';
import { shopTable, startBackend } from '../helpers/backends.js';
import { loopbackNet } from '../helpers/loopback.js';
import { until } from '../helpers/wait.js';

const HANDSHAKE = 'GET /ws HTTP/1.1\r\nhost: shop.example.com\r\nconnection: upgrade\r\nupgrade: websocket\r\nsec-websocket-version: 13\r\nsec-websocket-key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n';

function openWs(url: string): { socket: net.Socket; got: () => string; closed: () => boolean } {
  const { hostname, port } = new URL(url);
  const socket = net.connect(Number(port), hostname);
  let got = '';
  let closed = false;
  socket.on('data', (d) => (got += d.toString()));
  socket.on('close', () => (closed = true));
  socket.on('error', () => {});
  socket.write(HANDSHAKE);
  return { socket, got: () => got, closed: () => closed };
}

test('a tunnel is counted while open, logged once when it ends, and cut when the proxy stops', async () => {
  const lo = loopbackNet();
  const backend = await startBackend('shop-r1', `${lo}.1`);
  const log: AccessEntry[] = [];
  const ps = await startProxyServer({ site: 'nue', table: shopTable([{ b: backend, site: 'nue' }]), listen: { host: `${lo}.100`, port: 0 }, onAccess: (e) => log.push(e) });
  const metrics = new ProxyMetrics();
  metrics.countTunnels(() => ps.proxy.openTunnels);
  let stopped = false;
  try {
    const one = openWs(ps.url);
    await until('switched', async () => (one.got().includes('hello from shop-r1') ? true : undefined));
    one.socket.write('ping\n');
    await until('echoed', async () => (one.got().endsWith('ping\n') ? true : undefined));
    assert.equal(ps.proxy.openTunnels, 1);
    assert.match(await metrics.registry.metrics(), /^hafen_proxy_tunnels 1$/m);
    assert.equal(log.length, 0, 'logged when it ends, with its lifetime and bytes');
    one.socket.end();
    await until('logged', async () => (log.length === 1 ? true : undefined));
    const [entry] = log;
    assert.equal(entry?.status, 101);
    assert.equal(entry?.app, 'shop');
    assert.equal(entry?.replica, 'shop-r1');
    assert.equal(entry?.tunnel?.end, 'client');
    assert.ok((entry?.tunnel?.fromClient ?? 0) >= HANDSHAKE.length + 5, JSON.stringify(entry));
    assert.ok((entry?.tunnel?.toClient ?? 0) > 'hello from shop-r1\nping\n'.length, JSON.stringify(entry));
    assert.equal(ps.proxy.openTunnels, 0);
    assert.match(await metrics.registry.metrics(), /^hafen_proxy_tunnels 0$/m);

    // A stop waits for requests in flight, not forever for a WebSocket: after the grace it is cut.
    const two = openWs(ps.url);
    await until('switched', async () => (two.got().includes('hello from shop-r1') ? true : undefined));
    const t0 = Date.now();
    await ps.close();
    stopped = true;
    assert.ok(Date.now() - t0 < 8000, `stopped in ${Date.now() - t0} ms`);
    await until('the tunnel was cut', async () => (two.closed() ? true : undefined), 2000);
    assert.equal(log.at(-1)?.tunnel?.end, 'stop');
  } finally {
    if (!stopped) await ps.close();
    await backend.close();
  }
});

test('a client that leaves before the replica answered its handshake: the replica\'s connection goes too, and the log says so', async () => {
  const lo = loopbackNet();
  // A replica that accepts and never answers.
  const held: net.Socket[] = [];
  let closedUpstream = 0;
  const silent = net.createServer((s) => {
    held.push(s);
    s.on('close', () => closedUpstream++);
    s.on('error', () => {});
  });
  await new Promise<void>((resolve) => silent.listen(0, `${lo}.2`, () => resolve()));
  const port = (silent.address() as net.AddressInfo).port;
  const log: AccessEntry[] = [];
  const ps = await startProxyServer({
    site: 'nue',
    table: { revision: 1, routes: [{ host: 'shop.example.com', pathPrefix: '/', app: 'shop', redirectHttps: false, replicas: [{ id: 'shop-r1', site: 'nue', host: 'h1', address: `${lo}.2`, port, weight: 100, state: 'active' }] }] },
    listen: { host: `${lo}.100`, port: 0 },
    onAccess: (e) => log.push(e),
  });
  try {
    const ws = openWs(ps.url);
    await until('the handshake reached the replica', async () => (held.length > 0 ? true : undefined));
    ws.socket.destroy();
    await until('logged', async () => (log.length === 1 ? true : undefined), 3000);
    assert.equal(log[0]?.status, 0);
    assert.match(log[0]?.error ?? '', /the client closed the connection/);
    await until('the replica\'s connection closed', async () => (closedUpstream > 0 ? true : undefined), 3000);
  } finally {
    await ps.close();
    for (const s of held) s.destroy();
    silent.close();
  }
});
