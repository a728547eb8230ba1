/**
 * HTTPS at the proxy, for every engine: certificates per host name from a directory (exact and
 * "_." wildcard files), chosen by SNI; a name without a certificate fails the handshake; a pair
 * added to the directory is served without a restart, a renewed one replaces the old, a removed
 * one is no longer served; X-Forwarded-Proto says https; plain HTTP for an app with
 * redirectHttps gets a 308 to the same URL over HTTPS.
 */
import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { copyFileSync, mkdtempSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import tls from 'node:tls';
import type { RouteTable } from '../../src/core/render/routes.js';
import { startBackend } from '../helpers/backends.js';
import { selfSigned, writeCerts } from '../helpers/certs.js';
import { loopbackNet } from '../helpers/loopback.js';

export interface TlsEngine {
  url: string;
  tlsUrl: string;
  close(): Promise<void>;
}

function httpsGet(url: string, servername: string, ca: string, host = servername): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const u = new URL(url);
    const req = https.request({ host: u.hostname, port: u.port, path: '/', servername, headers: { host }, ca, agent: false }, (res) => {
      let body = '';
      res.on('data', (d: Buffer) => (body += d.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

/** Sends raw bytes over one TLS connection; everything answered until it went quiet. */
function tlsRaw(url: string, servername: string, ca: string, bytes: string): Promise<string> {
  const u = new URL(url);
  return new Promise((resolve, reject) => {
    let out = '';
    let timer: NodeJS.Timeout | undefined;
    const s = tls.connect({ host: u.hostname, port: Number(u.port), servername, ca }, () => s.write(bytes));
    s.on('data', (d: Buffer) => {
      out += d.toString('latin1');
      clearTimeout(timer);
      timer = setTimeout(() => (s.destroy(), resolve(out)), 300);
    });
    s.on('error', reject);
  });
}

/** The SHA-256 fingerprint of the certificate the proxy shows for `servername` (undefined: the handshake failed). */
function servedFingerprint(url: string, servername: string): Promise<string | undefined> {
  const u = new URL(url);
  return new Promise((resolve) => {
    const s = tls.connect({ host: u.hostname, port: Number(u.port), servername, rejectUnauthorized: false }, () => {
      resolve(s.getPeerCertificate().fingerprint256);
      s.destroy();
    });
    s.on('error', () => resolve(undefined));
  });
}

async function eventually(what: string, check: () => Promise<boolean>): Promise<void> {
  for (let i = 0; i < 50; i++) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  assert.fail(`${what} within 5 s`);
}

/** Each run takes a loopback /24 of its own (loopbackNet). `start` serves `table` over HTTP and HTTPS with the certificates of `certs` (watched). */
export function tlsContract(name: string, start: (table: RouteTable, certs: string, host: string) => Promise<TlsEngine>, skip?: string): void {
  test(`${name}: a certificate per name by SNI, added, renewed and removed in the directory without a restart; https in X-Forwarded-Proto; redirects from plain HTTP`, { ...(skip ? { skip } : {}) }, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'hafen-certs-'));
    // Made now, valid from yesterday for a year: the test passes on any day.
    const made = mkdtempSync(join(tmpdir(), 'hafen-certs-made-'));
    const certs = await writeCerts(made, ['shop.example.com', '*.example.net']);
    copyFileSync(join(made, 'shop.example.com.crt'), join(dir, 'shop.example.com.crt'));
    copyFileSync(join(made, 'shop.example.com.key'), join(dir, 'shop.example.com.key'));
    const net = loopbackNet();
    const backend = await startBackend('tls-r1', `${net}.1`);
    const replicas = [{ id: 'tls-r1', site: 'nue', host: 'h1', address: backend.address, port: backend.port, weight: 100, state: 'active' as const }];
    const table: RouteTable = {
      revision: 1,
      routes: [
        { host: 'shop.example.com', pathPrefix: '/', app: 'shop', redirectHttps: true, replicas },
        { host: '*.example.net', pathPrefix: '/', app: 'net', redirectHttps: false, replicas },
      ],
    };
    const p = await start(table, dir, `${net}.100`);
    try {
      const shopCa = certs['shop.example.com']!.cert;
      const res = await httpsGet(p.tlsUrl, 'shop.example.com', shopCa);
      assert.equal(res.status, 200);
      assert.match(res.body, /^tls-r1 GET \//);
      assert.equal(backend.last?.['x-forwarded-proto'], 'https');
      // A connection made for one name does not serve another (another customer's domain): 421.
      const misdirected = await httpsGet(p.tlsUrl, 'shop.example.com', shopCa, 'blog.example.net');
      assert.equal(misdirected.status, 421);
      assert.match(misdirected.body, /HAFEN_PROXY_MISDIRECTED/);
      // A request to upgrade to another protocol than WebSocket is an ordinary one over TLS too; the connection stays HTTP.
      const both = await tlsRaw(p.tlsUrl, 'shop.example.com', shopCa, ['/first', '/second'].map((path, i) => `GET ${path} HTTP/1.1\r\nhost: shop.example.com\r\n${i === 0 ? 'connection: upgrade\r\nupgrade: h2c\r\n' : ''}\r\n`).join(''));
      assert.match(both, /tls-r1 GET \/first(?! \(upgrade ignored)[^]*tls-r1 GET \/second/, both);

      // No certificate for the name yet: the handshake fails; once the pair is in the directory, it works.
      const netCa = certs['*.example.net']!.cert;
      await assert.rejects(httpsGet(p.tlsUrl, 'blog.example.net', netCa));
      copyFileSync(join(made, '_.example.net.key'), join(dir, '_.example.net.key'));
      copyFileSync(join(made, '_.example.net.crt'), join(dir, '_.example.net.crt'));
      await eventually('the wildcard certificate was picked up', () => httpsGet(p.tlsUrl, 'blog.example.net', netCa).then((r) => r.status === 200, () => false));

      // A renewed pair (new key, new certificate) replaces the old one.
      const before = await servedFingerprint(p.tlsUrl, 'shop.example.com');
      const renewed = await selfSigned('shop.example.com', { days: 2 });
      const fresh = new X509Certificate(renewed.cert).fingerprint256;
      assert.notEqual(before, fresh);
      writeFileSync(join(dir, 'shop.example.com.key'), renewed.key);
      writeFileSync(join(dir, 'shop.example.com.crt'), renewed.cert);
      await eventually('the renewed certificate was served', async () => (await servedFingerprint(p.tlsUrl, 'shop.example.com')) === fresh);
      assert.equal((await httpsGet(p.tlsUrl, 'shop.example.com', renewed.cert)).status, 200);

      // A removed pair is no longer served.
      unlinkSync(join(dir, '_.example.net.crt'));
      unlinkSync(join(dir, '_.example.net.key'));
      await eventually('the removed certificate was dropped', async () => (await servedFingerprint(p.tlsUrl, 'blog.example.net')) === undefined);

      // Plain HTTP: redirected for the app that asks for it, served for the other.
      const plain = (host: string) =>
        new Promise<http.IncomingMessage>((resolve, reject) => {
          const req = http.request(`${p.url}/cart?id=7`, { headers: { host }, agent: false }, (r) => (r.resume(), resolve(r)));
          req.on('error', reject);
          req.end();
        });
      const redirected = await plain('shop.example.com');
      assert.equal(redirected.statusCode, 308);
      assert.equal(redirected.headers.location, 'https://shop.example.com/cart?id=7');
      assert.equal((await plain('blog.example.net')).statusCode, 200);
    } finally {
      await p.close();
      await backend.close();
      rmSync(dir, { recursive: true, force: true });
      rmSync(made, { recursive: true, force: true });
    }
  });
}
