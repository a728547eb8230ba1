/**
 * Staged rollouts with a real controller and five real agents (process driver, loopback
 * 127.0.76.x): a change rolled out to one site goes canary first, then batch by batch, while
 * the other sites keep what they run; the same fleet rolled out to another site makes no new
 * revision (and carries on across a controller restart); a change that breaks the canary's unit stops the rollout and sends the canary
 * back, and the site's other hosts never see it; an abort sends the changed hosts back; a
 * plain apply releases every hold. Also through the CLI: hafen plan --site and hafen apply --site.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import type { Agent } from '../../src/agent/agent.js';
import { ProcessDriver } from '../../src/agent/drivers/process.js';
import { startAgent } from '../../src/agent/main.js';
import { HafenClient, type Rollout } from '../../src/client/client.js';
import { startController } from '../../src/controller/main.js';
import { isHafenError } from '../../src/lib/errors.js';
import { fetchText } from '../helpers/http.js';
import { FIXTURES, hafenAsync } from '../helpers/paths.js';
import { until } from '../helpers/wait.js';

const HOSTS = ['nue-app-01', 'nue-app-02', 'nue-app-03', 'vie-app-01', 'hel-app-01'];
const ADDR = Object.fromEntries(HOSTS.map((h, i) => [h, `127.0.76.${i + 1}`]));
const fleetText = readFileSync(join(FIXTURES, 'rollout', 'fleet.yaml'), 'utf8');
const fleet = (greeting: string, command = 'examples/apps/hello.mjs') => [{ name: 'fleet.yaml', text: fleetText.replace('GREETING: "v1"', `GREETING: "${greeting}"`).replace('[node, examples/apps/hello.mjs]', `[node, ${command}]`) }];
const greeting = async (host: string) => (await fetchText(ADDR[host]!, 8080)).split(' ')[0];

test('a staged rollout to one site: canary first, batches gated, other sites held; a broken canary goes back', { timeout: 180_000 }, async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'hafen-rollout-'));
  let controller = await startController({ data: join(dir, 'controller'), listen: '127.0.0.1:0' });
  const tokenFile = join(dir, 'controller', 'admin.token');
  const admin = new HafenClient(controller.url, readFileSync(tokenFile, 'utf8').trim());
  const agents: Record<string, Agent> = {};
  const cli = (...args: string[]) => hafenAsync([...args, '--controller', controller.url, '--token-file', tokenFile]);
  try {
    await admin.apply(fleet('v1'), null);
    for (const host of HOSTS) {
      const { agent } = await startAgent({ controller: controller.url, data: join(dir, host), joinToken: (await admin.joinToken(host)).token, driver: 'process', address: ADDR[host]! });
      agents[host] = agent;
    }
    for (const h of HOSTS) await until(`${h} serves v1`, async () => ((await greeting(h)) === 'v1' ? true : undefined));

    // The plan for one site: its hosts' changes, the stages, and who else is held.
    const plan = await admin.plan(fleet('v2'), { site: 'nue' });
    assert.deepEqual(plan.stages, [['nue-app-01'], ['nue-app-02'], ['nue-app-03']]);
    assert.deepEqual(plan.held, ['vie-app-01', 'hel-app-01']);

    // Rolled out to nue: each stage starts only after the one before passed.
    const v2 = join(dir, 'v2.yaml');
    writeFileSync(v2, fleet('v2')[0]!.text);
    const text = await cli('plan', v2, '--site', 'nue');
    assert.equal(text.status, 0, text.stderr);
    assert.match(text.stdout, /host nue-app-01:\n {2}~ web-r\d/);
    assert.match(text.stdout, /rollout at nue: 3 stage\(s\): canary nue-app-01, then 1 \+ 1 host\(s\)/);
    assert.match(text.stdout, /2 host\(s\) at other sites change too \(hel: 1, vie: 1\)/);
    const applying = cli('apply', v2, '--site', 'nue', '--yes', '--gate-timeout', '30s');
    const seen: Rollout[] = [];
    let watched: Rollout | undefined;
    do {
      watched = (await admin.rollouts(1)).rollouts[0];
      if (watched) seen.push(watched);
      // While the canary has not passed, the next stage still serves the old greeting. (Asked
      // again after the fetch: the canary may pass meanwhile and the next stage start restarting.)
      if (watched?.hosts[0]?.state === 'rolling') {
        const g = await greeting('nue-app-02').catch((err: Error) => `unreachable (${err.message})`);
        if ((await admin.rollouts(1)).rollouts[0]?.hosts[0]?.state === 'rolling') assert.equal(g, 'v1');
      }
      await new Promise((r) => setTimeout(r, 50));
    } while (!watched || watched.state === 'running');
    const applied = await applying;
    assert.equal(applied.status, 0, applied.stderr);
    assert.match(applied.stdout, /rollout 1: revision 2 at nue, DONE/);
    assert.match(applied.stderr, /nue-app-01 passed: 1 unit\(s\) running/);
    for (const r of seen) {
      // Never a later stage's host got the change while an earlier stage had not passed.
      for (const h of r.hosts) if (h.state !== 'waiting') assert.ok(r.hosts.filter((x) => x.stage < h.stage).every((x) => x.state === 'ok'), JSON.stringify(r.hosts));
    }
    t.diagnostic(`rollout to nue: 3 stages of one host each, done ${((Date.parse(watched.finishedAt!) - Date.parse(watched.createdAt)) / 1000).toFixed(1)} s after the apply`);
    for (const h of ['nue-app-01', 'nue-app-02', 'nue-app-03']) assert.equal(await greeting(h), 'v2');
    for (const h of ['vie-app-01', 'hel-app-01']) assert.equal(await greeting(h), 'v1', `${h} is held`);
    const st = await admin.status();
    assert.deepEqual(st.hosts.filter((h) => h.heldAt !== null).map((h) => [h.host, h.heldAt]), [['vie-app-01', 1], ['hel-app-01', 1]]);
    assert.ok(st.hosts.every((h) => h.current), 'held hosts run what they should: the revision they are held at');

    // The same fleet to vie: no new revision, only vie's held host. The controller restarts
    // while the rollout runs; the rollout is in the store and carries on.
    const vie = await admin.apply(fleet('v2'), 2, undefined, { site: 'vie' });
    assert.equal(vie.revision, 2);
    assert.deepEqual(vie.rollout?.stages, [['vie-app-01']]);
    const url = new URL(controller.url);
    // Releasing a stage and passing its gate take two ticks of a second each: it is still running.
    assert.equal((await admin.rollout(vie.rollout!.id)).state, 'running');
    await controller.close();
    controller = await startController({ data: join(dir, 'controller'), listen: `${url.hostname}:${url.port}` });
    await until('vie rolled out after the restart', async () => ((await admin.rollout(vie.rollout!.id)).state === 'done' ? true : undefined), 30_000, 100);
    assert.equal(await greeting('vie-app-01'), 'v2');
    assert.equal(await greeting('hel-app-01'), 'v1');
    await assert.rejects(admin.apply(fleet('v2'), 2, undefined, { site: 'mars' }), (e) => isHafenError(e, 'HAFEN_ROLLOUT_INVALID') && /no host at site "mars"/.test(e.message));

    // A change whose unit cannot start: the canary fails, goes back to v2; nue-app-02 never sees it.
    const broken = await admin.apply(fleet('v3', 'examples/apps/no-such-app.mjs'), 2, undefined, { site: 'nue', gateTimeoutSeconds: 20 });
    const failed = await until('the broken rollout stops', async () => {
      const r = await admin.rollout(broken.rollout!.id);
      return r.state === 'running' ? undefined : r;
    }, 40_000);
    assert.equal(failed.state, 'failed');
    t.diagnostic(`the broken canary stopped the rollout ${((Date.parse(failed.finishedAt!) - Date.parse(failed.createdAt)) / 1000).toFixed(1)} s after the apply: ${failed.failure!.reason}`);
    assert.equal(failed.failure?.host, 'nue-app-01');
    assert.match(failed.failure!.reason, /nue-app-01: (unit web-r\d failed|stage 1 did not pass within 20 s: nue-app-01: unit web-r\d is backoff)/);
    assert.deepEqual(failed.hosts.map((h) => h.state), ['failed', 'waiting', 'waiting']);
    await until('the canary serves v2 again', async () => ((await greeting('nue-app-01').catch(() => '')) === 'v2' ? true : undefined));
    assert.equal(await greeting('nue-app-02'), 'v2');
    assert.equal((await admin.status()).hosts.find((h) => h.host === 'nue-app-01')?.heldAt, 2);
    const shown = await cli('rollout', 'status', String(failed.id));
    assert.equal(shown.status, 1, 'a failed rollout exits 1');
    assert.match(shown.stdout, /FAILED[\s\S]*nue-app-01 +failed/);

    // An abort: hel's agent is away, so the canary cannot pass; the abort sends nothing back it had not changed, and hel keeps v1.
    await agents['hel-app-01']!.stop();
    const toHel = await admin.apply(fleet('v4'), 3, undefined, { site: 'hel' });
    await until('the hel canary is rolling', async () => ((await admin.rollout(toHel.rollout!.id)).hosts[0]?.state === 'rolling' ? true : undefined));
    await assert.rejects(admin.apply(fleet('v5'), 4), (e) => isHafenError(e, 'HAFEN_ROLLOUT_RUNNING'));
    const aborted = await admin.abortRollout(toHel.rollout!.id);
    assert.equal(aborted.state, 'aborted');
    assert.match(aborted.failure!.reason, /aborted by/);
    assert.deepEqual(aborted.hosts.map((h) => [h.host, h.state, h.from]), [['hel-app-01', 'rolled-back', 1]]);
    await assert.rejects(admin.abortRollout(toHel.rollout!.id), (e) => isHafenError(e, 'HAFEN_ROLLOUT_FINISHED'));

    // A plain apply takes every host to the newest revision at once.
    await admin.apply(fleet('v6'), 4);
    for (const h of HOSTS.filter((x) => x !== 'hel-app-01')) await until(`${h} serves v6`, async () => ((await greeting(h)) === 'v6' ? true : undefined));
    assert.ok((await admin.status()).hosts.every((h) => h.heldAt === null));
  } finally {
    for (const a of Object.values(agents)) await a.stop().catch(() => {});
    for (const h of HOSTS) await ProcessDriver.open({ stateDir: join(dir, h, 'state') }).stopAll();
    await controller.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
