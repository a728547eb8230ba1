/**
 * The CLI at the edges of a pipe and of its inputs: a reader that stops early ends a command
 * quietly; a bad value for an enumerated option names the valid ones (exit 2, a usage error);
 * `capacity` fails when any one site's loss does not fit; `risk` says its customer counts are
 * weighted and by what; an empty fleet is a warning in `validate` and refused by `apply`;
 * `history` lists what was applied; `demo --addresses` takes only loopback /24s.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { startController } from '../../src/controller/main.js';
import { BIN, EXAMPLES, ROOT, assertNoStackTrace, hafenAsync } from '../helpers/paths.js';

const dir = mkdtempSync(join(tmpdir(), 'hafen-cli-edges-'));
let controller: Awaited<ReturnType<typeof startController>>;
let env: NodeJS.ProcessEnv;

before(async () => {
  controller = await startController({ data: join(dir, 'controller'), listen: '127.0.0.1:0' });
  env = { ...process.env, HAFEN_CONTROLLER: controller.url, HAFEN_TOKEN: readFileSync(controller.adminTokenFile!, 'utf8').trim() };
});

after(async () => {
  await controller?.close();
  rmSync(dir, { recursive: true, force: true });
});

test('a reader that stops early (hafen plan | head) ends the command quietly, exit 0', async () => {
  const child = spawn(process.execPath, [BIN, 'plan', join(EXAMPLES, 'frachtwerk')], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  // Like `head -1`: read the first chunk, then close the pipe while the plan is still being written.
  await new Promise<void>((resolve) => child.stdout.once('data', () => resolve()));
  child.stdout.destroy();
  const code = await new Promise<number | null>((resolve) => child.once('close', (c) => resolve(c)));
  assert.equal(code, 0, stderr);
  assert.doesNotMatch(stderr, /EPIPE|Error/, 'no trace of the closed pipe');
});

test('an unknown value of an enumerated option names the valid values and exits 2', async () => {
  for (const [args, valid] of [
    [['events', '--kind', 'bogus'], /--kind must be one of check, site, prober, not "bogus"/],
    [['checks', '--state', 'sideways'], /--state must be one of up, degraded, down, unknown, not "sideways"/],
    [['backup', 'tasks', '--kind', 'nap'], /--kind must be one of run, restore, drill, check, not "nap"/],
    [['demo', '--driver', 'kubernetes'], /--driver must be one of process, compose, not "kubernetes"/],
    [['plan', join(EXAMPLES, 'minimal.yaml'), '--format', 'yaml'], /--format must be "text" or "json", not "yaml"/],
    [['events', '--limit', 'lots'], /--limit must be a whole number of at least 1, not "lots"/],
    [['history', '--limit', '0'], /--limit must be a whole number of at least 1, not "0"/],
  ] as const) {
    const r = await hafenAsync([...args], { env });
    assert.equal(r.status, 2, `${args.join(' ')}: ${r.stderr}`);
    assert.match(r.stderr, valid);
    assertNoStackTrace(r.stderr);
  }
  const unknown = await hafenAsync(['plan', join(EXAMPLES, 'minimal.yaml'), '--bogus']);
  assert.equal(unknown.status, 2, 'an unknown option is a usage error too');
  assert.match(unknown.stderr, /unknown option '--bogus'/);
});

test('capacity exits 1 when the loss of any one site does not fit, not only the largest', async () => {
  const r = await hafenAsync(['capacity', join(EXAMPLES, 'frachtwerk'), '--format', 'json']);
  const report = JSON.parse(r.stdout) as { largestSite: string; siteLoss: { site: string; covered: boolean }[] };
  const uncovered = report.siteLoss.filter((s) => !s.covered).map((s) => s.site);
  // The reference fleet: the largest site's loss fits, a smaller one's does not.
  assert.ok(uncovered.length > 0 && !uncovered.includes(report.largestSite), r.stdout);
  assert.equal(r.status, 1);
  // The demo fleet: one host per site, and the critical portal wants a replica at every site, so
  // a lost site's portal replica has nowhere to go.
  const demo = await hafenAsync(['capacity', join(EXAMPLES, 'three-sites.yaml')]);
  assert.equal(demo.status, 1);
  assert.match(demo.stdout, /^losing site nue: 1 of its 1 replicas do not fit elsewhere \(stadtwerke-portal#\d\)$/m);
  const ok = await hafenAsync(['capacity', join(EXAMPLES, 'minimal.yaml')]);
  assert.equal(ok.status, 0, ok.stdout + ok.stderr);
  assert.doesNotMatch(ok.stdout, /do not fit/);
});

test('risk says that customer counts are weighted, and what the weights are', async () => {
  const text = await hafenAsync(['risk', join(EXAMPLES, 'frachtwerk')]);
  assert.match(text.stdout, /^customers are counted by weight \(customers\[\]\.weight, default 1\): 180 customers weigh \d+ in all; weighing other than 1: [a-z-]+ \d/m);
  const json = JSON.parse((await hafenAsync(['risk', join(EXAMPLES, 'frachtwerk'), '--format', 'json'])).stdout) as { weights: { customers: number; total: number; other: { customer: string; weight: number }[] } };
  assert.equal(json.weights.customers, 180);
  assert.equal(json.weights.total, 180 + json.weights.other.reduce((n, o) => n + o.weight - 1, 0));
  assert.ok(json.weights.other.length > 0 && json.weights.other.every((o) => o.weight !== 1));
  const plain = await hafenAsync(['risk', join(EXAMPLES, 'three-sites.yaml'), '--fail', 'site:hel']);
  assert.match(plain.stdout, /\(weighted\)/);
  assert.match(plain.stdout, /3 customers weigh 3 in all; every one weighs 1$/m);
});

test('an empty fleet: validate warns, apply refuses and changes nothing; history shows what was applied', async () => {
  const empty = join(dir, 'empty.yaml');
  writeFileSync(empty, '# the fleet goes here\n');
  const v = await hafenAsync(['validate', empty]);
  assert.equal(v.status, 0);
  assert.match(v.stdout, /empty\.yaml: warning: the fleet declares nothing/);

  assert.match((await hafenAsync(['history', '--revisions'], { env })).stdout, /^no revisions yet/);
  const first = await hafenAsync(['apply', join(EXAMPLES, 'minimal.yaml'), '--yes', '-m', 'the first fleet'], { env });
  assert.equal(first.status, 0, first.stderr);
  const refused = await hafenAsync(['apply', empty, '--yes'], { env });
  assert.equal(refused.status, 1);
  assert.match(refused.stderr, /empty\.yaml: error: the fleet declares nothing.*\[HAFEN_FLEET_EMPTY\]/);
  assert.match(refused.stderr, /nothing was changed/);
  assertNoStackTrace(refused.stderr);

  const history = await hafenAsync(['history', '--revisions'], { env });
  assert.equal(history.status, 0, history.stderr);
  assert.match(history.stdout, /^ {4}1 {2}\d{4}-\d\d-\d\dT[\d:.]+Z {2}bootstrap-admin +the first fleet$/m);
  assert.equal(history.stdout.trim().split('\n').length, 1, 'the refused apply made no revision');
  const json = JSON.parse((await hafenAsync(['history', '--revisions', '--format', 'json'], { env })).stdout) as { revisions: { number: number; message?: string }[] };
  assert.deepEqual(json.revisions.map((r) => [r.number, r.message]), [[1, 'the first fleet']]);
  // The audit history has the apply, and nothing of the refused one.
  const audit = JSON.parse((await hafenAsync(['history', '--format', 'json'], { env })).stdout) as { entries: { actor: string; action: string; subject: string; detail?: { message?: string } }[] };
  assert.deepEqual(audit.entries.map((e) => [e.actor, e.action, e.subject, e.detail?.message]), [['bootstrap-admin', 'apply', '1', 'the first fleet']]);
  assert.match((await hafenAsync(['history', '--since', '1h'], { env })).stdout, /^\S+Z {2}bootstrap-admin +apply +1 {2}message="the first fleet"$/m);
  const bad = await hafenAsync(['history', '--since', 'yesterday'], { env });
  assert.equal(bad.status, 2, 'a usage error');
  assert.match(bad.stderr, /--since takes an ISO 8601 time or a time ago like 30m, 24h or 7d, not "yesterday"/);
});

test('demo --addresses takes the first of three loopback /24s and says what is wrong otherwise', async () => {
  for (const [value, why] of [
    ['10.0.0.0/24', /is not a loopback prefix/],
    ['127.0.10.0/23', /is a \/23, not a \/24/],
    ['127.0.254.0/24', /leaves no room for 3 consecutive \/24s/],
    ['127.0.11.5/24', /has host bits set/],
  ] as const) {
    const r = await hafenAsync(['demo', '--addresses', value, '--data', join(dir, 'demo')]);
    assert.equal(r.status, 2, `${value}: ${r.stderr}`);
    assert.match(r.stderr, why);
    assertNoStackTrace(r.stderr);
  }
});
