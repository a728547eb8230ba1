/**
 * TLS at the proxy: certificates per host name from a directory (exact and "_." wildcard
 * files), chosen by SNI; a name without a certificate fails the handshake; a certificate added
 * to the directory is served without a restart; X-Forwarded-Proto says https; plain HTTP for an
 * app with httpsRedirect gets a 308 to the same URL over HTTPS.
 */
import assert from 'node:assert/strict';
import { copyFileSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import type { RouteTable } from '../../src/core/render/routes.js';
import { CertStore } from '../../src/proxy/certs.js';
import { startProxyServer } from '../../src/proxy/server.js';
import { startBackend } from '../helpers/backends.js';
import { FIXTURES } from '../helpers/paths.js';

const TLS = join(FIXTURES, 'tls');

function httpsGet(url: string, servername: string, ca: Buffer): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const u = new URL(url);
    const req = https.request({ host: u.hostname, port: u.port, path: '/', servername, headers: { host: servername }, ca, agent: false }, (res) => {
      let body = '';
      res.on('data', (d: Buffer) => (body += d.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

test('TLS: a certificate per name by SNI, reloaded from the directory; https in X-Forwarded-Proto; redirects from plain HTTP', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'hafen-certs-'));
  copyFileSync(join(TLS, 'shop.example.com.crt'), join(dir, 'shop.example.com.crt'));
  copyFileSync(join(TLS, 'shop.example.com.key'), join(dir, 'shop.example.com.key'));
  const backend = await startBackend('tls-r1', '127.0.6.1');
  const replicas = [{ id: 'tls-r1', site: 'nue', host: 'h1', address: backend.address, port: backend.port, weight: 100, state: 'active' as const }];
  const table: RouteTable = {
    revision: 1,
    routes: [
      { host: 'shop.example.com', pathPrefix: '/', app: 'shop', redirectHttps: true, replicas },
      { host: '*.example.net', pathPrefix: '/', app: 'net', redirectHttps: false, replicas },
    ],
  };
  const certs = new CertStore(dir);
  certs.watch();
  const ps = await startProxyServer({ site: 'nue', table, listen: { host: '127.0.6.100', port: 0 }, tls: { listen: { host: '127.0.6.100', port: 0 }, certs } });
  try {
    const shopCa = readFileSync(join(TLS, 'shop.example.com.crt'));
    const res = await httpsGet(ps.tlsUrl!, 'shop.example.com', shopCa);
    assert.equal(res.status, 200);
    assert.match(res.body, /^tls-r1 GET \//);
    assert.equal(backend.last?.['x-forwarded-proto'], 'https');

    // No certificate for the name yet: the handshake fails; once the pair is in the directory, it works.
    const netCa = readFileSync(join(TLS, '_.example.net.crt'));
    await assert.rejects(httpsGet(ps.tlsUrl!, 'blog.example.net', netCa));
    copyFileSync(join(TLS, '_.example.net.key'), join(dir, '_.example.net.key'));
    copyFileSync(join(TLS, '_.example.net.crt'), join(dir, '_.example.net.crt'));
    let ok = false;
    for (let i = 0; i < 50 && !ok; i++) {
      ok = await httpsGet(ps.tlsUrl!, 'blog.example.net', netCa).then((r) => r.status === 200, () => false);
      if (!ok) await new Promise((r) => setTimeout(r, 100));
    }
    assert.ok(ok, 'the wildcard certificate was picked up without a restart');

    // Plain HTTP: redirected for the app that asks for it, served for the other.
    const plain = (host: string) =>
      new Promise<http.IncomingMessage>((resolve, reject) => {
        const req = http.request(`${ps.url}/cart?id=7`, { headers: { host }, agent: false }, (r) => (r.resume(), resolve(r)));
        req.on('error', reject);
        req.end();
      });
    const redirected = await plain('shop.example.com');
    assert.equal(redirected.statusCode, 308);
    assert.equal(redirected.headers.location, 'https://shop.example.com/cart?id=7');
    assert.equal((await plain('blog.example.net')).statusCode, 200);
  } finally {
    certs.close();
    await ps.close();
    await backend.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
