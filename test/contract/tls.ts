/**
 * HTTPS at the proxy, for every engine: certificates per host name from a directory (exact and
 * "_." wildcard files), chosen by SNI; a name without a certificate fails the handshake; a pair
 * added to the directory is served without a restart, a renewed one replaces the old, a removed
 * one is no longer served; X-Forwarded-Proto says https; plain HTTP for an app with
 * redirectHttps gets a 308 to the same URL over HTTPS.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { copyFileSync, mkdtempSync, readFileSync, rmSync, unlinkSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import tls from 'node:tls';
import type { RouteTable } from '../../src/core/render/routes.js';
import { startBackend } from '../helpers/backends.js';
import { FIXTURES } from '../helpers/paths.js';

const TLS = join(FIXTURES, 'tls');

export interface TlsEngine {
  url: string;
  tlsUrl: string;
  close(): Promise<void>;
}

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

/** `base`: the loopback network used (127.0.BASE.x). `start` serves `table` over HTTP and HTTPS with the certificates of `certs` (watched). */
export function tlsContract(name: string, base: number, start: (table: RouteTable, certs: string, host: string) => Promise<TlsEngine>, skip?: string): void {
  test(`${name}: a certificate per name by SNI, added, renewed and removed in the directory without a restart; https in X-Forwarded-Proto; redirects from plain HTTP`, { ...(skip ? { skip } : {}) }, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'hafen-certs-'));
    const renewed = mkdtempSync(join(tmpdir(), 'hafen-certs-new-'));
    copyFileSync(join(TLS, 'shop.example.com.crt'), join(dir, 'shop.example.com.crt'));
    copyFileSync(join(TLS, 'shop.example.com.key'), join(dir, 'shop.example.com.key'));
    const backend = await startBackend('tls-r1', `127.0.${base}.1`);
    const replicas = [{ id: 'tls-r1', site: 'nue', host: 'h1', address: backend.address, port: backend.port, weight: 100, state: 'active' as const }];
    const table: RouteTable = {
      revision: 1,
      routes: [
        { host: 'shop.example.com', pathPrefix: '/', app: 'shop', redirectHttps: true, replicas },
        { host: '*.example.net', pathPrefix: '/', app: 'net', redirectHttps: false, replicas },
      ],
    };
    const p = await start(table, dir, `127.0.${base}.100`);
    try {
      const shopCa = readFileSync(join(TLS, 'shop.example.com.crt'));
      const res = await httpsGet(p.tlsUrl, 'shop.example.com', shopCa);
      assert.equal(res.status, 200);
      assert.match(res.body, /^tls-r1 GET \//);
      assert.equal(backend.last?.['x-forwarded-proto'], 'https');

      // No certificate for the name yet: the handshake fails; once the pair is in the directory, it works.
      const netCa = readFileSync(join(TLS, '_.example.net.crt'));
      await assert.rejects(httpsGet(p.tlsUrl, 'blog.example.net', netCa));
      copyFileSync(join(TLS, '_.example.net.key'), join(dir, '_.example.net.key'));
      copyFileSync(join(TLS, '_.example.net.crt'), join(dir, '_.example.net.crt'));
      await eventually('the wildcard certificate was picked up', () => httpsGet(p.tlsUrl, 'blog.example.net', netCa).then((r) => r.status === 200, () => false));

      // A renewed pair (new key, new certificate) replaces the old one.
      const before = await servedFingerprint(p.tlsUrl, 'shop.example.com');
      execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '2', '-subj', '/CN=shop.example.com', '-addext', 'subjectAltName=DNS:shop.example.com', '-keyout', join(renewed, 'k'), '-out', join(renewed, 'c')], { stdio: 'ignore' });
      const fresh = new X509Certificate(readFileSync(join(renewed, 'c'))).fingerprint256;
      assert.notEqual(before, fresh);
      copyFileSync(join(renewed, 'k'), join(dir, 'shop.example.com.key'));
      copyFileSync(join(renewed, 'c'), join(dir, 'shop.example.com.crt'));
      await eventually('the renewed certificate was served', async () => (await servedFingerprint(p.tlsUrl, 'shop.example.com')) === fresh);
      assert.equal((await httpsGet(p.tlsUrl, 'shop.example.com', readFileSync(join(renewed, 'c')))).status, 200);

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
      rmSync(renewed, { recursive: true, force: true });
    }
  });
}
