/** The planner's queue and its failures, with its real worker thread (controller-plan-load.test.ts has the large fleets). */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { HafenError } from '../lib/errors.js';
import type { PlanJob } from './plan-job.js';
import { Planner } from './planner.js';

const minimal = readFileSync(new URL('../../examples/minimal.yaml', import.meta.url), 'utf8');
const job = (): PlanJob => ({ sources: [{ name: 'minimal.yaml', text: minimal }], projects: new Map(), versions: new Map(), held: new Map() });
const code = (err: unknown) => (err instanceof HafenError ? err.code : String(err));

test('plans run in the worker one at a time; a job that cannot cross fails alone and the next one runs', async () => {
  const planner = new Planner();
  try {
    const [a, b] = await Promise.all([planner.plan(job()), planner.plan(job())]);
    assert.ok(a.plan.placements.length > 0);
    assert.deepEqual(b.plan.placements, a.plan.placements);
    // A function is not data: the worker never gets it, the caller is told, the queue goes on.
    await assert.rejects(planner.plan({ ...job(), held: new Map([['h', (() => null) as never]]) }), (e) => code(e) === 'HAFEN_INTERNAL');
    assert.ok((await planner.plan(job())).plan.placements.length > 0);
    // The body path: bytes in, the plan's JSON bytes out; a body that is not JSON is a 400 with a code.
    const answer = await planner.planBody(Buffer.from(JSON.stringify({ sources: job().sources })), { versions: new Map(), held: new Map() });
    assert.ok('json' in answer && (JSON.parse(Buffer.from(answer.json).toString()) as { placements: unknown[] }).placements.length > 0);
    await assert.rejects(planner.planBody(Buffer.from('{"sources": ['), { versions: new Map(), held: new Map() }), (e) => code(e) === 'HAFEN_API_BAD_REQUEST');
  } finally {
    await planner.close();
  }
});

test('limits: too large before it starts, too many waiting, too long; a closed planner refuses', async () => {
  const small = new Planner({ maxFleetBytes: 100, maxQueued: 1 });
  await assert.rejects(small.plan(job()), (e) => code(e) === 'HAFEN_PLAN_TOO_LARGE' && /the fleet's files are \d+\.\d KiB, more than the 100 bytes/.test((e as Error).message));
  await small.close();
  const busy = new Planner({ maxQueued: 1 });
  const first = busy.plan(job());
  const second = busy.plan(job());
  await assert.rejects(busy.plan(job()), (e) => code(e) === 'HAFEN_PLAN_BUSY');
  // Closing fails what runs and what waits, and everything after.
  await busy.close();
  await assert.rejects(first, (e) => code(e) === 'HAFEN_CONTROLLER_STOPPING');
  await assert.rejects(second, (e) => code(e) === 'HAFEN_CONTROLLER_STOPPING');
  await assert.rejects(busy.plan(job()), (e) => code(e) === 'HAFEN_CONTROLLER_STOPPING');
  const slow = new Planner({ timeoutMs: 1 });
  await assert.rejects(slow.plan(job()), (e) => code(e) === 'HAFEN_PLAN_TIMEOUT' && /longer than 1 ms/.test((e as Error).message));
  await slow.close();
});
