/**
 * Backups to a backup host at another site over sftp, with a real sshd: the backup host
 * vie-backup-01 is a network namespace of its own (address 198.18.2.90 from the fleet, sshd
 * on port 22), its hafen agent keeps the authorized_keys file sshd reads; a copy of every
 * snapshot goes to the third site (Nuremberg, a path) with restic copy. The blog (its
 * replica in Helsinki) backs up to Vienna every 2 s: the hel agent's ssh key reaches the
 * backup host through the controller, restricted to sftp; the backups are incremental, kept
 * by policy and restore identically; when the backup host goes dark (every packet dropped)
 * a run fails as "unreachable" within the ssh timeout with an alert, the app keeps serving,
 * and the next run after the host is back succeeds.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { Restic } from '../../src/agent/backup/restic.js';
import { sftpCommand, SSH_CONNECT_TIMEOUT_S, SSH_GIVE_UP_S } from '../../src/agent/backup/ssh.js';
import { startAgent } from '../../src/agent/main.js';
import type { Agent } from '../../src/agent/agent.js';
import { assertLastTwoRestore, jobPassword } from '../helpers/backups.js';
import { fetchText } from '../helpers/http.js';
import { makeNetns, startSshd, type Netns, type Sshd } from '../helpers/netns.js';
import { need, run, works } from '../helpers/system.js';
import { startThreeSites, type ThreeSites } from '../helpers/three-sites.js';
import { until } from '../helpers/wait.js';

const BACKUP_ADDRESS = '198.18.2.90';
const usable = process.getuid?.() === 0 && works('restic', ['version']) && works('test', ['-x', '/usr/sbin/sshd']) && works('ssh', ['-V']) && works('ip', ['netns', 'list']) && works('nft', ['--version']);
const dir = mkdtempSync(join(tmpdir(), 'hafen-backup-sftp-'));
let fleet: ThreeSites | undefined;
let ns: Netns | undefined;
let sshd: Sshd | undefined;
let backupAgent: Agent | undefined;

before(async () => {
  if (!usable) return;
  ns = makeNetns(69, BACKUP_ADDRESS, '198.18.2.94');
  sshd = await startSshd(ns, join(dir, 'sshd'));
  fleet = await startThreeSites(69, {
    edit: (text) =>
      text
        .replace('    - { name: apps, role: apps, prefixLength: 26 }\n', '    - { name: apps, role: apps, prefixLength: 26 }\n    - { name: backup, role: backup, prefixLength: 28 }\n')
        .replace(/^( {2}- \{ id: hel-app-01, .*\n)/m, `$1  - { id: vie-backup-01, site: vie, role: backup, address: ${BACKUP_ADDRESS}, cpu: 2, memory: 4GiB, disk: 2TiB }\n`)
        .replace('prefixes: [198.18.2.0/24], uplink: 1Gbit/s }', `prefixes: [198.18.2.0/24], uplink: 1Gbit/s, backupRepository: { url: "sftp:root@{address}:${dir}/repos" } }`)
        .replace('prefixes: [198.18.0.0/24], uplink: 1Gbit/s }', `prefixes: [198.18.0.0/24], uplink: 1Gbit/s, backupRepository: { url: "${dir}/copies" } }`)
        .replace('  - id: verlag-blog\n    customer: verlag\n', '  - id: verlag-blog\n    customer: verlag\n    backup: { to: vie, copyTo: nue, schedule: "*/2 * * * * *", keep: { last: 2 } }\n'),
  });
  // The backup host's agent: no units, only the authorized_keys file of the sshd above.
  ({ agent: backupAgent } = await startAgent({ controller: fleet.url, data: join(dir, 'vie-backup-01'), joinToken: (await fleet.admin.joinToken('vie-backup-01')).token, driver: 'process', authorizedKeys: sshd.authorizedKeys }));
});

after(async () => {
  await backupAgent?.stop();
  await fleet?.stop();
  sshd?.stop();
  ns?.close();
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
  assert.equal(await copy.chunkerPolynomial(), await restic.chunkerPolynomial(), 'created with the chunker parameters of the repository it copies');
  const copied = await copy.snapshots();
  assert.ok(copied.length >= 1 && copied.length <= 3, `the copy keeps the last 2 too: ${copied.length}`);
  assert.ok(copied.every((c) => c.tags.includes('app:verlag-blog') && c.hostname === 'hel-app-01'));
  const copyScratch = mkdtempSync(join(tmpdir(), 'hafen-restore-copy-'));
  try {
    await copy.restore('latest', copyScratch);
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
