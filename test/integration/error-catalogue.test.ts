/**
 * One error catalogue: every code the source raises, answers or compares against is in the
 * error catalogue (src/lib/error-codes.ts) or the problem catalogue
 * (src/core/fleet/problem-codes.ts), every entry is used, docs/errors.md is generated from both,
 * and the controller answers every error — its own and fastify's — in one shape with the
 * catalogue's status.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { test } from 'node:test';
import type { InjectOptions } from 'fastify';
import { buildApp } from '../../src/controller/app.js';
import { Secrets } from '../../src/controller/secrets.js';
import { wireController } from '../../src/controller/wiring.js';
import { SqliteStore } from '../../src/controller/store/sqlite.js';
import { PROBLEM_CODES } from '../../src/core/fleet/problem-codes.js';
import { ERROR_CODES, httpStatusOf } from '../../src/lib/error-codes.js';
import { keyId, newKey } from '../../src/lib/seal.js';
import { hashToken } from '../../src/lib/secrets.js';
import { ROOT } from '../helpers/paths.js';

/** Names of environment variables that look like codes (HAFEN_...), quoted in the source as names. */
const ENVIRONMENT = new Set(['HAFEN_SECRET_KEY']);

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const full = join(dir, name);
    if (statSync(full).isDirectory()) return sources(full);
    return name.endsWith('.ts') && !name.endsWith('.test.ts') ? [full] : [];
  });
}

test('every code in the source is in a catalogue, and every catalogue entry is used', () => {
  const known = new Set([...Object.keys(ERROR_CODES), ...Object.keys(PROBLEM_CODES)]);
  const used = new Set<string>();
  const unknown: string[] = [];
  for (const file of sources(join(ROOT, 'src'))) {
    const text = readFileSync(file, 'utf8');
    for (const m of text.matchAll(/['"`](HAFEN_[A-Z0-9_]+)['"`]/g)) {
      const code = m[1]!;
      if (ENVIRONMENT.has(code)) continue;
      used.add(code);
      if (!known.has(code)) unknown.push(`${relative(ROOT, file)}: ${code}`);
    }
  }
  assert.deepEqual(unknown, [], 'codes used in the source but in no catalogue');
  assert.deepEqual([...known].filter((c) => !used.has(c)), [], 'catalogue entries nothing uses');
  for (const [code, s] of Object.entries(ERROR_CODES)) {
    assert.ok(s.status >= 400 && s.status <= 599 && s.meaning.length > 10 && s.meaning.endsWith('.'), code);
  }
  assert.equal(httpStatusOf('HAFEN_SOMETHING_NEW'), 500, 'a code from a newer controller is a 500 here');
});

test('docs/errors.md is generated from the catalogues and current', () => {
  const r = spawnSync(process.execPath, [join(ROOT, 'scripts', 'errors-reference.mjs'), '--check'], { cwd: ROOT, encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr || r.stdout);
  const doc = readFileSync(join(ROOT, 'docs', 'errors.md'), 'utf8');
  assert.match(doc, /^\| `HAFEN_STORE_REVISION_CONFLICT` \| 409 \| no \| The fleet changed since the plan was made: plan again\. \|$/m);
  assert.match(doc, /^\| `HAFEN_FLEET_PREFIX_OVERLAP` \| Two site prefixes overlap\. \|$/m);
});

test('the controller answers every error in one shape, with the catalogue\'s status: its own, and fastify\'s', async () => {
  const store = new SqliteStore(':memory:');
  const key = newKey();
  const app = buildApp(wireController(store, new Secrets(store, { key, id: keyId(key), source: 'test', warnings: [] })));
  await store.createApiToken({ id: 'a', name: 'admin', role: 'admin', hash: hashToken('admin-token-1234'), createdAt: new Date().toISOString() });
  await app.ready();
  const auth = { authorization: 'Bearer admin-token-1234' };
  try {
    const cases: [InjectOptions, string][] = [
      [{ method: 'GET', url: '/v1/nothing-here?x=1', headers: auth }, 'HAFEN_API_NOT_FOUND'],
      [{ method: 'DELETE', url: '/healthz' }, 'HAFEN_API_NOT_FOUND'],
      [{ method: 'POST', url: '/v1/plan', headers: { ...auth, 'content-type': 'application/json' }, payload: '{"sources": [' }, 'HAFEN_API_BAD_REQUEST'],
      [{ method: 'GET', url: '/v1/revisions/7', headers: auth }, 'HAFEN_REVISION_NOT_FOUND'],
      [{ method: 'GET', url: '/v1/revisions' }, 'HAFEN_AUTH_MISSING'],
      [{ method: 'POST', url: '/v1/plan', headers: auth, payload: { sources: [{ name: 'f.yaml', text: 'sites: nope\n' }] } }, 'HAFEN_FLEET_INVALID'],
    ];
    for (const [req, code] of cases) {
      const res = await app.inject(req);
      const body = res.json() as { error?: { code: string; message: string; retryable: boolean } };
      assert.deepEqual(Object.keys(body), ['error'], `${JSON.stringify(req)}: ${res.body}`);
      assert.equal(body.error?.code, code, res.body);
      assert.equal(res.statusCode, httpStatusOf(code), `${code}: the catalogue's status`);
      assert.equal(typeof body.error?.message, 'string');
      assert.equal(typeof body.error?.retryable, 'boolean');
    }
    const missing = (await app.inject({ method: 'GET', url: '/v1/nothing-here?x=1', headers: auth })).json() as { error: { message: string } };
    assert.match(missing.error.message, /^no route GET \/v1\/nothing-here; the API is described at \/openapi\.json$/);
  } finally {
    await app.close();
    await store.close();
  }
});
