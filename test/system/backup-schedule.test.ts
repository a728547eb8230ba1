/**
 * Backups end to end with real restic: the three-site fleet, the blog (its replica in
 * Helsinki) backing up to Vienna every 2 s, keeping the last 2 snapshots. The hel agent runs
 * the job on schedule, the controller records each run; a change to the blog's data shows in
 * the next snapshot and adds only the change; the keep policy leaves 2 snapshots; the newest
 * restores with identical content; the repository password (made by the controller) appears
 * in no API answer; a wrong password fails the run with a clear error and an alert (resolved when
 * the password is right again), and a full repository disk (an 8 MiB tmpfs) likewise; the app
 * keeps running throughout.
 */
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { Restic } from '../../src/agent/backup/restic.js';
import { hafenAsync } from '../helpers/paths.js';
import { assertLastTwoRestore, jobPassword } from '../helpers/backups.js';
import { fetchText } from '../helpers/http.js';
import { need, run, works } from '../helpers/system.js';
import { startThreeSites, type ThreeSites } from '../helpers/three-sites.js';
import { until } from '../helpers/wait.js';

const haveRestic = works('restic', ['version']);
const repos = mkdtempSync(join(tmpdir(), 'hafen-backup-repos-'));
let fleet: ThreeSites | undefined;
/** The repositories' disk: an 8 MiB tmpfs (root only), so it can fill up. */
let mounted = false;

before(async () => {
  if (!haveRestic) return;
  mounted = process.getuid?.() === 0 && run('mount', ['-t', 'tmpfs', '-o', 'size=8m', 'tmpfs', repos]).status === 0;
  fleet = await startThreeSites({
    edit: (text) =>
      text
        .replace('prefixes: [198.18.2.0/24], uplink: 1Gbit/s }', `prefixes: [198.18.2.0/24], uplink: 1Gbit/s, backupRepository: { url: "${repos}" } }`)
        // The shop backs up only when asked (its schedule fires on New Year), so its snapshots stay put for the task test.
        .replace('  - id: huber-shop\n    customer: huber\n', '  - id: huber-shop\n    customer: huber\n    backup: { to: vie, schedule: "0 0 1 1 *", keep: { last: 10 }, check: { parts: 3 }, drill: { verify: [sh, -c, "test -s requests && echo requests-ok"] } }\n')
        .replace(
          '  - id: verlag-blog\n    customer: verlag\n',
          '  - id: verlag-blog\n    customer: verlag\n    backup: { to: vie, schedule: "*/2 * * * * *", keep: { last: 2 }, check: { parts: 3 }, drill: { verify: [sh, -c, "test -s requests && echo requests-ok"] } }\n',
        ),
  });
});

after(async () => {
  await fleet?.stop();
  if (mounted) run('umount', [repos]);
  rmSync(repos, { recursive: true, force: true });
});

const sha = (text: string) => createHash('sha256').update(text).digest('hex');

