/**
 * A plan of a 10,000-host fleet (hafen generate) against a real controller process: it computes
 * in the planner's worker while the controller goes on answering health checks, agents'
 * long-polls and reports (p99 under 100 ms, sampled at a fixed rate so a stall counts for every
 * sample it delays); a plan over the time or size limit gets its error; SIGTERM during a plan
 * stops the controller within 10 s. Only Node is needed, but the latencies need the machine to
 * themselves, which the system suite gives (one file at a time).
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { HafenClient } from '../../src/client/client.js';
import { freePort } from '../helpers/demo.js';
import { BIN, EXAMPLES, ROOT, hafenAsync } from '../helpers/paths.js';
import { until } from '../helpers/wait.js';

const dir = mkdtempSync(join(tmpdir(), 'hafen-plan-load-'));
let bigText = '';
let halfText = '';

before(async () => {
  for (const [hosts, out] of [['10000', 'big.yaml'], ['5000', 'half.yaml']] as const) {
    const g = await hafenAsync(['generate', '--customers', String(Number(hosts) * 2), '--hosts', hosts, '--sites', '12', '--seed', '1', '--out', join(dir, out)]);
    assert.equal(g.status, 0, g.stderr);
  }
  bigText = readFileSync(join(dir, 'big.yaml'), 'utf8');
  halfText = readFileSync(join(dir, 'half.yaml'), 'utf8');
});

after(() => rmSync(dir, { recursive: true, force: true }));

async function startController(name: string, extra: string[] = []): Promise<{ child: ChildProcess; url: string; admin: HafenClient; exited: Promise<number | null> }> {
  const port = await freePort();
  const data = join(dir, name);
  const child = spawn(process.execPath, [BIN, 'controller', '--data', data, '--listen', `127.0.0.1:${port}`, '--quiet', ...extra], { cwd: ROOT, stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const url = `http://127.0.0.1:${port}`;
  // It answers /healthz as soon as it listens, and writes the admin token once it leads: wait for both.
  const tokenFile = join(data, 'admin.token');
  try {
    await until('the controller answers and leads', async () => ((await fetch(`${url}/healthz`).catch(() => undefined))?.ok && existsSync(tokenFile) ? true : undefined), 30_000, 100);
  } catch (err) {
    child.kill('SIGKILL');
    throw new Error(`${(err as Error).message}; it said: ${stderr}`);
  }
  return { child, url, admin: new HafenClient(url, readFileSync(tokenFile, 'utf8').trim()), exited };
}

/** POST /v1/plan; `answered` runs when the answer's head arrives and is awaited before the body is read (reading 30 MB would delay this process's other work). */
async function postPlan(url: string, token: string, text: string, answered?: () => Promise<void>): Promise<{ status: number; body: string; ms: number }> {
  const body = JSON.stringify({ sources: [{ name: 'fleet.yaml', text }] });
  const t0 = performance.now();
  const r = await fetch(`${url}/v1/plan`, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body });
  const ms = performance.now() - t0;
  await answered?.();
  return { status: r.status, body: await r.text(), ms };
}

const p99 = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.max(0, Math.ceil(xs.length * 0.99) - 1)]!;

