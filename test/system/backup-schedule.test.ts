/**
 * Backups end to end with real restic: the three-site fleet, the blog (its replica in
 * Helsinki) backing up to Vienna every 2 s, keeping the last 2 snapshots. The hel agent runs
 * the job on schedule, the controller records each run; a change to the blog's data shows in
 * the next snapshot and adds only the change; the keep policy leaves 2 snapshots; the newest
 * restores with identical content; the repository password (made by the controller) appears
 * in no API answer; a wrong password fails the run with a clear error and the app keeps running.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { Restic } from '../../src/agent/backup/restic.js';
import { hafenAsync } from '../helpers/paths.js';
import { fetchText } from '../helpers/http.js';
import { need, works } from '../helpers/system.js';
import { startThreeSites, type ThreeSites } from '../helpers/three-sites.js';
import { until } from '../helpers/wait.js';

const haveRestic = works('restic', ['version']);
const repos = mkdtempSync(join(tmpdir(), 'hafen-backup-repos-'));
let fleet: ThreeSites | undefined;

before(async () => {
  if (!haveRestic) return;
  fleet = await startThreeSites(68, {
    edit: (text) =>
      text
        .replace('prefixes: [198.18.2.0/24], uplink: 1Gbit/s }', `prefixes: [198.18.2.0/24], uplink: 1Gbit/s, backupRepository: { url: "${repos}" } }`)
        .replace('  - id: verlag-blog\n    customer: verlag\n', '  - id: verlag-blog\n    customer: verlag\n    backup: { to: vie, schedule: "*/2 * * * * *", keep: { last: 2 } }\n'),
  });
});

after(async () => {
  await fleet?.stop();
  rmSync(repos, { recursive: true, force: true });
});

const sha = (text: string) => createHash('sha256').update(text).digest('hex');

test('a scheduled backup to another site: incremental, kept by policy, restorable, its password never shown', async (t) => {
  if (!need(t, haveRestic, 'restic is not installed')) return;
  const f = fleet!;
  const backups = () => f.admin.backups({ app: 'verlag-blog', limit: 50 });
  const first = await until('a first successful backup run', async () => (await backups()).apps[0]?.lastSuccess ?? undefined, 30_000, 250);
  const app = (await backups()).apps[0]!;
  assert.equal(app.host, 'hel-app-01');
  assert.equal(app.repository, join(repos, 'verlag', 'verlag-blog'));
  assert.match(first.snapshotId ?? '', /^[0-9a-f]{8}/, JSON.stringify(first));

  // The blog counts its requests in a file of its data directory: a request writes it.
  const state = join(f.data['hel-app-01']!, 'state');
  const blogData = join(state, 'data', 'verlag-blog-r1', 'requests');
  assert.match(await fetchText(f.address['hel-app-01']!, 8082), /^Moin from verlag-blog-r1/);
  // The first run saw an empty directory; the run that sees the file may have started just before the request.
  const changed = await until('a run that saw the change', async () => (await backups()).runs.find((x) => x.ok && x.startedAt > first.startedAt && x.filesChanged! + x.filesNew! >= 1), 20_000, 250);
  const changedAt = Date.parse(changed.finishedAt);
  assert.ok(changed.dataAdded! < 16 * 1024, `only the change is added: ${changed.dataAdded} bytes`);

  // The keep policy (last 2) applies on every run.
  await until('three runs after the change', async () => ((await backups()).runs.filter((x) => x.ok && Date.parse(x.startedAt) > changedAt).length >= 3 ? true : undefined), 30_000, 250);
  const job = (JSON.parse(readFileSync(join(state, 'desired.json'), 'utf8')) as { state: { backups: { password: string }[] } }).state.backups[0]!;
  const restic = new Restic({ url: app.repository!, password: job.password });
  const snaps = await restic.snapshots();
  assert.ok(snaps.length === 2 || snaps.length === 3, `the last 2 kept (a third while a run is between backup and forget): ${snaps.length}`);
  const scratch = mkdtempSync(join(tmpdir(), 'hafen-restore-'));
  try {
    await restic.restore(snaps.at(-1)!.id, scratch);
    assert.equal(sha(readFileSync(join(scratch, blogData), 'utf8')), sha(readFileSync(blogData, 'utf8')), 'restored data equals the live data');
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }

  // The password was made by the controller, is listed as a secret, and no answer shows it.
  const env = { ...process.env, HAFEN_CONTROLLER: f.url, HAFEN_TOKEN: f.adminToken };
  const secrets = await hafenAsync(['secret', 'list', '--format', 'json'], { env });
  assert.match(secrets.stdout, /"backup-verlag-blog"/);
  const list = await hafenAsync(['backup', 'list'], { env });
  assert.equal(list.status, 0, list.stderr);
  assert.match(list.stdout, /^verlag-blog {2}\(verlag\) on hel-app-01, "\*\/2 \* \* \* \* \*", to .*verlag-blog\n {2}last run: {5}\S+ ok, snapshot [0-9a-f]{8}/m);
  for (const text of [list.stdout, secrets.stdout, JSON.stringify(await backups()), JSON.stringify(await f.admin.status())]) assert.ok(!text.includes(job.password), 'the password is in no answer');

  // A wrong password: the next run fails, says why, and the blog keeps serving.
  const set = await hafenAsync(['secret', 'set', 'backup-verlag-blog'], { env, input: 'not-the-repository-password' });
  assert.equal(set.status, 0, set.stderr);
  const setAt = Date.now();
  const failed = await until('a run with the wrong password', async () => (await backups()).runs.find((x) => !x.ok && Date.parse(x.startedAt) > setAt), 30_000, 250);
  assert.equal(failed.error?.kind, 'wrong-password', JSON.stringify(failed));
  assert.ok(!failed.error!.message.includes('not-the-repository-password'));
  const listed = await hafenAsync(['backup', 'list'], { env });
  assert.equal(listed.status, 1, 'exit 1 when a last run failed');
  assert.match(listed.stdout, /last run: +\S+ FAILED: wrong-password\n +restic open on .*verlag-blog: the repository does not open with this password .*secret backup-verlag-blog/);
  assert.match(await fetchText(f.address['hel-app-01']!, 8082), /^Moin from verlag-blog-r1/, 'the app keeps running');
  t.diagnostic(`first backup ${first.dataAdded} bytes; after a change ${changed.dataAdded} bytes added`);
});
