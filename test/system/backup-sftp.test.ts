/**
 * Backups to a backup host at another site over sftp, with a real sshd: the backup host
 * vie-backup-01 is a network namespace of its own (address 198.18.2.90 from the fleet, sshd
 * on port 22), its hafen agent keeps the authorized_keys file sshd reads; a copy of every
 * snapshot goes to the third site (Nuremberg, a path) with restic copy. The blog (its
 * replica in Helsinki) backs up to Vienna every 2 s: the hel agent's ssh key reaches the
 * backup host through the controller, restricted to sftp; the backups are incremental, kept
 * by policy and restore identically; when the backup host goes dark (every packet dropped)
 * a run fails as "unreachable" within the ssh timeout with an alert, the app keeps serving,
 * and the next run after the host is back succeeds. A restore on another host (--to) lets that
 * host's agent in for the task only; --from-copy restores from the copy.
 */
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { Restic } from '../../src/agent/backup/restic.js';
import { sftpCommand, SSH_CONNECT_TIMEOUT_S, SSH_GIVE_UP_S } from '../../src/agent/backup/ssh.js';
import { startAgent } from '../../src/agent/main.js';
import type { Agent } from '../../src/agent/agent.js';
import { assertLastTwoRestore, jobPassword, whileLocked } from '../helpers/backups.js';
import { fetchText } from '../helpers/http.js';
import { hafenAsync } from '../helpers/paths.js';
import { makeNetns, startSshd, type Netns, type Sshd } from '../helpers/netns.js';
import { SSHD } from '../helpers/sshd.js';
import { need, run, works } from '../helpers/system.js';
import { startThreeSites, type ThreeSites } from '../helpers/three-sites.js';
import { until } from '../helpers/wait.js';

const BACKUP_ADDRESS = '198.18.2.90';
const usable = process.getuid?.() === 0 && works('restic', ['version']) && SSHD !== undefined && works('ssh', ['-V']) && works('ip', ['netns', 'list']) && works('nft', ['--version']);
const dir = mkdtempSync(join(tmpdir(), 'hafen-backup-sftp-'));
let fleet: ThreeSites | undefined;
let ns: Netns | undefined;
let sshd: Sshd | undefined;
let backupAgent: Agent | undefined;
let mounted = false;