test('the controller keeps answering health checks, long-polls and reports while it plans 10,000 hosts', { timeout: 600_000 }, async () => {
  const c = await startController('busy');
  try {
    await c.admin.apply([{ name: 'minimal.yaml', text: readFileSync(join(EXAMPLES, 'minimal.yaml'), 'utf8') }], null);
    const host = new HafenClient(c.url, (await c.admin.join((await c.admin.joinToken('nue-app-01')).token)).credential);
    const token = readFileSync(join(dir, 'busy', 'admin.token'), 'utf8').trim();
    const samples: Record<'healthz' | 'desired' | 'report', number[]> = { healthz: [], desired: [], report: [] };
    const began = performance.now();
    const slowest: string[] = [];
    const timed = async (into: number[], call: () => Promise<unknown>) => {
      const t0 = performance.now();
      await call();
      const ms = performance.now() - t0;
      into.push(ms);
      if (ms >= 100) slowest.push(`${ms.toFixed(0)} ms at ${((t0 - began) / 1000).toFixed(2)} s`);
    };
    let planning = true;
    const inFlight: Promise<void>[] = [];
    // Fixed rate, not one after the other: a stalled event loop delays every sample due meanwhile.
    const sampler = setInterval(() => {
      if (!planning) return;
      inFlight.push(
        timed(samples.healthz, () => fetch(`${c.url}/healthz`).then((r) => r.text())),
        timed(samples.desired, () => host.desired(undefined, 0)),
        timed(samples.report, () => host.reportStatus([], undefined, { driver: 'process' })),
      );
    }, 50);
    const plan = await postPlan(c.url, token, bigText, async () => {
      planning = false;
      clearInterval(sampler);
      await Promise.all(inFlight);
    });
    assert.equal(plan.status, 200, plan.body.slice(0, 500));
    const parsed = JSON.parse(plan.body) as { placements: unknown[]; diff: { hosts: unknown[] } };
    assert.ok(parsed.placements.length > 20_000, `${parsed.placements.length} placements`);
    const seconds = plan.ms / 1000;
    assert.ok(samples.healthz.length >= seconds * 15, `${samples.healthz.length} samples in ${seconds.toFixed(1)} s`);
    for (const [what, xs] of Object.entries(samples)) {
      assert.ok(p99(xs) < 100, `${what}: p99 ${p99(xs).toFixed(1)} ms, max ${Math.max(...xs).toFixed(1)} ms over ${xs.length} samples during a ${seconds.toFixed(1)} s plan; 100 ms or more: ${slowest.join(', ')}`);
    }
    console.log(`plan of 10,000 hosts: ${seconds.toFixed(1)} s; p99 healthz ${p99(samples.healthz).toFixed(1)} ms, desired ${p99(samples.desired).toFixed(1)} ms, report ${p99(samples.report).toFixed(1)} ms (${samples.healthz.length} samples each)`);

    // SIGTERM while a plan computes: the controller is gone within 10 s.
    const second = postPlan(c.url, token, bigText).catch(() => undefined);
    await new Promise((r) => setTimeout(r, 2000));
    const t0 = Date.now();
    c.child.kill('SIGTERM');
    const code = await c.exited;
    assert.ok(Date.now() - t0 < 10_000, `stopped ${Date.now() - t0} ms after SIGTERM`);
    assert.equal(code, 0);
    const answered = await second;
    if (answered) assert.match(answered.body, /HAFEN_CONTROLLER_STOPPING/, 'the plan under way is told why it ends');
  } finally {
    c.child.kill('SIGKILL');
  }
});

test('a plan over the time limit or the size limit is refused with its own error, and the next plan still runs', { timeout: 300_000 }, async () => {
  const c = await startController('limits', ['--plan-timeout', '2', '--max-fleet-size', '16']);
  try {
    const token = readFileSync(join(dir, 'limits', 'admin.token'), 'utf8').trim();
    const tooLarge = await postPlan(c.url, token, bigText);
    assert.equal(tooLarge.status, 413);
    assert.match(tooLarge.body, /HAFEN_PLAN_TOO_LARGE.*27\.\d MiB, more than the 16\.0 MiB/);
    // 5,000 hosts fit the size limit, but not 2 s of planning.
    assert.ok(Buffer.byteLength(halfText) < 16 * 1024 * 1024);
    const slow = await postPlan(c.url, token, halfText);
    assert.equal(slow.status, 503, slow.body.slice(0, 300));
    assert.match(slow.body, /HAFEN_PLAN_TIMEOUT.*longer than 2 s/);
    assert.ok(slow.ms < 10_000, `answered after ${slow.ms} ms`);
    const small = await postPlan(c.url, token, readFileSync(join(EXAMPLES, 'minimal.yaml'), 'utf8'));
    assert.equal(small.status, 200, small.body.slice(0, 300));
  } finally {
    c.child.kill('SIGTERM');
    await c.exited;
  }
});
