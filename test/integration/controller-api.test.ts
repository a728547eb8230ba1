import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { buildApp } from '../../src/controller/app.js';
import { startController } from '../../src/controller/main.js';
import { Secrets } from '../../src/controller/secrets.js';
import { wireController } from '../../src/controller/wiring.js';
import { SqliteStore } from '../../src/controller/store/sqlite.js';
import { keyId, newKey } from '../../src/lib/seal.js';
import { hashToken } from '../../src/lib/secrets.js';
import { EXAMPLES, FIXTURES, hafenAsync } from '../helpers/paths.js';

async function setup() {
  const store = new SqliteStore(':memory:');
  const key = newKey();
  const service = wireController(store, new Secrets(store, { key, id: keyId(key), source: 'test', warnings: [] }));
  const app = buildApp(service);
  await store.createApiToken({ id: 'v', name: 'viewer', role: 'viewer', hash: hashToken('viewer-token-123'), createdAt: '2026-11-26T00:00:00.000Z' });
  await store.createApiToken({ id: 'a', name: 'admin', role: 'admin', hash: hashToken('admin-token-1234'), createdAt: '2026-11-26T00:00:00.000Z' });
  await app.ready();
  // How many (method, route) pairs fastify serves, HEAD aside, from its own route table; the
  // dashboard's files (/ui and the tree below it) are not API.
  let under = -1;
  const api = app
    .printRoutes({ commonPrefix: false })
    .split('\n')
    .filter((line) => {
      const depth = line.search(/[^\s│├└─]/);
      if (under >= 0 && depth > under) return false;
      under = /^[\s│├└─]*\/ui\b/.test(line) ? depth : -1;
      return under < 0;
    });
  const served = api.reduce((n, line) => n + (/\(([^)]+)\)/.exec(line)?.[1]!.split(', ').filter((x) => x !== 'HEAD').length ?? 0), 0);
  return { app, store, served };
}

test('/openapi.json describes every route the controller serves', async () => {
  const { app, served } = await setup();
  const doc = (await app.inject({ method: 'GET', url: '/openapi.json' })).json() as { openapi: string; paths: Record<string, Record<string, unknown>> };
  assert.equal(doc.openapi, '3.1.0');
  const documented = Object.entries(doc.paths).flatMap(([path, ops]) => Object.keys(ops).map((m) => ({ method: m.toUpperCase() as 'GET', url: path.replace(/\{(\w+)\}/g, ':$1') })));
  for (const r of documented) assert.ok(app.hasRoute(r), `${r.method} ${r.url} is served`);
  assert.equal(documented.length + 1, served, 'every served route (besides /openapi.json) is documented');
  const apply = doc.paths['/v1/apply']!.post as { requestBody: { content: { 'application/json': { schema: { required: string[] } } } } };
  assert.deepEqual(apply.requestBody.content['application/json'].schema.required.sort(), ['parent', 'sources']);
  await app.close();
});

test('auth: missing, unknown and too weak tokens get 401/403 with a code, never an echo of the token', async () => {
  const { app } = await setup();
  const none = await app.inject({ method: 'GET', url: '/v1/status' });
  assert.equal(none.statusCode, 401);
  assert.equal(none.json().error.code, 'HAFEN_AUTH_MISSING');
  const bad = await app.inject({ method: 'GET', url: '/v1/status', headers: { authorization: 'Bearer not-a-real-token-xyz' } });
  assert.equal(bad.statusCode, 401);
  assert.ok(!bad.body.includes('not-a-real-token-xyz'));
  const weak = await app.inject({ method: 'POST', url: '/v1/plan', headers: { authorization: 'Bearer viewer-token-123' }, payload: { sources: [{ name: 'f', text: '' }] } });
  assert.equal(weak.statusCode, 403);
  assert.equal(weak.json().error.code, 'HAFEN_AUTH_FORBIDDEN');
  const badBody = await app.inject({ method: 'POST', url: '/v1/apply', headers: { authorization: 'Bearer admin-token-1234' }, payload: { sources: [] } });
  assert.equal(badBody.statusCode, 400);
  assert.match(badBody.json().error.message, /sources/);
  const invalid = await app.inject({ method: 'POST', url: '/v1/plan', headers: { authorization: 'Bearer admin-token-1234' }, payload: { sources: [{ name: 'f.yaml', text: 'hostz: []\n' }] } });
  assert.equal(invalid.statusCode, 422);
  assert.equal(invalid.json().error.details[0].code, 'HAFEN_FLEET_UNKNOWN_KEY');
  const unknownHost = await app.inject({ method: 'POST', url: '/v1/hosts/nope/join-token', headers: { authorization: 'Bearer admin-token-1234' } });
  assert.equal(unknownHost.statusCode, 404);
  await app.close();
});

