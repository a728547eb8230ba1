import assert from 'node:assert/strict';
import http from 'node:http';
import https from 'node:https';
import type net from 'node:net';
import type { AddressInfo } from 'node:net';
import { after, before, test } from 'node:test';
import type { Probe } from '../../core/monitor/checks.js';
import { selfSigned } from '../../../test/helpers/certs.js';
import { loopbackNet } from '../../../test/helpers/loopback.js';
import { runProbe } from './probe.js';

const lo = loopbackNet();
let server: http.Server;
let port = 0;
let seenFrom = '';

before(async () => {
  server = http.createServer((req, res) => {
    seenFrom = req.socket.remoteAddress ?? '';
    if (req.url === '/slow') return void setTimeout(() => res.end('late'), 2000).unref();
    res.writeHead(req.url === '/healthz' ? 200 : 503).end(`host=${req.headers.host} all good`);
  });
  await new Promise<void>((r) => server.listen(0, `${lo}.1`, r));
  port = (server.address() as AddressInfo).port;
});

after(async () => {
  server.closeAllConnections();
  server.close();
});

const probe = (extra: Partial<Probe>): Probe => ({ id: 'replica:t-r1', kind: 'http', address: `${lo}.1`, port, path: '/healthz', intervalMs: 1000, timeoutMs: 500, ...extra });

test('an HTTP probe leaves from the source address, sends the Host header and checks status and keyword', async () => {
  const ok = await runProbe(probe({ host: 'shop.example.com', keyword: 'host=shop.example.com' }), `${lo}.2`);
  assert.equal(ok.ok, true, ok.error);
  assert.equal(seenFrom, `${lo}.2`, 'probes leave from the host\'s own address, so a path fault shows per site');
  assert.match((await runProbe(probe({ keyword: 'nowhere' }))).error ?? '', /does not contain "nowhere"/);
  assert.match((await runProbe(probe({ path: '/broken' }))).error ?? '', /HTTP 503, expected 200/);
  const slow = await runProbe(probe({ path: '/slow' }));
  assert.match(slow.error ?? '', /no answer within 500 ms/);
  assert.ok(slow.ms >= 450 && slow.ms < 1500, `gave up after ${slow.ms} ms`);
  assert.match((await runProbe(probe({ port: 1 }))).error ?? '', /ECONNREFUSED/);
});

test('a TCP probe connects from the source address; a closed port fails', async () => {
  const seen = new Promise<string>((resolve) => server.once('connection', (s: net.Socket) => resolve(s.remoteAddress ?? '')));
  assert.equal((await runProbe(probe({ kind: 'tcp' }), `${lo}.2`)).ok, true);
  assert.equal(await seen, `${lo}.2`);
  assert.match((await runProbe(probe({ kind: 'tcp', port: 1 }))).error ?? '', /ECONNREFUSED/);
});

test('a TLS probe checks the name and the trust (a self-signed certificate is not trusted)', async () => {
  const made = await selfSigned('shop.example.com');
  const tls = https.createServer({ key: made.key, cert: made.cert }, (_q, r) => r.end());
  await new Promise<void>((r) => tls.listen(0, `${lo}.1`, r));
  const tlsPort = (tls.address() as AddressInfo).port;
  try {
    const cert = (extra: Partial<Probe>) => runProbe(probe({ kind: 'tls', port: tlsPort, host: 'shop.example.com', minDaysLeft: 14, ...extra }));
    // The certificate is self-signed: not trusted by the system, which a visitor's browser would say too.
    assert.match((await cert({})).error ?? '', /not trusted/);
    assert.match((await cert({ host: 'other.example.org' })).error ?? '', /not valid for other.example.org/);
  } finally {
    tls.close();
  }
});

test('a PostgreSQL probe wants the server\'s answer to an SSLRequest: a server that accepts and says nothing (hung) fails, as does one that speaks another protocol', async () => {
  const { createServer } = await import('node:net');
  const servers: net.Server[] = [];
  const listen = async (onData: (s: net.Socket, d: Buffer) => void) => {
    const srv = createServer((s) => s.on('data', (d) => onData(s, d)).on('error', () => {}));
    servers.push(srv);
    await new Promise<void>((r) => srv.listen(0, `${lo}.1`, r));
    return (srv.address() as AddressInfo).port;
  };
  try {
    // What PostgreSQL answers without TLS: "N"; the request must be the 8-byte SSLRequest.
    const answering = await listen((s, d) => s.write(d.equals(Buffer.from([0, 0, 0, 8, 0x04, 0xd2, 0x16, 0x2f])) ? 'N' : 'E'));
    const ok = await runProbe(probe({ kind: 'postgres', port: answering }), `${lo}.2`);
    assert.equal(ok.ok, true, ok.error);
    const silent = await listen(() => {});
    assert.match((await runProbe(probe({ kind: 'postgres', port: silent }))).error ?? '', /no answer from PostgreSQL within 500 ms/);
    const http = await listen((s) => s.end('HTTP/1.1 400 Bad Request\r\n\r\n'));
    assert.match((await runProbe(probe({ kind: 'postgres', port: http }))).error ?? '', /not a PostgreSQL answer \(first byte 0x48\)/);
    assert.match((await runProbe(probe({ kind: 'postgres', port: 1 }))).error ?? '', /ECONNREFUSED/);
  } finally {
    for (const s of servers) s.close();
  }
});
