/**
 * Two controllers (real processes) on one PostgreSQL store; the leader is killed (SIGKILL)
 * while it handles an apply of the reference fleet (examples/frachtwerk), at points from just
 * after the request went out to after it is done (an apply takes ~0.1 s warm, ~0.6 s on a
 * controller that just took the lead), sent to it directly or passed on by the follower. Each time the other
 * controller takes over (the time is printed; at most 15 s), and the apply is complete or
 * absent: the newest revision is the one before or the one applied (the one answered, when
 * there was an answer), with its placements, and the new leader serves the fleet from it.
 * The killed controller starts again and follows; the next round kills the other one.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { readFleetFiles } from '../../src/cli/fleet-files.js';
import { HafenClient } from '../../src/client/client.js';
import type { FleetSource } from '../../src/core/fleet/source.js';
import { isHafenError } from '../../src/lib/errors.js';
import { leaderAmong, spawnController, type ControllerProcess } from '../helpers/controllers.js';
import { freePort } from '../helpers/demo.js';
import { EXAMPLES } from '../helpers/paths.js';
import { freshDatabase, postgresMissing } from '../helpers/postgres.js';
import { need } from '../helpers/system.js';
import { sleep } from '../helpers/wait.js';

const KEY = 'b'.repeat(64);
const dir = mkdtempSync(join(tmpdir(), 'hafen-leader-apply-'));
let db: Awaited<ReturnType<typeof freshDatabase>> | undefined;
let missing: string | undefined;
const running: ControllerProcess[] = [];

before(async () => {
  missing = await postgresMissing();
  if (missing === undefined) db = await freshDatabase();
});

after(async () => {
  for (const c of running) await c.kill();
  await db?.drop();
  rmSync(dir, { recursive: true, force: true });
});

async function start(name: string, port: number): Promise<ControllerProcess> {
  const c = await spawnController({ store: db!.url, data: join(dir, name), port, secretKey: KEY });
  running.push(c);
  return c;
}

test('the leader killed during an apply: the other takes over within 15 s, and the apply is complete or absent', async (t) => {
  if (!need(t, missing === undefined, missing ?? '')) return;
  const ports = [await freePort(), await freePort()];
  const first = await start('c0', ports[0]!);
  const second = await start('c1', ports[1]!);
  const { leader: initial } = await leaderAmong([first, second]);
  assert.equal(initial, first, 'the first one started leads');
  const token = readFileSync(join(dir, 'c0', 'admin.token'), 'utf8').trim();
  const sources: FleetSource[] = (await readFleetFiles(join(EXAMPLES, 'frachtwerk'))).sources;

  // How long an apply of the reference fleet takes here (cold, then warm).
  const both = new HafenClient(`${first.url},${second.url}`, token);
  let t0 = performance.now();
  assert.equal((await both.apply(sources, null, 'round 0')).revision, 1);
  const applyMs = performance.now() - t0;
  t0 = performance.now();
  await both.apply(sources, 1, 'round 0b');
  const applyMs2 = performance.now() - t0;

  const outcomes: string[] = [];
  const takeovers: number[] = [];
  let cs = [first, second];
  const delays = [5, 30, 60, 90, 120, 200, 400, 1500];
  for (const [round, delay] of delays.entries()) {
    const { leader } = await leaderAmong(cs);
    const other = cs.find((c) => c !== leader)!;
    const head = (await both.health()).revision!;
    // Even rounds: straight to the leader; odd ones: through the follower, which passes it on.
    const via = new HafenClient(round % 2 === 0 ? leader.url : other.url, token);
    const sent = via.apply(sources, head, `round ${round + 1}`).then(
      (r) => ({ revision: r.revision }),
      (err: unknown) => ({ error: isHafenError(err) ? err.code : String(err) }),
    );
    await sleep(delay);
    const killedAt = performance.now();
    await leader.kill();
    running.splice(running.indexOf(leader), 1);
    const answer = await sent;
    const { leader: next } = await leaderAmong([other], 20_000);
    const seconds = (performance.now() - killedAt) / 1000;
    takeovers.push(seconds);
    assert.equal(next, other);

    // Complete or absent.
    const after = (await both.health()).revision!;
    assert.ok(after === head || after === head + 1, `head ${after} after a kill during the apply on ${head}`);
    if ('revision' in answer) assert.equal(after, answer.revision, 'an apply that was answered is stored');
    const revisions = (await both.revisions()).revisions.map((r) => r.number);
    assert.deepEqual(revisions, [...Array(after).keys()].map((i) => after - i), 'no gap, nothing twice');
    const rev = (await fetch(`${other.url}/v1/revisions/${after}`, { headers: { authorization: `Bearer ${token}` } }).then((r) => r.json())) as { placements: unknown[]; message?: string };
    assert.ok(rev.placements.length > 100, `revision ${after} has its placements (${rev.placements.length})`);
    if (after === head + 1) assert.equal(rev.message, `round ${round + 1}`);
    const status = await both.status();
    assert.equal(status.revision, after, 'the new leader serves the fleet of the newest revision');
    assert.ok(status.apps.length > 50);
    outcomes.push(`round ${round + 1} (kill ${delay} ms after sending, ${round % 2 === 0 ? 'direct' : 'passed on'}): ${after === head ? 'absent' : 'complete'}, answer ${'revision' in answer ? `revision ${answer.revision}` : answer.error}, take-over ${seconds.toFixed(2)} s`);

    // The killed one comes back and follows.
    const back = await start(`c${round + 2}`, Number(new URL(leader.url).port));
    cs = [other, back];
    const { leader: still } = await leaderAmong(cs);
    assert.equal(still, other, 'a restarted controller follows');
  }
  t.diagnostic(`an apply of the reference fleet takes ${Math.round(applyMs)} / ${Math.round(applyMs2)} ms here`);
  for (const o of outcomes) t.diagnostic(o);
  t.diagnostic(`take-over after SIGKILL: max ${Math.max(...takeovers).toFixed(2)} s`);
  // The kills landed before the apply was stored and after: both outcomes were seen.
  assert.ok(outcomes.some((o) => o.includes(': absent')) && outcomes.some((o) => o.includes(': complete')), outcomes.join('\n'));
  assert.ok(Math.max(...takeovers) <= 15, `take-over within 15 s: ${takeovers.map((s) => s.toFixed(2)).join(', ')}`);
});