test('backup tasks from the CLI: run now, restore into scratch (identical files) and back into the app, a drill with RTO and RPO, checks reading the data in turn', async (t) => {
  if (!need(t, haveRestic, 'restic is not installed')) return;
  const f = fleet!;
  const env = { ...process.env, HAFEN_CONTROLLER: f.url, HAFEN_TOKEN: f.adminToken };
  const host = await until('the shop\'s backup job', async () => (await f.admin.backups({ app: 'huber-shop' })).apps[0]?.host ?? undefined, 20_000, 250);
  await until('the shop\'s data directory', async () => readdirSync(join(f.data[host]!, 'state', 'data')).some((n) => n.startsWith('huber-shop-r')) || undefined, 20_000, 250);
  const unit = readdirSync(join(f.data[host]!, 'state', 'data')).find((n) => n.startsWith('huber-shop-r'))!;
  const dataDir = join(f.data[host]!, 'state', 'data', unit);
  const shopData = join(dataDir, 'requests');
  const shop = () => fetchText(f.address[host]!, 8081);
  await until('the shop answering', () => shop().catch(() => undefined), 20_000, 250);
  writeFileSync(join(dataDir, 'page.txt'), 'as in the snapshot\n');

  const run = await hafenAsync(['backup', 'run', 'huber-shop', '--format', 'json'], { env });
  assert.equal(run.status, 0, run.stderr);
  const snapshotId = (JSON.parse(run.stdout) as { result: { snapshotId: string } }).result.snapshotId;
  const runText = await hafenAsync(['backup', 'run', 'huber-shop'], { env });
  assert.equal(runText.status, 0, runText.stderr);
  assert.match(runText.stdout, new RegExp(`^backed up huber-shop on ${host}: snapshot [0-9a-f]{8,64}, `));
  assert.match(runText.stderr, new RegExp(`^asked the agent of ${host} for a run of huber-shop \\(task bt_[0-9a-f]{16}\\)`));

  const restore = await hafenAsync(['backup', 'restore', 'huber-shop', '--format', 'json'], { env });
  assert.equal(restore.status, 0, restore.stderr);
  const restored = JSON.parse(restore.stdout) as { state: string; host: string; result: { path: string; files: number; snapshotId: string } };
  assert.equal(restored.state, 'done');
  assert.equal(restored.host, host);
  assert.ok(restored.result.files >= 1, JSON.stringify(restored));
  // No request since the one above (health checks are not counted): the restored counter equals the live one.
  assert.equal(sha(readFileSync(join(restored.result.path, shopData), 'utf8')), sha(readFileSync(shopData, 'utf8')), 'restored data equals the live data');

  // Back into the app: the page changes and a file is added after the snapshot; the restore
  // puts the snapshot's content back, keeps the data from before aside, and the blog serves on.
  writeFileSync(join(dataDir, 'page.txt'), 'changed after the snapshot\n');
  writeFileSync(join(dataDir, 'later.txt'), 'added after the snapshot\n');
  const unconfirmed = await hafenAsync(['backup', 'restore', 'huber-shop', '--into-app', '--snapshot', snapshotId], { env });
  assert.equal(unconfirmed.status, 1);
  assert.match(unconfirmed.stderr, /restoring into huber-shop replaces its data; confirm with --yes/);
  const intoApp = await hafenAsync(['backup', 'restore', 'huber-shop', '--into-app', '--yes', '--snapshot', snapshotId], { env });
  assert.equal(intoApp.status, 0, intoApp.stderr + intoApp.stdout);
  assert.match(intoApp.stdout, new RegExp(`^restored snapshot [0-9a-f]{8} \\(.*\\) of huber-shop into the app on ${host}: .* the app was stopped for [\\d.]+ s; its data from before is kept in \\S+${unit}\\.before-restore-\\S+$`, 'm'));
  const aside = /kept in (\S+)$/m.exec(intoApp.stdout)![1]!;
  assert.equal(readFileSync(join(dataDir, 'page.txt'), 'utf8'), 'as in the snapshot\n');
  assert.equal(existsSync(join(dataDir, 'later.txt')), false, 'what came after the snapshot is gone from the app');
  assert.equal(readFileSync(join(aside, 'later.txt'), 'utf8'), 'added after the snapshot\n', 'and kept aside');
  await until('the shop serving after the restore', () => shop().catch(() => undefined), 20_000, 250);

  const drill = await hafenAsync(['backup', 'drill', 'huber-shop'], { env });
  assert.equal(drill.status, 0, drill.stderr + drill.stdout);
  assert.match(drill.stdout, new RegExp(`^restore drill of huber-shop on ${host} passed: snapshot [0-9a-f]{8}, \\d+ files, .* restored and verified in [\\d.]+ s \\(RTO\\), data [\\d.]+ s old \\(RPO\\); verification said: requests-ok$`, 'm'));
  const drills = await hafenAsync(['backup', 'drills', '--app', 'huber-shop', '--format', 'json'], { env });
  assert.equal(drills.status, 0, drills.stderr);
  const listed = JSON.parse(drills.stdout) as { apps: { lastDrill: { state: string; result: { seconds: number; dataAgeSeconds: number } } }[] };
  assert.equal(listed.apps[0]!.lastDrill.state, 'done');
  assert.ok(listed.apps[0]!.lastDrill.result.dataAgeSeconds < 60, 'the newest snapshot is seconds old');
  assert.deepEqual(readdirSync(join(f.data[host]!, 'state', 'restores')).filter((d) => d.includes('drill')), [], 'the drill removed its copy');

  // Checks read the data in three parts, in turn.
  const parts: string[] = [];
  for (let i = 0; i < 2; i++) {
    const check = await hafenAsync(['backup', 'check', 'huber-shop', '--format', 'json'], { env });
    assert.equal(check.status, 0, check.stderr);
    parts.push((JSON.parse(check.stdout) as { result: { subset: string } }).result.subset);
  }
  assert.deepEqual(parts, ['1/3', '2/3']);

  // The plan: keep last 2 keeps 2 snapshots on every day ahead; the repository is a path, so its site's capacity is unknown.
  const plan = await hafenAsync(['backup', 'plan', 'verlag-blog', '--format', 'json'], { env });
  assert.equal(plan.status, 0, plan.stderr);
  const planned = JSON.parse(plan.stdout) as { apps: { retention: { days: number; kept: number }[]; space: { bytes: { days: number }[] } }[]; hosts: { host: string; capacity: number | null }[] };
  assert.deepEqual(planned.apps[0]!.retention.map((p) => [p.days, p.kept]), [[0, 2], [30, 2], [90, 2], [365, 2]]);
  assert.deepEqual(planned.apps[0]!.space.bytes.map((b) => b.days), [0, 30, 90, 365]);
  assert.deepEqual(planned.hosts.map((h) => [h.host, h.capacity]), [['site:vie', null]]);
  const planText = await hafenAsync(['backup', 'plan'], { env });
  assert.match(planText.stdout, /^ {2}in 365 days +2 snapshots, back to \d{4}-\d\d-\d\d \(2 last\); ~/m);

  // An app without a backup policy, and a bad option, are refused clearly.
  const unknown = await hafenAsync(['backup', 'run', 'stadtwerke-portal'], { env });
  assert.equal(unknown.status, 1);
  assert.match(unknown.stderr, /app "stadtwerke-portal" has no backup policy in the newest revision/);
  const badSnapshot = await hafenAsync(['backup', 'restore', 'huber-shop', '--snapshot', 'nope'], { env });
  assert.equal(badSnapshot.status, 1);
  assert.match(badSnapshot.stderr, /snapshot.*must be a snapshot id \(8 to 64 hex digits\) or "latest"/);
  t.diagnostic(`restore: ${restored.result.files} files; drill: ${listed.apps[0]!.lastDrill.result.seconds} s to restore and verify, data ${listed.apps[0]!.lastDrill.result.dataAgeSeconds} s old`);
});

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
  const job = { password: jobPassword(state, 'verlag-blog') };
  const restic = new Restic({ url: app.repository!, password: job.password });
  await assertLastTwoRestore(restic, blogData);

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
  const alert = await until('the backup-failed alert', async () => (await f.admin.alerts()).alerts.find((a) => a.key === 'backup-failed:verlag-blog'), 15_000, 250);
  assert.equal(alert.severity, 'warning');
  assert.equal(alert.group, 'backup:vie');
  assert.match(alert.summary, /^backup of verlag-blog on hel-app-01 failed \(wrong-password: restic open on /);
  assert.ok(!alert.summary.includes('not-the-repository-password'));

  // The right password again: runs succeed and the alert resolves.
  assert.equal((await hafenAsync(['secret', 'set', 'backup-verlag-blog'], { env, input: job.password })).status, 0);
  await until('the backup-failed alert resolved', async () => ((await f.admin.alerts()).alerts.some((a) => a.key === 'backup-failed:verlag-blog') ? undefined : true), 30_000, 250);

  // The repository's disk fills up (a 16 MiB file on an 8 MiB disk): the run fails as disk-full, alerts, and the blog serves on.
  if (!mounted) return t.diagnostic('the disk-full part needs root (a tmpfs for the repository): not run');
  writeFileSync(join(state, 'data', 'verlag-blog-r1', 'big.bin'), randomBytes(16 * 1024 * 1024));
  const bigAt = new Date().toISOString();
  const full = await until('a run failing on a full disk', async () => (await backups()).runs.find((x) => !x.ok && x.startedAt > bigAt), 30_000, 250);
  assert.equal(full.error?.kind, 'disk-full', JSON.stringify(full));
  assert.match(full.error!.message, /the disk holding the repository is full/);
  const fullAlert = await until('the disk-full alert', async () => (await f.admin.alerts()).alerts.find((a) => a.key === 'backup-failed:verlag-blog' && a.summary.includes('disk-full')), 15_000, 250);
  assert.match(fullAlert.summary, /failed \(disk-full: restic backup on /);
  assert.match(await fetchText(f.address['hel-app-01']!, 8082), /^Moin from verlag-blog-r1/, 'the app keeps running');
  t.diagnostic(`first backup ${first.dataAdded} bytes; after a change ${changed.dataAdded} bytes added`);
});
