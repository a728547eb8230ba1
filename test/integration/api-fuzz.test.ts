/**
 * Bounded fuzzing of the controller's API (a few thousand cases per run): random JSON, random
 * bytes and bodies near each route's own schema, sent to every route that takes a body, with an
 * admin's token, a host's credential and none. Whatever arrives, the answer is never a 5xx,
 * and every refusal is in hafen's error shape with a code from the catalogue.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import fc from 'fast-check';
import type { FastifyInstance } from 'fastify';
import { buildApp } from '../../src/controller/app.js';
import { Secrets } from '../../src/controller/secrets.js';
import { SqliteStore } from '../../src/controller/store/sqlite.js';
import { wireController, type Controller } from '../../src/controller/wiring.js';
import { ERROR_CODES } from '../../src/lib/error-codes.js';
import { keyId, newKey } from '../../src/lib/seal.js';
import { hashToken } from '../../src/lib/secrets.js';
import { EXAMPLES } from '../helpers/paths.js';

let app: FastifyInstance;
let controller: Controller;
const ADMIN = 'Bearer admin-token-fuzz-1234';
let HOST = '';
/** Every route that takes a body, from the OpenAPI document, with a concrete path. */
let routes: { method: 'POST' | 'PUT' | 'DELETE'; url: string }[] = [];

before(async () => {
  const store = new SqliteStore(':memory:');
  const key = newKey();
  controller = wireController(store, new Secrets(store, { key, id: keyId(key), source: 'test', warnings: [] }));
  app = buildApp(controller);
  await store.createApiToken({ id: 'a', name: 'admin', role: 'admin', hash: hashToken('admin-token-fuzz-1234'), createdAt: new Date().toISOString() });
  await app.ready();
  const minimal = readFileSync(join(EXAMPLES, 'minimal.yaml'), 'utf8');
  const applied = await app.inject({ method: 'POST', url: '/v1/apply', headers: { authorization: ADMIN }, payload: { sources: [{ name: 'minimal.yaml', text: minimal }], parent: null } });
  assert.equal(applied.statusCode, 200, applied.body);
  const join_ = await app.inject({ method: 'POST', url: '/v1/hosts/nue-app-01/join-token', headers: { authorization: ADMIN } });
  const joined = await app.inject({ method: 'POST', url: '/v1/agent/join', payload: { token: join_.json().token } });
  HOST = `Bearer ${joined.json().credential}`;
  const doc = (await app.inject({ method: 'GET', url: '/openapi.json' })).json() as { paths: Record<string, Record<string, unknown>> };
  routes = Object.entries(doc.paths).flatMap(([path, ops]) =>
    Object.keys(ops)
      .filter((m) => m === 'post' || m === 'put' || m === 'delete')
      // Parameters get plausible values: a real host, app and customer, an unknown id.
      .map((m) => ({ method: m.toUpperCase() as 'POST', url: path.replace('{host}', 'nue-app-01').replace('{app}', 'huber-shop').replace('{name}', 'fuzz-secret').replace(/\{\w+\}/g, 'x1') })),
  );
  assert.ok(routes.length >= 25, `${routes.length} routes with a body`);
});

after(async () => {
  controller.close();
  await app.close();
});

const CODES = new Set(Object.keys(ERROR_CODES));

async function send(method: string, url: string, auth: string | undefined, payload: string | Buffer, contentType = 'application/json'): Promise<void> {
  const res = await app.inject({ method: method as 'POST', url, headers: { 'content-type': contentType, ...(auth ? { authorization: auth } : {}) }, payload });
  const where = `${method} ${url} (${auth === ADMIN ? 'admin' : auth ? 'host' : 'no token'}) with ${String(payload).slice(0, 200)}`;
  assert.ok(res.statusCode < 500, `${where}: ${res.statusCode} ${res.body.slice(0, 300)}`);
  if (res.statusCode >= 400) {
    const body = res.json() as { error?: { code?: string; message?: string } };
    assert.ok(body.error && CODES.has(body.error.code ?? '') && typeof body.error.message === 'string', `${where}: ${res.body.slice(0, 300)}`);
  }
}

/** Who sends it: the admin, the host's agent, or nobody (HOST is known only once the fuzzing starts). */
const auth = fc.constantFrom('admin', 'host', 'none').map((who) => (who === 'admin' ? ADMIN : who === 'host' ? HOST : undefined));

test('property: any JSON to any route with a body gets an answer under 500, refusals with a code', async () => {
  await fc.assert(
    fc.asyncProperty(fc.nat(), auth, fc.jsonValue({ maxDepth: 4 }), async (i, who, value) => {
      const r = routes[i % routes.length]!;
      await send(r.method, r.url, who, JSON.stringify(value));
    }),
    { numRuns: 1500 },
  );
});

test('property: objects shaped like the bodies (their field names, any values) get an answer under 500', async () => {
  const field = fc.constantFrom('sources', 'projects', 'parent', 'message', 'site', 'batch', 'allowDestroy', 'allocations', 'name', 'role', 'customer', 'password', 'token', 'value', 'decision', 'by', 'note', 'to', 'apps', 'share', 'from', 'start', 'days', 'matchers', 'duration', 'endsAt', 'comment', 'kind', 'snapshot', 'units', 'agent', 'appliedHash', 'results', 'replicas', 'revision', 'traffic', 'runs', 'tasks');
  const value = fc.oneof(fc.jsonValue({ maxDepth: 3 }), fc.array(fc.record({ name: fc.string({ maxLength: 20 }), text: fc.string({ maxLength: 200 }) }), { maxLength: 3 }));
  await fc.assert(
    fc.asyncProperty(fc.nat(), auth, fc.dictionary(field, value, { maxKeys: 5 }), async (i, who, body) => {
      const r = routes[i % routes.length]!;
      await send(r.method, r.url, who, JSON.stringify(body));
    }),
    { numRuns: 1500 },
  );
});

test('property: bytes that are not JSON, and other content types, get an answer under 500', async () => {
  await fc.assert(
    fc.asyncProperty(fc.nat(), auth, fc.uint8Array({ maxLength: 200 }), fc.constantFrom('application/json', 'text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x'), async (i, who, bytes, type) => {
      const r = routes[i % routes.length]!;
      await send(r.method, r.url, who, Buffer.from(bytes), type);
    }),
    { numRuns: 600 },
  );
});