test('every answer is in hafen\'s error shape: unknown routes, other methods, and URLs fastify cannot route', async () => {
  const { app } = await setup();
  for (const [method, url, status, code] of [
    ['GET', '/nope', 404, 'HAFEN_API_NOT_FOUND'],
    ['DELETE', '/v1/plan', 404, 'HAFEN_API_NOT_FOUND'],
    ['GET', '/v1/%zz', 400, 'HAFEN_API_BAD_REQUEST'],
    ['GET', '/v1/consent/%zz', 400, 'HAFEN_API_BAD_REQUEST'],
  ] as const) {
    const res = await app.inject({ method, url });
    assert.equal(res.statusCode, status, `${method} ${url}`);
    const body = res.json() as { error: { code: string; message: string; retryable: boolean } };
    assert.deepEqual(Object.keys(body), ['error'], `${method} ${url}: ${res.body}`);
    assert.equal(body.error.code, code, `${method} ${url}`);
    assert.equal(typeof body.error.message, 'string');
  }
  await app.close();
});

test('a compose project directory goes with the plan: without it the plan says which is missing; with it the plan passes; a path that climbs out is refused', async () => {
  const { app } = await setup();
  const text = readFileSync(join(FIXTURES, 'valid', 'compose-small.yaml'), 'utf8').replace('services:\n          db: { image: postgres:16 }', 'file: db/compose.yaml');
  assert.ok(text.includes('file: db/compose.yaml'));
  const plan = (payload: unknown) => app.inject({ method: 'POST', url: '/v1/plan', headers: { authorization: 'Bearer admin-token-1234' }, payload: payload as Record<string, unknown> });
  const missing = await plan({ sources: [{ name: 'f.yaml', text }] });
  assert.equal(missing.statusCode, 422);
  assert.deepEqual(missing.json().error.details.map((p: { code: string; path: string }) => [p.code, p.path]), [['HAFEN_FLEET_COMPOSE_PROJECT', 'apps[1].workload.compose.file']]);
  assert.match(missing.json().error.details[0].message, /no compose project directory db \(db from f\.yaml\)/);
  const compose = Buffer.from('services:\n  db:\n    image: postgres:16\n    environment: { POSTGRES_PASSWORD: "${DB_PASSWORD}" }\n').toString('base64');
  const env = Buffer.from('DB_PASSWORD=not-a-real-one\n').toString('base64');
  const ok = await plan({ sources: [{ name: 'f.yaml', text }], projects: { db: { files: [{ path: 'compose.yaml', mode: 0o644, content: compose }, { path: '.env', mode: 0o600, content: env }] } } });
  assert.equal(ok.statusCode, 200, ok.body);
  const typo = await plan({ sources: [{ name: 'f.yaml', text }], projects: { db: { files: [{ path: 'compose.yaml', mode: 0o644, content: Buffer.from('services:\n  db:\n    image: postgres:16\n    enviroment: {}\n').toString('base64') }] } } });
  assert.equal(typo.statusCode, 422);
  assert.deepEqual(typo.json().error.details.map((p: { file: string; line: number; code: string }) => [p.file, p.line, p.code]), [['db/compose.yaml', 4, 'HAFEN_FLEET_UNKNOWN_KEY']]);
  const climbing = await plan({ sources: [{ name: 'f.yaml', text }], projects: { db: { files: [{ path: '../etc/passwd', mode: 0o644, content: compose }] } } });
  assert.equal(climbing.statusCode, 400);
  assert.match(climbing.json().error.message, /projects\["db"\]: file path "..\/etc\/passwd" is not a plain relative path/);
  await app.close();
});

