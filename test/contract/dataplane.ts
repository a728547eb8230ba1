/**
 * The data-plane contract: every proxy engine (the built-in one, HAProxy driven by hafen) must pass
 * it. The fixture starts an engine for a site with a route table and limits; backends are
 * small Node servers on loopback addresses that answer with their own id.
 */
import assert from 'node:assert/strict';
import net from 'node:net';
import { describe, test } from 'node:test';
import type { Replica, RouteTable } from '../../src/core/render/routes.js';
import { startBackend, type Backend } from '../helpers/backends.js';
import { getWithHost } from '../helpers/http.js';
import { sleep, until } from '../helpers/wait.js';
import { loopbackNet } from '../helpers/loopback.js';

export interface Engine {
  url: string;
  update(table: RouteTable): Promise<void> | void;
  close(): Promise<void>;
}

export interface EngineOptions {
  site: string;
  table: RouteTable;
  /** Short limits so tests of slow clients finish quickly. */
  headersTimeoutMs?: number;
  maxHeaderBytes?: number;
  maxConnectionsPerClient?: number;
  tunnelIdleTimeoutMs?: number;
}

const replica = (b: Backend, site: string, host: string, extra: Partial<Replica> = {}): Replica => ({ id: b.id, site, host, address: b.address, port: b.port, weight: 100, state: 'active', ...extra });

function tableOf(routes: { host: string; app: string; replicas: Replica[]; pathPrefix?: string; health?: boolean }[], revision = 1): RouteTable {
  return {
    revision,
    routes: routes.map((r) => ({ host: r.host, pathPrefix: r.pathPrefix ?? '/', app: r.app, redirectHttps: false, replicas: r.replicas, ...(r.health === false ? {} : { health: { path: '/healthz', expectStatus: 200 } }) })),
  };
}

/** Sends raw bytes on one connection and returns everything the proxy answered until it closed or went quiet. */
function raw(url: string, bytes: string, quietMs = 400): Promise<string> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve) => {
    const s = net.connect(Number(port), hostname);
    let out = '';
    let timer: NodeJS.Timeout;
    const finish = () => {
      clearTimeout(timer);
      s.destroy();
      resolve(out);
    };
    const quiet = () => {
      clearTimeout(timer);
      timer = setTimeout(finish, quietMs);
    };
    s.on('data', (d) => {
      out += d.toString('latin1');
      quiet();
    });
    s.on('close', finish);
    s.on('error', finish);
    s.write(bytes);
    quiet();
  });
}

