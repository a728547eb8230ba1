/**
 * A new site through the controller: the reference fleet (examples/frachtwerk, with its
 * ipam.lock) applied, then Graz added (test/fixtures/new-site/grz.yaml). `hafen plan --site grz`
 * shows Graz's whole blueprint; every host elsewhere changes only in the fleet-wide sets
 * (Graz's prefix joins them): no unit, no address. `hafen apply --site grz` holds those hosts and
 * stages Graz's (held at revision 1, where they have nothing); an abort sends Graz's canary back.
 */
import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import type { PlanResponse, Rollout } from '../../src/client/client.js';
import { HafenClient } from '../../src/client/client.js';
import { startController } from '../../src/controller/main.js';
import { contentHash } from '../../src/core/util/canonical.js';
import { EXAMPLES, FIXTURES, hafenAsync } from '../helpers/paths.js';
import { until } from '../helpers/wait.js';

test('adding Graz through the controller: its blueprint in full, elsewhere only the fleet-wide sets; staged and abortable', { timeout: 120_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'hafen-new-site-'));
  const fleet = join(dir, 'frachtwerk');
  cpSync(join(EXAMPLES, 'frachtwerk'), fleet, { recursive: true });
  const controller = await startController({ data: join(dir, 'controller'), listen: '127.0.0.1:0' });
  const tokenFile = join(dir, 'controller', 'admin.token');
  const cli = (...args: string[]) => hafenAsync([...args, '--controller', controller.url, '--token-file', tokenFile]);
  const admin = new HafenClient(controller.url, readFileSync(tokenFile, 'utf8').trim());
  try {
    const first = await cli('apply', fleet, '--yes');
    assert.equal(first.status, 0, first.stderr);
    // The addresses come from the fleet's ipam.lock: the controller renders the same ruleset as the golden file.
    const golden = readFileSync(join(FIXTURES, 'golden', 'nftables', 'nue-app-01.nft'), 'utf8');
    const before = await admin.status();
    assert.equal(before.hosts.find((h) => h.host === 'nue-app-01')?.firewall.desiredHash, contentHash(golden));

    cpSync(join(FIXTURES, 'new-site', 'grz.yaml'), join(fleet, 'sites', 'grz.yaml'));
    const planned = await cli('plan', fleet, '--site', 'grz', '--format', 'json');
    assert.equal(planned.status, 0, planned.stderr);
    const plan = JSON.parse(planned.stdout) as PlanResponse;
    const grz = plan.diff.hosts.filter((h) => h.site === 'grz');
    assert.equal(grz.length, 7, 'every Graz host has its blueprint');
    assert.ok(grz.every((h) => h.firewall.added.length > 10 && h.firewall.removed.length === 0));
    assert.deepEqual(plan.stages?.flat().sort(), grz.map((h) => h.host).sort());
    assert.equal(plan.stages?.[0]?.[0], 'grz-app-01', 'an app host is the canary');
    const elsewhere = plan.diff.hosts.filter((h) => h.site !== 'grz');
    assert.equal(elsewhere.length, before.hosts.length, 'every other host gains Graz in its fleet-wide sets');
    for (const h of elsewhere) {
      assert.deepEqual([h.added, h.changed, h.removed], [[], [], []], `${h.host}: no unit changes`);
      for (const line of [...h.firewall.added, ...h.firewall.removed]) assert.match(line, /^set \S+_all: elements = \{/, `${h.host}: only fleet-wide set lines change (${line})`);
      assert.ok(h.firewall.added.every((l) => l.includes('198.18.6.')), `${h.host}: the sets gain Graz's prefix`);
    }
    assert.deepEqual([...(plan.held ?? [])].sort(), elsewhere.map((h) => h.host).sort());
    const text = await cli('plan', fleet, '--site', 'grz');
    assert.match(text.stdout, /^host grz-app-01:\n {2}firewall \+ table inet hafen\n[\s\S]*^ {2}firewall \+ chain input \{$/m);
    assert.match(text.stdout, /^rollout at grz: \d stage\(s\): canary grz-app-01, then /m);

    // Applied to Graz: a new revision, Graz's canary gets it; nobody else does (no agents run, so the gate waits until aborted).
    const applied = await cli('apply', fleet, '--site', 'grz', '--yes', '--detach', '--format', 'json');
    assert.equal(applied.status, 0, applied.stderr);
    const res = JSON.parse(applied.stdout) as { revision: number; rollout: Rollout };
    assert.equal(res.revision, 2);
    const rolling = await until('the canary has the change', async () => {
      const r = await admin.rollout(res.rollout.id);
      return r.hosts[0]?.state === 'rolling' ? r : undefined;
    });
    assert.equal(rolling.hosts.filter((h) => h.state === 'rolling').length, 1);
    const st = await admin.status();
    const held = st.hosts.filter((h) => h.heldAt === 1);
    assert.equal(held.filter((h) => h.site !== 'grz').length, before.hosts.length, 'the other sites stay at revision 1');
    assert.deepEqual(held.filter((h) => h.site === 'grz').map((h) => [h.host, h.firewall.desiredHash]).sort(), rolling.hosts.slice(1).map((h) => [h.host, null]).sort(), "Graz's other hosts wait at revision 1, where they have nothing");
    assert.equal(st.hosts.find((h) => h.host === 'nue-app-01')?.firewall.desiredHash, contentHash(golden), 'a held host keeps its ruleset');
    const aborted = await cli('rollout', 'abort', String(res.rollout.id));
    assert.equal(aborted.status, 0, aborted.stderr);
    assert.match(aborted.stdout, /ABORTED/);
    const canary = (await admin.status()).hosts.find((h) => h.host === 'grz-app-01')!;
    assert.deepEqual([canary.heldAt, canary.firewall.desiredHash], [1, null], 'the canary goes back to nothing');
  } finally {
    await controller.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