test('a compose project\'s files are sealed at rest like secrets, and handed in the clear only to the agent of a host that runs it', async () => {
  const { app, store } = await setup();
  const text = readFileSync(join(FIXTURES, 'valid', 'compose-small.yaml'), 'utf8').replace('services:\n          db: { image: postgres:16 }', 'file: db/compose.yaml');
  const compose = 'services:\n  db:\n    image: postgres:16\n    environment: { POSTGRES_PASSWORD: "${DB_PASSWORD}" }\n';
  const env = 'DB_PASSWORD=a-password-at-rest\n';
  const files = [{ path: 'compose.yaml', mode: 0o644, content: Buffer.from(compose).toString('base64') }, { path: '.env', mode: 0o600, content: Buffer.from(env).toString('base64') }];
  const admin = { authorization: 'Bearer admin-token-1234' };
  const applied = await app.inject({ method: 'POST', url: '/v1/apply', headers: admin, payload: { sources: [{ name: 'f.yaml', text }], projects: { db: { files } }, parent: null } });
  assert.equal(applied.statusCode, 200, applied.body);
  const digest = createHash('sha256').update(env).digest('hex');
  const stored = (await store.blobs([digest])).get(digest)!;
  assert.match(stored, /^v1\./, 'sealed');
  assert.ok(!stored.includes(Buffer.from(env).toString('base64')) && !Buffer.from(stored, 'base64').toString('latin1').includes('a-password-at-rest'));
  // The agent of the host that runs huber-db gets it as it was; another host's agent does not.
  const runs = (await store.getRevision((await store.head())!.number))!.placements.find((p) => p.app === 'huber-db')!.host;
  const other = runs === 'nue-app-01' ? 'nue-app-02' : 'nue-app-01';
  const credential = async (host: string) => {
    const join = await app.inject({ method: 'POST', url: `/v1/hosts/${host}/join-token`, headers: admin });
    return (await app.inject({ method: 'POST', url: '/v1/agent/join', payload: { token: join.json().token } })).json().credential as string;
  };
  const blob = async (host: string) => app.inject({ method: 'GET', url: `/v1/agent/blobs/${digest}`, headers: { authorization: `Bearer ${await credential(host)}` } });
  const mine = await blob(runs);
  assert.equal(mine.statusCode, 200, mine.body);
  assert.equal(Buffer.from(mine.json().content, 'base64').toString('utf8'), env);
  assert.equal((await blob(other)).statusCode, 404);
  // Loaded again from the store (a restarted controller): the project is whole.
  const replanned = await app.inject({ method: 'POST', url: '/v1/plan', headers: admin, payload: { sources: [{ name: 'f.yaml', text }], projects: { db: { files } } } });
  assert.equal(replanned.statusCode, 200, replanned.body);
  await app.close();
});