before(async () => {
  if (!usable) return;
  ns = makeNetns(69, BACKUP_ADDRESS, '198.18.2.94');
  // The backup host's repository disk: 64 MiB, so a test can fill it.
  mkdirSync(join(dir, 'repos'));
  mounted = run('mount', ['-t', 'tmpfs', '-o', 'size=64m', 'tmpfs', join(dir, 'repos')]).status === 0;
  sshd = await startSshd(ns, join(dir, 'sshd'));
  fleet = await startThreeSites({
    edit: (text) =>
      text
        .replace('    - { name: apps, role: apps, prefixLength: 26 }\n', '    - { name: apps, role: apps, prefixLength: 26 }\n    - { name: backup, role: backup, prefixLength: 28 }\n')
        .replace(/^( {2}- \{ id: hel-app-01, .*\n)/m, `$1  - { id: vie-backup-01, site: vie, role: backup, address: ${BACKUP_ADDRESS}, cpu: 2, memory: 4GiB, disk: 2TiB }\n`)
        .replace('prefixes: [198.18.2.0/24], uplink: 1Gbit/s }', `prefixes: [198.18.2.0/24], uplink: 1Gbit/s, backupRepository: { url: "sftp:root@{address}:${dir}/repos" } }`)
        .replace('prefixes: [198.18.0.0/24], uplink: 1Gbit/s }', `prefixes: [198.18.0.0/24], uplink: 1Gbit/s, backupRepository: { url: "${dir}/copies" } }`)
        .replace('  - id: verlag-blog\n    customer: verlag\n', '  - id: verlag-blog\n    customer: verlag\n    backup: { to: vie, copyTo: nue, schedule: "*/2 * * * * *", keep: { last: 2 } }\n'),
  });
  // The backup host's agent: no units, only the authorized_keys file of the sshd above.
  ({ agent: backupAgent } = await startAgent({ controller: fleet.url, data: join(dir, 'vie-backup-01'), joinToken: (await fleet.admin.joinToken('vie-backup-01')).token, driver: 'process', authorizedKeys: sshd.authorizedKeys, repositories: join(dir, 'repos') }));
});

after(async () => {
  await backupAgent?.stop();
  await fleet?.stop();
  sshd?.stop();
  ns?.close();
  if (mounted) run('umount', [join(dir, 'repos')]);
  rmSync(dir, { recursive: true, force: true });
});

const isAlive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

test('backups over sftp to a backup host at another site: keys handed over, incremental, restorable; a dark backup host fails runs clearly', async (t) => {
  if (!need(t, usable, 'needs root, restic, ssh, sshd, ip netns and nft')) return;
  const f = fleet!;
  const backups = () => f.admin.backups({ app: 'verlag-blog', limit: 100 });
  const first = await until('a first successful backup over sftp', async () => (await backups()).apps[0]?.lastSuccess ?? undefined, 90_000, 250);
  const app = (await backups()).apps[0]!;
  assert.equal(app.repository, `sftp:root@${BACKUP_ADDRESS}:${dir}/repos/verlag/verlag-blog`);
  // Runs before the key arrived at the backup host were refused, and said so.
  for (const r of (await backups()).runs.filter((x) => !x.ok && x.startedAt < first.startedAt)) assert.equal(r.error?.kind, 'denied', JSON.stringify(r));

  // The hel agent's key is on the backup host, for sftp only; no other key is.
  const hel = join(f.data['hel-app-01']!, 'state');
  const helKey = readFileSync(join(hel, 'ssh', 'id_ed25519.pub'), 'utf8').trim().split(' ').slice(0, 2).join(' ');
  const keys = readFileSync(sshd!.authorizedKeys, 'utf8').split('\n').filter((l) => l && !l.startsWith('#'));
  assert.deepEqual(keys, [`restrict,command="internal-sftp" ${helKey} hafen-agent@hel-app-01 (verlag-blog)`]);

  // A change to the blog's data: the next snapshot adds only the change.
  const blogData = join(hel, 'data', 'verlag-blog-r1', 'requests');
  assert.match(await fetchText(f.address['hel-app-01']!, 8082), /^Moin from verlag-blog-r1/);
  const changed = await until('a run that saw the change', async () => (await backups()).runs.find((x) => x.ok && x.startedAt > first.startedAt && x.filesChanged! + x.filesNew! >= 1), 20_000, 250);
  assert.ok(changed.dataAdded! < 16 * 1024, `only the change is added: ${changed.dataAdded} bytes`);
  await until('three runs after the change', async () => ((await backups()).runs.filter((x) => x.ok && x.startedAt > changed.startedAt).length >= 3 ? true : undefined), 30_000, 250);

  // Over the same sftp path, with the hel agent's key: the last 2 kept, the newest restores identically.
  const job = { password: jobPassword(hel, 'verlag-blog') };
  const key = { keyFile: join(hel, 'ssh', 'id_ed25519'), knownHosts: join(hel, 'ssh', 'known_hosts'), publicKey: helKey };
  const restic = new Restic({ url: app.repository!, password: job.password, sftpCommand: sftpCommand(key, { user: 'root', address: BACKUP_ADDRESS, port: 22 }) });
  await assertLastTwoRestore(restic, blogData);

  // The copy at the third site (nue, a path): the same chunker parameters, the same snapshots
  // (restic copy keeps their times and content), the keep policy applied there too.
  const copy = new Restic({ url: join(dir, 'copies', 'verlag', 'verlag-blog'), password: job.password });
  assert.equal(await whileLocked(() => copy.chunkerPolynomial()), await whileLocked(() => restic.chunkerPolynomial()), 'created with the chunker parameters of the repository it copies');
  const copied = await whileLocked(() => copy.snapshots());
  assert.ok(copied.length >= 1 && copied.length <= 3, `the copy keeps the last 2 too: ${copied.length}`);
  assert.ok(copied.every((c) => c.tags.includes('app:verlag-blog') && c.hostname === 'hel-app-01'));
  const copyScratch = mkdtempSync(join(tmpdir(), 'hafen-restore-copy-'));
  try {
    await whileLocked(() => copy.restore('latest', copyScratch));
    assert.match(readFileSync(join(copyScratch, blogData), 'utf8'), /^\d+$/, 'the copy restores the blog\'s request counter');
  } finally {
    rmSync(copyScratch, { recursive: true, force: true });
  }

  // The backup host goes dark: a run under way gives up within SSH_GIVE_UP_S (restic is stopped
  // as soon as its ssh is gone), a run started in the dark after the connect timeout; each says
  // why; the blog serves on.
  // Dark while a restic backup of the blog runs, so a run under way meets it.
  const resticPid = await until('a restic backup of the blog running', async () => Number(run('pgrep', ['-f', 'restic backup --json .*app:verlag-blog']).stdout.split('\n')[0]) || undefined, 20_000, 20);
  ns!.dark(true);
  const darkAt = new Date().toISOString();
  const caughtMidRun = isAlive(resticPid);
  let failed;
  try {
    failed = await until('a run failing while the backup host is dark', async () => (await backups()).runs.find((x) => !x.ok && x.startedAt > darkAt), (2 * SSH_GIVE_UP_S + 30) * 1000, 250);
    assert.match(await fetchText(f.address['hel-app-01']!, 8082), /^Moin from verlag-blog-r1/, 'the app keeps running');
    const alert = await until('the backup-failed alert', async () => (await f.admin.alerts()).alerts.find((a) => a.key === 'backup-failed:verlag-blog'), 15_000, 250);
    assert.match(alert.summary, /^backup of verlag-blog on hel-app-01 failed \(unreachable: restic \w+ on sftp:root@198\.18\.2\.90:/);
  } finally {
    ns!.dark(false);
  }
  assert.equal(failed.error?.kind, 'unreachable', JSON.stringify(failed));
  assert.match(failed.error!.message, new RegExp(`on sftp:root@${BACKUP_ADDRESS.replace(/\./g, '\\.')}:.*verlag-blog: the backup host cannot be reached`));
  const seconds = (Date.parse(failed.finishedAt) - Date.parse(failed.startedAt)) / 1000;
  assert.ok(seconds < SSH_CONNECT_TIMEOUT_S + 5, `gave up after ${seconds} s`);
  const back = new Date().toISOString();
  await until('a successful run after the backup host is back', async () => (await backups()).runs.find((x) => x.ok && x.startedAt > back), 30_000, 250);
  // A run that was under way when the host went dark gave up too (restic does not wait for a dead ssh), as unreachable.
  const midRun = (await backups()).runs.filter((x) => x.startedAt < darkAt && x.finishedAt > darkAt && !x.ok);
  if (caughtMidRun) assert.equal(midRun.length, 1, 'the run under way failed');
  for (const r of midRun) {
    assert.equal(r.error?.kind, 'unreachable', JSON.stringify(r));
    assert.ok(Date.parse(r.finishedAt) - Date.parse(darkAt) < (SSH_GIVE_UP_S + 10) * 1000, `gave up ${(Date.parse(r.finishedAt) - Date.parse(darkAt)) / 1000} s after the host went dark`);
  }
  const mid = midRun[0] ? `${((Date.parse(midRun[0].finishedAt) - Date.parse(darkAt)) / 1000).toFixed(1)} s after it went dark` : 'none caught';
  t.diagnostic(`first backup over sftp ${first.dataAdded} bytes; a change added ${changed.dataAdded} bytes; a run started in the dark failed after ${seconds.toFixed(1)} s; the run under way: ${mid}`);
});

test('a restore on another host (--to): its agent is let in to the backup host for the task only; --from-copy reads the copy at the third site', async (t) => {
  if (!need(t, usable, 'needs root, restic, ssh, sshd, ip netns and nft')) return;
  const f = fleet!;
  const blogDir = join(f.data['hel-app-01']!, 'state', 'data', 'verlag-blog-r1');
  writeFileSync(join(blogDir, 'restore-me.txt'), 'from Helsinki\n');
  const writtenAt = new Date().toISOString();
  await until('a backup with the new file', async () => ((await f.admin.backups({ app: 'verlag-blog' })).apps[0]?.lastSuccess?.startedAt ?? '') > writtenAt || undefined, 90_000, 250);
  const keyOf = (host: string) => readFileSync(join(f.data[host]!, 'state', 'ssh', 'id_ed25519.pub'), 'utf8').trim().split(' ').slice(0, 2).join(' ');
  const allowed = () => readFileSync(sshd!.authorizedKeys, 'utf8').split('\n').filter((l) => l && !l.startsWith('#'));
  const nueKey = keyOf('nue-app-01');
  assert.ok(!allowed().some((l) => l.includes(nueKey)), 'nue-app-01 runs no job backing up to vie: not let in');

  // Nuremberg restores the blog (whose job runs in Helsinki) from the backup host in Vienna.
  // The backup host's agent is away when the task is asked: nue's first logins are refused,
  // and it tries again until the agent, back, has let it in.
  await backupAgent!.stop();
  const env = { ...process.env, HAFEN_CONTROLLER: f.url, HAFEN_TOKEN: f.adminToken };
  const started = Date.now();
  const asked = hafenAsync(['backup', 'restore', 'verlag-blog', '--to', 'nue-app-01', '--format', 'json', '--timeout', '120'], { env });
  await new Promise((r) => setTimeout(r, 3000));
  assert.ok(!allowed().some((l) => l.includes(nueKey)), 'not let in while the backup host\'s agent is away');
  ({ agent: backupAgent } = await startAgent({ controller: f.url, data: join(dir, 'vie-backup-01'), driver: 'process', authorizedKeys: sshd!.authorizedKeys, repositories: join(dir, 'repos') }));
  const res = await asked;
  assert.equal(res.status, 0, res.stderr + res.stdout);
  const task = JSON.parse(res.stdout) as { state: string; host: string; result: { path: string; files: number } };
  assert.equal(task.host, 'nue-app-01');
  assert.ok(task.result.path.startsWith(join(f.data['nue-app-01']!, 'state', 'restores', 'verlag-blog-')), task.result.path);
  assert.equal(readFileSync(join(task.result.path, blogDir, 'restore-me.txt'), 'utf8'), 'from Helsinki\n', "the blog's data, restored in Nuremberg");
  await until("nue-app-01's key taken off the backup host after the task", async () => (allowed().some((l) => l.includes(nueKey)) ? undefined : true), 20_000, 250);
  assert.deepEqual(allowed().map((l) => l.split(' ').at(-1)), ['(verlag-blog)'], 'only the job host remains');

  // From the copy (a path at nue), into scratch space in Vienna.
  const fromCopy = await hafenAsync(['backup', 'restore', 'verlag-blog', '--from-copy', '--to', 'vie-app-01', '--timeout', '120'], { env });
  assert.equal(fromCopy.status, 0, fromCopy.stderr + fromCopy.stdout);
  assert.match(fromCopy.stdout, /^restored snapshot [0-9a-f]{8} \(.*\) of verlag-blog from its copy into vie-app-01:\S+: \d+ files/);

  // What cannot run is refused before anything is asked.
  const intoApp = await hafenAsync(['backup', 'restore', 'verlag-blog', '--to', 'nue-app-01', '--into-app', '--yes'], { env });
  assert.equal(intoApp.status, 1);
  assert.match(intoApp.stderr, /--into-app restores on the app's own host/);
  const nowhere = await hafenAsync(['backup', 'restore', 'verlag-blog', '--to', 'nowhere-01'], { env });
  assert.equal(nowhere.status, 1);
  assert.match(nowhere.stderr, /host "nowhere-01" is not in the newest revision's fleet/);
  t.diagnostic(`restore in Nuremberg from Vienna (its backup host's agent away for the first 3 s): ${task.result.files} files, ${((Date.now() - started) / 1000).toFixed(1)} s from asking to done`);
});

test("the dead man's switch: a backup that hangs says nothing, so its silence alerts; a job host that goes away explains it", async (t) => {
  if (!need(t, usable, 'needs root, restic, ssh, sshd, ip netns and nft')) return;
  const f = fleet!;
  const alerts = async () => (await f.admin.alerts()).alerts;
  // The test before restores from the repository the blog backs up to: a run then may fail on its
  // lock (forget wants it alone). Wait until the newest run succeeded and no failure alert is left.
  await until('a successful newest backup run and no backup-failed alert', async () => {
    const newest = (await f.admin.backups({ app: 'verlag-blog', limit: 1 })).runs[0];
    return newest?.ok && !(await alerts()).some((a) => a.key === 'backup-failed:verlag-blog') ? true : undefined;
  }, 90_000, 250);
  // restic hangs (stopped, as on a hung mount): no run fails, none succeeds; the agent reports on.
  const pid = await until('a restic backup of the blog running', async () => Number(run('pgrep', ['-f', 'restic backup --json .*app:verlag-blog']).stdout.split('\n')[0]) || undefined, 20_000, 20);
  process.kill(pid, 'SIGSTOP');
  const hungAt = Date.now();
  try {
    const overdue = await until('backup-overdue while restic hangs', async () => (await alerts()).find((a) => a.key === 'backup-overdue:verlag-blog'), 90_000, 250);
    assert.equal(overdue.inhibitedBy, undefined, 'the host reports: nothing explains it');
    assert.match(overdue.summary, /^no successful backup of verlag-blog since \S+: one was due by \S+ \(schedule "\*\/2 \* \* \* \* \*" on hel-app-01\)$/);
    const failed = (await alerts()).find((a) => a.key === 'backup-failed:verlag-blog');
    const failedRuns = (await f.admin.backups({ app: 'verlag-blog', limit: 10 })).runs.filter((r) => !r.ok && Date.parse(r.startedAt) >= hungAt - 5000);
    assert.equal(failed, undefined, `no run failed while restic hung, but: ${failed?.summary}; runs: ${JSON.stringify(failedRuns)}`);
    t.diagnostic(`backup-overdue ${((Date.now() - hungAt) / 1000).toFixed(1)} s after restic hung (grace 30 s for a 2 s schedule)`);
  } finally {
    process.kill(pid, 'SIGCONT');
  }
  await until('backup-overdue resolved once runs succeed again', async () => ((await alerts()).some((a) => a.key === 'backup-overdue:verlag-blog') ? undefined : true), 60_000, 250);

  // The job host's agent goes away (its units keep running): the overdue alert comes, muted by the host alert that explains it.
  await f.agents['hel-app-01']!.stop();
  const goneAt = Date.now();
  const muted = await until('backup-overdue of the gone agent', async () => (await alerts()).find((a) => a.key === 'backup-overdue:verlag-blog'), 90_000, 250);
  const hostAlert = await until('the host alert', async () => (await alerts()).find((a) => a.key === 'host:hel-app-01'), 30_000, 250);
  assert.equal((await alerts()).find((a) => a.key === 'backup-overdue:verlag-blog')?.inhibitedBy, 'host:hel-app-01', `explained by ${hostAlert.summary}`);
  t.diagnostic(`agent gone: backup-overdue after ${((Date.now() - goneAt) / 1000).toFixed(1)} s, ${muted.inhibitedBy ? `muted by ${muted.inhibitedBy}` : 'before the host alert'}`);
});

test('a nearly full repository disk on the backup host alerts (backup-space), and the alert resolves when space is freed', async (t) => {
  if (!need(t, usable && mounted, 'needs root, restic, ssh, sshd, ip netns, nft and a tmpfs')) return;
  const f = fleet!;
  const env = { ...process.env, HAFEN_CONTROLLER: f.url, HAFEN_TOKEN: f.adminToken };
  const disk = await until("the backup host's repository disk reported", async () => (await f.admin.backups({ limit: 1 })).disks.find((d) => d.host === 'vie-backup-01'), 30_000, 250);
  assert.equal(disk.total, 64 * 1024 * 1024);
  assert.equal(disk.site, 'vie');
  const filler = join(dir, 'repos', 'filler.bin');
  writeFileSync(filler, Buffer.alloc(Math.ceil(disk.free! - 0.02 * disk.total!)));
  try {
    const alert = await until('the backup-space alert', async () => (await f.admin.alerts()).alerts.find((a) => a.key === 'backup-space:vie-backup-01'), 30_000, 250);
    assert.equal(alert.severity, 'critical');
    assert.equal(alert.group, 'backup:vie');
    assert.match(alert.summary, /^the repositories on vie-backup-01 \(\S+\/repos\) are (9[5-9]|100)% full: [\d.]+ (KiB|MiB) of 64 MiB free; backups there fail when it is full$/);
    const list = await hafenAsync(['backup', 'list'], { env });
    assert.equal(list.status, 1, 'exit 1 with a repository disk nearly full');
    assert.match(list.stdout, /^ {2}vie-backup-01 {2}\S+\/repos: (9[5-9]|100)% used, .* free of 64 MiB {2}FULL SOON$/m);
  } finally {
    rmSync(filler, { force: true });
  }
  await until('the backup-space alert resolved', async () => ((await f.admin.alerts()).alerts.some((a) => a.key === 'backup-space:vie-backup-01') ? undefined : true), 30_000, 250);
  const plan = await hafenAsync(['backup', 'plan', '--format', 'json'], { env });
  const hosts = (JSON.parse(plan.stdout) as { hosts: { host: string; capacity: number }[] }).hosts;
  assert.equal(hosts.find((h) => h.host === 'vie-backup-01')?.capacity, 64 * 1024 * 1024, "the plan weighs the repositories against the disk the agent reports, not the fleet's 2 TiB");
});