/** `skip`: why the engine cannot run here (a missing program); the tests are then skipped, saying so. */
export function dataPlaneContract(name: string, start: (o: EngineOptions) => Promise<Engine>, skip?: string): void {
  const lo = loopbackNet();
  describe(`Data-plane contract: ${name}`, { timeout: 120_000, ...(skip ? { skip } : {}) }, () => {
    test('routes by exact and wildcard host and by path prefix; unknown hosts get a clear 404', async () => {
      const [a, b, c] = await Promise.all([startBackend('shop-r1', `${lo}.1`), startBackend('api-r1', `${lo}.2`), startBackend('any-r1', `${lo}.3`)]);
      const e = await start({
        site: 'nue',
        table: tableOf([
          { host: 'shop.example.com', app: 'shop', replicas: [replica(a, 'nue', 'h1')] },
          { host: 'shop.example.com', app: 'api', pathPrefix: '/api', replicas: [replica(b, 'nue', 'h2')] },
          { host: '*.example.com', app: 'any', replicas: [replica(c, 'nue', 'h3')] },
        ]),
      });
      try {
        assert.match((await getWithHost(e.url, 'shop.example.com', '/x')).body, /^shop-r1 GET \/x/);
        assert.match((await getWithHost(e.url, 'Shop.Example.com:80', '/api/orders?id=1')).body, /^api-r1 GET \/api\/orders\?id=1/);
        assert.match((await getWithHost(e.url, 'blog.example.com')).body, /^any-r1/);
        const unknown = await getWithHost(e.url, 'nobody.example.org');
        assert.equal(unknown.status, 404);
        assert.deepEqual(JSON.parse(unknown.body), {
          error: { code: 'HAFEN_PROXY_UNKNOWN_HOST', message: 'no site is served here for nobody.example.org', retryable: false },
        }, 'in hafen\'s one error shape');
        const odd = await getWithHost(e.url, 'we"ird\\.example.org');
        // Refused as a bad Host, or answered as unknown: either way the JSON stays valid.
        if (odd.status !== 400) assert.equal(JSON.parse(odd.body).error.code, 'HAFEN_PROXY_UNKNOWN_HOST', odd.body);
      } finally {
        await e.close();
        await Promise.all([a.close(), b.close(), c.close()]);
      }
    });

    test('own site first; weights shift traffic and drain stops new requests, applied without a restart', async () => {
      const [local, other] = await Promise.all([startBackend('w-r1', `${lo}.11`), startBackend('w-r2', `${lo}.12`)]);
      const routes = (lw: number, ow: number, lstate: 'active' | 'drain' = 'active') =>
        tableOf([{ host: 'w.example.com', app: 'w', replicas: [replica(local, 'nue', 'h1', { weight: lw, state: lstate }), replica(other, 'vie', 'h2', { weight: ow })] }]);
      const e = await start({ site: 'nue', table: routes(100, 100) });
      try {
        for (let i = 0; i < 20; i++) assert.match((await getWithHost(e.url, 'w.example.com')).body, /^w-r1/);
        await e.update(routes(0, 100));
        for (let i = 0; i < 20; i++) assert.match((await getWithHost(e.url, 'w.example.com')).body, /^w-r2/, 'weight 0 takes nothing');
        await e.update(routes(100, 100, 'drain'));
        for (let i = 0; i < 20; i++) assert.match((await getWithHost(e.url, 'w.example.com')).body, /^w-r2/, 'a draining replica takes nothing new');
      } finally {
        await e.close();
        await Promise.all([local.close(), other.close()]);
      }
    });

    test('a replica of weight 0 (a standby) takes nothing, not even when the only other replica is gone', async () => {
      const [standby, active] = await Promise.all([startBackend('s-r2', `${lo}.13`), startBackend('s-r1', `${lo}.14`)]);
      const e = await start({ site: 'nue', table: tableOf([{ host: 's.example.com', app: 's', replicas: [replica(active, 'vie', 'h2'), replica(standby, 'nue', 'h1', { weight: 0 })] }]) });
      try {
        for (let i = 0; i < 10; i++) assert.match((await getWithHost(e.url, 's.example.com')).body, /^s-r1/, 'the active, at another site, takes every request');
        await active.close();
        for (let i = 0; i < 10; i++) {
          const res = await getWithHost(e.url, 's.example.com');
          assert.ok(res.status >= 500 && !/^s-r2/.test(res.body), `answered ${res.status} ${res.body.slice(0, 40)}: a standby must not take writes`);
        }
      } finally {
        await e.close();
        await standby.close();
      }
    });

    test('a request in flight on a replica finishes when the replica is drained', async () => {
      const slow = await startBackend('d-r1', `${lo}.21`, { delayMs: 800 });
      const e = await start({ site: 'nue', table: tableOf([{ host: 'd.example.com', app: 'd', replicas: [replica(slow, 'nue', 'h1')] }]) });
      try {
        const inflight = getWithHost(e.url, 'd.example.com', '/slow');
        await sleep(200);
        await e.update(tableOf([{ host: 'd.example.com', app: 'd', replicas: [replica(slow, 'nue', 'h1', { state: 'drain' })] }], 2));
        const res = await inflight;
        assert.equal(res.status, 200);
        assert.match(res.body, /^d-r1 GET \/slow/);
        const after = await getWithHost(e.url, 'd.example.com');
        assert.equal(after.status, 503, 'nothing new goes to a drained replica');
        assert.equal(after.headers['retry-after'], '5');
      } finally {
        await e.close();
        await slow.close();
      }
    });

    test('health: a dead replica is retried around at once, marked down, and back after it recovers', async () => {
      const a = await startBackend('h-r1', `${lo}.31`);
      const b = await startBackend('h-r2', `${lo}.32`);
      const port = a.port;
      const e = await start({ site: 'nue', table: tableOf([{ host: 'h.example.com', app: 'h', replicas: [replica(a, 'nue', 'h1'), replica(b, 'nue', 'h2')] }]) });
      try {
        await a.close();
        for (let i = 0; i < 30; i++) assert.equal((await getWithHost(e.url, 'h.example.com')).status, 200, 'GETs are retried on the live replica');
        const back = await startBackend('h-r1', `${lo}.31`, { port });
        await until('traffic back on the recovered replica', async () => {
          for (let i = 0; i < 10; i++) if ((await getWithHost(e.url, 'h.example.com')).body.startsWith('h-r1')) return true;
          return undefined;
        });
        await back.close();
        await b.close();
        const none = await until('all replicas known down', async () => {
          const r = await getWithHost(e.url, 'h.example.com');
          return r.status === 503 ? r : undefined;
        });
        assert.match(none.body, /no healthy replica/);
        assert.equal(JSON.parse(none.body).error.code, 'HAFEN_PROXY_NO_REPLICA');
        assert.equal(JSON.parse(none.body).error.retryable, true);
      } finally {
        await e.close();
        await Promise.all([a.close(), b.close()]);
      }
    });

    test('forwarding headers are the proxy\'s own; hop-by-hop headers do not cross', async () => {
      const a = await startBackend('x-r1', `${lo}.41`);
      const e = await start({ site: 'nue', table: tableOf([{ host: 'x.example.com', app: 'x', replicas: [replica(a, 'nue', 'h1')] }]) });
      try {
        await getWithHost(e.url, 'x.example.com', '/', { 'x-forwarded-for': '6.6.6.6', forwarded: 'for=6.6.6.6', 'x-real-ip': '6.6.6.6', connection: 'x-secret', 'x-secret': 'hop', 'x-kept': 'yes' });
        assert.equal(a.last?.['x-forwarded-for'], '127.0.0.1');
        assert.equal(a.last?.['x-forwarded-host'], 'x.example.com');
        assert.equal(a.last?.['x-forwarded-proto'], 'http');
        assert.equal(a.last?.forwarded, 'for=127.0.0.1;proto=http;host=x.example.com');
        assert.equal(a.last?.['x-real-ip'], undefined);
        assert.equal(a.last?.['x-secret'], undefined, 'a header named in Connection is hop-by-hop');
        assert.equal(a.last?.['x-kept'], 'yes');
        assert.equal(a.last?.host, 'x.example.com');
        // Addresses and paths some backends believe are the client's claims: dropped.
        const claims = { 'true-client-ip': '6.6.6.6', 'x-client-ip': '6.6.6.6', 'cf-connecting-ip': '6.6.6.6', 'x-original-url': '/admin', 'x-rewrite-url': '/admin' };
        await getWithHost(e.url, 'x.example.com', '/', { ...claims, connection: 'host' });
        for (const h of Object.keys(claims)) assert.equal(a.last?.[h], undefined, h);
        assert.equal(a.last?.host, 'x.example.com', 'a Connection header naming Host does not remove it');
        // Two Host headers that differ: which one counts is not guessed.
        const twice = await raw(e.url, 'GET / HTTP/1.1\r\nHost: x.example.com\r\nHost: other.example.com\r\n\r\n');
        assert.match(twice, /^HTTP\/1\.1 400 /);
        // CONNECT makes no tunnel, and gets an answer rather than a silent close.
        const connect = await raw(e.url, `CONNECT ${a.address}:${a.port} HTTP/1.1\r\nHost: ${a.address}:${a.port}\r\n\r\n`);
        assert.match(connect, /^HTTP\/1\.1 4\d\d /);
      } finally {
        await e.close();
        await a.close();
      }
    });

    /** Apps u (u.example.com) and v (v.example.com), one replica each, behind an engine. */
    const twoApps = async (ua: string, va: string) => {
      const [a, b] = await Promise.all([startBackend('u-r1', ua), startBackend('v-r1', va)]);
      const e = await start({
        site: 'nue',
        table: tableOf([
          { host: 'u.example.com', app: 'u', replicas: [replica(a, 'nue', 'h1')] },
          { host: 'v.example.com', app: 'v', replicas: [replica(b, 'nue', 'h2')] },
        ]),
      });
      return { a, b, e };
    };

    const WS = 'connection: upgrade\r\nupgrade: websocket\r\nsec-websocket-version: 13\r\nsec-websocket-key: dGhlIHNhbXBsZSBub25jZQ==\r\n';

    test('WebSocket handshakes become tunnels once the replica answered 101; tunnels survive a route-table change', async () => {
      const a = await startBackend('u-r1', `${lo}.51`);
      const e = await start({ site: 'nue', table: tableOf([{ host: 'u.example.com', app: 'u', replicas: [replica(a, 'nue', 'h1')] }]) });
      try {
        const { hostname, port } = new URL(e.url);
        const s = net.connect(Number(port), hostname);
        let got = '';
        s.on('data', (d) => (got += d.toString()));
        s.on('error', () => {});
        s.write(`GET /ws HTTP/1.1\r\nhost: u.example.com\r\n${WS}\r\n`);
        await until('switched', async () => (got.includes('hello from u-r1') ? true : undefined));
        assert.match(got, /^HTTP\/1\.1 101/);
        assert.equal(a.last?.['x-forwarded-for'], '127.0.0.1');
        await e.update(tableOf([{ host: 'other.example.com', app: 'o', replicas: [] }], 2));
        s.write('ping\n');
        await until('echo after the update', async () => (got.endsWith('ping\n') ? true : undefined));
        s.destroy();
      } finally {
        await e.close();
        await a.close();
      }
    });

    test('a request to upgrade to anything but a WebSocket is served as an ordinary one, and the connection stays HTTP', async () => {
      const { a, b, e } = await twoApps(`${lo}.52`, `${lo}.53`);
      try {
        const first = 'GET /a HTTP/1.1\r\nhost: u.example.com\r\nconnection: Upgrade\r\nupgrade: x\r\nx-forwarded-for: 6.6.6.6\r\n\r\n';
        const second = 'GET /b HTTP/1.1\r\nhost: v.example.com\r\nx-forwarded-for: 6.6.6.6\r\n\r\n';
        const got = await raw(e.url, first + second);
        assert.doesNotMatch(got, /101 Switching/);
        assert.match(got, /^HTTP\/1\.1 200 /);
        assert.match(got, /u-r1 GET \/a(?! \(upgrade ignored\))/, 'the first request reached its app without its Upgrade header');
        assert.match(got, /v-r1 GET \/b/, `the second request on the connection went to its own app:\n${got}`);
        assert.doesNotMatch(got, /GET \/b HTTP/, 'nothing was echoed back through a tunnel');
        assert.equal(b.last?.['x-forwarded-for'], '127.0.0.1');
        assert.equal(b.last?.upgrade, undefined);
        // A WebSocket upgrade asked with another method than GET is no WebSocket handshake either.
        const post = await raw(e.url, `POST /p HTTP/1.1\r\nhost: u.example.com\r\n${WS}content-length: 2\r\n\r\nhi`);
        assert.match(post, /^HTTP\/1\.1 200 [^]*u-r1 POST \/p hi/);
      } finally {
        await e.close();
        await Promise.all([a.close(), b.close()]);
      }
    });

    test('a WebSocket handshake the replica refuses gets that answer and no tunnel', async () => {
      const { a, b, e } = await twoApps(`${lo}.54`, `${lo}.55`);
      try {
        const { hostname, port } = new URL(e.url);
        const s = net.connect(Number(port), hostname);
        let got = '';
        s.on('data', (d) => (got += d.toString()));
        s.on('error', () => {});
        s.write(`GET /ws-refused HTTP/1.1\r\nhost: u.example.com\r\n${WS}\r\n`);
        await until('answered', async () => (got.includes('no websocket here') ? true : undefined));
        assert.match(got, /^HTTP\/1\.1 403 /);
        // Whatever follows is HTTP again (or the connection closed): never bytes to the replica.
        s.write('ping\nGET /c HTTP/1.1\r\nhost: v.example.com\r\n\r\n');
        await sleep(400);
        s.destroy();
        assert.doesNotMatch(got, /ping/, `the refused handshake's connection became a tunnel:\n${got}`);
      } finally {
        await e.close();
        await Promise.all([a.close(), b.close()]);
      }
    });

    test('a tunnel over which nothing crosses is closed after the idle time', async () => {
      const a = await startBackend('i-r1', `${lo}.56`);
      const e = await start({ site: 'nue', table: tableOf([{ host: 'i.example.com', app: 'i', replicas: [replica(a, 'nue', 'h1')] }]), tunnelIdleTimeoutMs: 600 });
      try {
        const { hostname, port } = new URL(e.url);
        const s = net.connect(Number(port), hostname);
        let got = '';
        let closed = 0;
        s.on('data', (d) => (got += d.toString()));
        s.on('error', () => {});
        s.on('close', () => (closed = Date.now()));
        s.write(`GET /ws HTTP/1.1\r\nhost: i.example.com\r\n${WS}\r\n`);
        await until('switched', async () => (got.includes('hello from i-r1') ? true : undefined));
        const opened = Date.now();
        // Traffic keeps it open past the idle time …
        for (let i = 0; i < 4; i++) {
          await sleep(300);
          s.write(`k${i}\n`);
        }
        await until('echoed', async () => (got.endsWith('k3\n') ? true : undefined));
        assert.equal(closed, 0, 'a tunnel in use stays open');
        // … silence closes it.
        await until('closed when idle', async () => (closed ? true : undefined), 5000);
        assert.ok(closed - opened >= 1200, `closed after ${closed - opened} ms`);
      } finally {
        await e.close();
        await a.close();
      }
    });

    test('smuggling shapes are rejected or answered without desync; slow and oversized heads are cut off', async () => {
      const a = await startBackend('s-r1', `${lo}.61`);
      const e = await start({ site: 'nue', table: tableOf([{ host: 's.example.com', app: 's', replicas: [replica(a, 'nue', 'h1')] }]), headersTimeoutMs: 500, maxHeaderBytes: 4096 });
      const H = 'host: s.example.com\r\n';
      const smuggled = 'GET /smuggled HTTP/1.1\r\nhost: s.example.com\r\n\r\n';
      const corpus: [string, string][] = [
        ['CL.TE', `POST / HTTP/1.1\r\n${H}content-length: 6\r\ntransfer-encoding: chunked\r\n\r\n0\r\n\r\nG`],
        ['TE.CL', `POST / HTTP/1.1\r\n${H}transfer-encoding: chunked\r\ncontent-length: 4\r\n\r\n5c\r\n${smuggled}\r\n0\r\n\r\n`],
        ['TE.TE obfuscated', `POST / HTTP/1.1\r\n${H}transfer-encoding: chunked\r\ntransfer-encoding: x\r\n\r\n0\r\n\r\n${smuggled}`],
        ['TE with a space before the colon', `POST / HTTP/1.1\r\n${H}transfer-encoding : chunked\r\ncontent-length: 3\r\n\r\nabc`],
        ['obs-fold', `GET / HTTP/1.1\r\n${H}x-folded: a\r\n b\r\n\r\n`],
        ['bare LF', `GET / HTTP/1.1\n${H.replace('\r\n', '\n')}\n`],
        ['duplicate content-length', `POST / HTTP/1.1\r\n${H}content-length: 3\r\ncontent-length: 40\r\n\r\nabc${smuggled}`],
      ];
      try {
        for (const [label, bytes] of corpus) {
          const before = a.served;
          const out = await raw(e.url, bytes);
          const statuses = [...out.matchAll(/HTTP\/1\.1 (\d{3})/g)].map((m) => Number(m[1]));
          assert.ok(statuses.length <= 1, `${label}: one answer at most, got ${statuses.join(', ')}`);
          assert.ok(statuses.length === 0 || statuses[0] === 400 || statuses[0] === 200, `${label}: answered ${statuses[0]}`);
          assert.ok(a.served - before <= 1, `${label}: the backend saw at most one request`);
          assert.ok(!out.includes('/smuggled'), `${label}: no smuggled request reached the backend`);
        }
        const slow = await raw(e.url, `GET / HTTP/1.1\r\n${H}x-slow: `, 1500);
        assert.match(slow, /^HTTP\/1\.1 408|^$/, 'a head not finished in time ends the connection');
        const seen = a.served;
        const big = await raw(e.url, `GET / HTTP/1.1\r\n${H}x-big: ${'a'.repeat(8000)}\r\n\r\n`);
        // 431 (RFC 6585) from the built-in proxy; HAProxy answers any head over its buffer with 400.
        assert.match(big, /^HTTP\/1\.1 (431|400) /);
        assert.equal(a.served, seen, 'an oversized head never reaches the backend');
      } finally {
        await e.close();
        await a.close();
      }
    });

    test('a client address gets at most its share of connections', async () => {
      const a = await startBackend('c-r1', `${lo}.71`);
      const e = await start({ site: 'nue', table: tableOf([{ host: 'c.example.com', app: 'c', replicas: [replica(a, 'nue', 'h1')] }]), maxConnectionsPerClient: 5 });
      const { hostname, port } = new URL(e.url);
      const sockets: net.Socket[] = [];
      try {
        const closed: boolean[] = [];
        for (let i = 0; i < 8; i++) {
          const s = net.connect(Number(port), hostname);
          const idx = i;
          closed[idx] = false;
          s.on('close', () => (closed[idx] = true));
          s.on('error', () => {});
          sockets.push(s);
          // A refused connection may be reset before it reports being connected.
          await new Promise((r) => {
            s.once('connect', r);
            s.once('close', r);
          });
        }
        await sleep(200);
        assert.equal(closed.filter(Boolean).length, 3, 'connections over the limit are closed');
      } finally {
        for (const s of sockets) s.destroy();
        await e.close();
        await a.close();
      }
    });
  });
}