test('hafen token create, list and revoke through the CLI', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'hafen-tokens-'));
  const c = await startController({ data: dir, listen: '127.0.0.1:0' });
  const file = join(dir, 'admin.token');
  const env = { ...process.env, HAFEN_TOKEN: '' };
  const cli = (args: string[]) => hafenAsync([...args, '--controller', c.url], { env });
  try {
    const created = await cli(['token', 'create', '--name', 'ci', '--role', 'viewer', '--token-file', file]);
    assert.equal(created.status, 0, created.stderr);
    const viewer = created.stdout.trim();
    assert.match(viewer, /^hfa_/);
    const listed = JSON.parse((await cli(['token', 'list', '--format', 'json', '--token-file', file])).stdout) as { tokens: { id: string; name: string }[] };
    const id = listed.tokens.find((t) => t.name === 'ci')!.id;
    assert.ok(!JSON.stringify(listed).includes(viewer), 'secrets are never listed');
    assert.equal((await cli(['token', 'revoke', id, '--token-file', file])).status, 0);
    const denied = await fetch(`${c.url}/v1/status`, { headers: { authorization: `Bearer ${viewer}` } });
    assert.equal(denied.status, 401);
    const noToken = await cli(['status']);
    assert.equal(noToken.status, 1);
    assert.match(noToken.stderr, /no API token: set HAFEN_TOKEN or pass --token-file/);
  } finally {
    await c.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('an apply that removes every host, or stops more than a quarter of the replicas, is refused unless allowed; the plan shows what it destroys', async () => {
  const { app } = await setup();
  const admin = { authorization: 'Bearer admin-token-1234' };
  const three = readFileSync(join(EXAMPLES, 'three-sites.yaml'), 'utf8');
  const first = await app.inject({ method: 'POST', url: '/v1/apply', headers: admin, payload: { sources: [{ name: 'f.yaml', text: three }], parent: null } });
  assert.equal(first.statusCode, 200, first.body);
  // The same fleet without its apps: every replica would stop.
  const bare = three.slice(0, three.search(/^apps:/m));
  const plan = await app.inject({ method: 'POST', url: '/v1/plan', headers: admin, payload: { sources: [{ name: 'f.yaml', text: bare }] } });
  const destroy = (plan.json() as { destroy: { hosts: string[]; replicas: string[]; before: number; refusal?: string } }).destroy;
  assert.deepEqual([destroy.hosts, destroy.replicas.length, destroy.before], [[], destroy.before, destroy.before]);
  assert.match(destroy.refusal!, /^it stops \d+ of the \d+ replicas running \(100 %, more than 25 %\)$/);
  const refused = await app.inject({ method: 'POST', url: '/v1/apply', headers: admin, payload: { sources: [{ name: 'f.yaml', text: bare }], parent: 1 } });
  assert.equal(refused.statusCode, 409);
  assert.equal((refused.json() as { error: { code: string } }).error.code, 'HAFEN_APPLY_DESTROYS');
  assert.equal((await app.inject({ method: 'GET', url: '/healthz' })).json().revision, 1, 'nothing stored');
  const allowed = await app.inject({ method: 'POST', url: '/v1/apply', headers: admin, payload: { sources: [{ name: 'f.yaml', text: bare }], parent: 1, allowDestroy: true } });
  assert.equal(allowed.statusCode, 200, allowed.body);
  // Back to the full fleet destroys nothing; a rollback to the bare one needs the flag again.
  const back = await app.inject({ method: 'POST', url: '/v1/apply', headers: admin, payload: { sources: [{ name: 'f.yaml', text: three }], parent: 2 } });
  assert.equal(back.statusCode, 200, back.body);
  const rollback = await app.inject({ method: 'POST', url: '/v1/rollback', headers: admin, payload: { to: 2 } });
  assert.equal((rollback.json() as { error: { code: string } }).error.code, 'HAFEN_APPLY_DESTROYS');
  const allowedBack = await app.inject({ method: 'POST', url: '/v1/rollback', headers: admin, payload: { to: 2, allowDestroy: true } });
  assert.equal(allowedBack.statusCode, 200, allowedBack.body);
  await app.close();
});

test('hafen apply shows what it would destroy and refuses it without --allow-destroy', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'hafen-destroy-'));
  const controller = await startController({ data: join(dir, 'controller'), listen: '127.0.0.1:0' });
  try {
    const env = { ...process.env, HAFEN_CONTROLLER: controller.url, HAFEN_TOKEN: readFileSync(controller.adminTokenFile!, 'utf8').trim() };
    const three = readFileSync(join(EXAMPLES, 'three-sites.yaml'), 'utf8');
    const full = join(dir, 'full.yaml');
    const bare = join(dir, 'bare.yaml');
    writeFileSync(full, three);
    writeFileSync(bare, three.slice(0, three.search(/^apps:/m)));
    assert.equal((await hafenAsync(['apply', full, '--yes'], { env })).status, 0);
    const refused = await hafenAsync(['apply', bare, '--yes'], { env });
    assert.equal(refused.status, 1);
    assert.match(refused.stdout, /^to destroy: 0 host\(s\), \d+ of \d+ replicas \(/m);
    assert.match(refused.stderr, /refused: it stops \d+ of the \d+ replicas running .*--allow-destroy/);
    const allowed = await hafenAsync(['apply', bare, '--yes', '--allow-destroy'], { env });
    assert.equal(allowed.status, 0, allowed.stderr);
    assert.match(allowed.stdout, /applied revision 2/);
  } finally {
    await controller.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a host reports proxy traffic only for its own site, from a proxy host where the site has one, of apps that exist; backup runs only of its own units', async () => {
  const { app } = await setup();
  const admin = { authorization: 'Bearer admin-token-1234' };
  const text = readFileSync(join(EXAMPLES, 'three-sites.yaml'), 'utf8').replace('hosts:\n', 'hosts:\n  - { id: vie-proxy-01, site: vie, role: proxy, cpu: 2, memory: 4GiB, disk: 20GiB }\n');
  assert.equal((await app.inject({ method: 'POST', url: '/v1/apply', headers: admin, payload: { sources: [{ name: 'f.yaml', text }], parent: null } })).statusCode, 200);
  const credential = async (host: string) => {
    const join = (await app.inject({ method: 'POST', url: `/v1/hosts/${host}/join-token`, headers: admin, payload: {} })).json() as { token: string };
    return { authorization: `Bearer ${(((await app.inject({ method: 'POST', url: '/v1/agent/join', payload: { token: join.token } })).json()) as { credential: string }).credential}` };
  };
  const nue = await credential('nue-app-01');
  const minute = new Date(Math.floor(Date.now() / 60_000) * 60_000).toISOString();
  const status = (site: string, apps: string[]) => ({ site, revision: 1, replicas: [], traffic: apps.map((a) => ({ app: a, minute, requests: 1_000_000_000, errors: 0 })) });
  // Another site's numbers: refused.
  const other = await app.inject({ method: 'POST', url: '/v1/proxy/status', headers: nue, payload: status('hel', ['huber-shop']) });
  assert.equal(other.statusCode, 403);
  assert.match(other.body, /nue-app-01 is at site nue: its proxy reports for that site, not for hel/);
  // Its own site (no proxy hosts there): counted, but only for apps the fleet has.
  assert.equal((await app.inject({ method: 'POST', url: '/v1/proxy/status', headers: nue, payload: status('nue', ['huber-shop', 'no-such-app']) })).statusCode, 204);
  const traffic = (await app.inject({ method: 'GET', url: '/v1/traffic?resolution=minute', headers: admin })).json() as { traffic: { app: string }[] };
  assert.deepEqual([...new Set(traffic.traffic.map((t) => t.app))], ['huber-shop']);
  // vie has a proxy host: an app host there reports no proxy status.
  const vieApp = await credential('vie-app-01');
  const notProxy = await app.inject({ method: 'POST', url: '/v1/proxy/status', headers: vieApp, payload: status('vie', ['huber-shop']) });
  assert.equal(notProxy.statusCode, 403);
  assert.match(notProxy.body, /site vie's proxies run on vie-proxy-01; host vie-app-01 \(role app\) reports no proxy status/);
  // A backup run of a unit on another host: refused, nothing recorded.
  const placements = ((await app.inject({ method: 'GET', url: '/v1/revisions/1', headers: admin })).json() as { placements: { app: string; replica: number; host: string }[] }).placements;
  const foreign = placements.find((p) => p.host !== 'nue-app-01')!;
  const run = (unit: string) => ({ runs: [{ app: unit.replace(/-r\d+$/, ''), unit, repository: '/srv/restic/x', startedAt: minute, finishedAt: minute, ok: true }] });
  const forged = await app.inject({ method: 'POST', url: '/v1/agent/backups', headers: nue, payload: run(`${foreign.app}-r${foreign.replica}`) });
  assert.equal(forged.statusCode, 403);
  const own = placements.find((p) => p.host === 'nue-app-01')!;
  assert.equal((await app.inject({ method: 'POST', url: '/v1/agent/backups', headers: nue, payload: run(`${own.app}-r${own.replica}`) })).statusCode, 204);
  await app.close();
});

