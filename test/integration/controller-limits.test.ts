/**
 * Request bodies against a real controller on loopback (api/limits.ts): the routes anyone may
 * call take 64 KiB; a route that needs a credential answers a large body without one from its
 * headers, before the body is read; fleets still fit where fleets travel.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { loggedUrl } from '../../src/controller/app.js';
import { startController } from '../../src/controller/main.js';

const dir = mkdtempSync(join(tmpdir(), 'hafen-limits-'));
let controller: Awaited<ReturnType<typeof startController>>;
let token: string;

before(async () => {
  controller = await startController({ data: join(dir, 'controller'), listen: '127.0.0.1:0' });
  token = readFileSync(controller.adminTokenFile!, 'utf8').trim();
});

after(async () => {
  await controller.close();
  rmSync(dir, { recursive: true, force: true });
});

/** A POST that announces `length` bytes but sends only `send` of them, then waits for an answer (or 3 s). */
function partialPost(path: string, length: number, send: number, headers: Record<string, string> = {}): Promise<{ status: number; body: string } | 'no answer'> {
  const url = new URL(path, controller.url);
  return new Promise((resolve) => {
    const req = http.request({ host: url.hostname, port: url.port, path: url.pathname, method: 'POST', headers: { 'content-type': 'application/json', 'content-length': String(length), ...headers } }, (res) => {
      let body = '';
      res.on('data', (c: Buffer) => (body += c.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', () => {});
    const timer = setTimeout(() => {
      resolve('no answer');
      req.destroy();
    }, 3000);
    req.on('close', () => clearTimeout(timer));
    req.write(Buffer.alloc(send, 0x20));
  });
}

test('the routes anyone may call take 64 KiB; more is refused', async () => {
  for (const path of ['/v1/login', '/v1/agent/join', '/v1/consent/hfc_unknown']) {
    const res = await fetch(new URL(path, controller.url), { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ name: 'x', password: 'y'.repeat(100 * 1024) }) });
    assert.equal(res.status, 413, path);
  }
  const small = await fetch(new URL('/v1/login', controller.url), { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ name: 'nobody', password: 'wrong password' }) });
  assert.equal(small.status, 401, 'a normal login is read and answered');
});

test('a large body to a route that needs a credential is refused from its headers, without one or with a wrong one, before it is read', async () => {
  const missing = await partialPost('/v1/apply', 50 * 1024 * 1024, 128 * 1024);
  assert.notEqual(missing, 'no answer', 'answered while 50 MB were still to come');
  assert.equal((missing as { status: number }).status, 401);
  assert.match((missing as { body: string }).body, /HAFEN_AUTH_MISSING/);
  const wrong = await partialPost('/v1/plan', 50 * 1024 * 1024, 128 * 1024, { authorization: 'Bearer hft_not-a-token' });
  assert.notEqual(wrong, 'no answer');
  assert.match((wrong as { body: string }).body, /HAFEN_AUTH_INVALID/);
});

test('1 MiB elsewhere; fleets may be large where they travel', async () => {
  const auth = { authorization: `Bearer ${token}`, 'content-type': 'application/json' };
  const secret = await fetch(new URL('/v1/secrets/big', controller.url), { method: 'PUT', headers: auth, body: JSON.stringify({ value: 'x'.repeat(2 * 1024 * 1024) }) });
  assert.equal(secret.status, 413);
  const fleet = `# ${'padding '.repeat(300_000)}\nversion: 1\n`;
  const plan = await fetch(new URL('/v1/plan', controller.url), { method: 'POST', headers: auth, body: JSON.stringify({ sources: [{ name: 'f.yaml', text: fleet }] }) });
  assert.notEqual(plan.status, 413, `a 2.4 MB fleet is read (${plan.status})`);
});

test('a login is JSON only: a cross-site form cannot post one', async () => {
  const form = await fetch(new URL('/v1/login', controller.url), { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'name=admin&password=x' });
  assert.equal(form.status, 400);
  assert.match(await form.text(), /a login is JSON/);
});

test("a consent link's token is never logged, however its path is spelled", () => {
  for (const url of ['/v1/consent/hfc_secret', '/v1/%63onsent/hfc_secret', '/V1/CONSENT/hfc_secret?x=1', '/v1/consent%2Fhfc_secret']) assert.equal(loggedUrl(url), '/v1/consent/***', url);
  assert.equal(loggedUrl('/v1/status?x=%'), '/v1/status?x=%', 'an undecodable URL is logged as it is');
});

