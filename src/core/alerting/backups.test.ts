import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Cron } from 'croner';
import fc from 'fast-check';
import { deriveAlerts } from './alerts.js';
import { backupAlerts, backupDeadline, backupSpaceAlerts, scheduleInterval, spaceLevel, type BackupState } from './backups.js';

const NOW = new Date('2026-11-27T12:00:00.000Z');

function state(extra: Partial<BackupState> = {}): BackupState {
  return {
    app: 'shop',
    customer: 'huber',
    critical: false,
    host: 'nue-app-01',
    schedule: '15 2 * * *',
    repositorySite: 'vie',
    lastRun: { startedAt: '2026-11-27T02:15:00.000Z', ok: true },
    lastSuccess: { startedAt: '2026-11-27T02:15:00.000Z', finishedAt: '2026-11-27T02:20:00.000Z' },
    failingSince: null,
    expectedSince: '2026-11-01T00:00:00.000Z',
    ...extra,
  };
}

test('schedule intervals: daily, every 2 s, weekdays only (the longest gap counts)', () => {
  assert.equal(scheduleInterval('15 2 * * *', NOW), 86_400_000);
  assert.equal(scheduleInterval('*/2 * * * * *', NOW), 2000);
  assert.equal(scheduleInterval('0 3 * * 1-5', NOW), 3 * 86_400_000);
});

test('the dead man: due at the next scheduled time after the last success plus an hour (or twice a long run)', () => {
  assert.equal(backupDeadline(state())?.toISOString(), '2026-11-28T03:15:00.000Z');
  // A run that takes 3 h gets 6 h of grace.
  const long = state({ lastSuccess: { startedAt: '2026-11-27T02:15:00.000Z', finishedAt: '2026-11-27T05:15:00.000Z' } });
  assert.equal(backupDeadline(long)?.toISOString(), '2026-11-28T08:15:00.000Z');
  // Never succeeded: counted from when the job was configured.
  assert.equal(backupDeadline(state({ lastRun: null, lastSuccess: null, expectedSince: '2026-11-27T10:00:00.000Z' }))?.toISOString(), '2026-11-28T03:15:00.000Z');
  // Sub-minute schedules still get 30 s.
  assert.equal(backupDeadline(state({ schedule: '*/2 * * * * *', lastSuccess: { startedAt: '2026-11-27T12:00:00.000Z', finishedAt: '2026-11-27T12:00:01.000Z' } }))?.toISOString(), '2026-11-27T12:00:32.000Z');
});

test('backup alerts: a failed run, an overdue success, a job that cannot run; grouped by the repository site', () => {
  const failed = state({ lastRun: { startedAt: '2026-11-27T02:15:00.000Z', ok: false, error: { kind: 'unreachable', message: 'restic backup on sftp:…: the backup host cannot be reached' } }, lastSuccess: { startedAt: '2026-11-26T02:15:00.000Z', finishedAt: '2026-11-26T02:20:00.000Z' }, failingSince: '2026-11-27T02:15:00.000Z' });
  assert.deepEqual(backupAlerts([state()], NOW), [], 'a backup that ran last night: nothing');
  const [f] = backupAlerts([failed], NOW);
  assert.equal(f!.key, 'backup-failed:shop');
  assert.equal(f!.severity, 'warning');
  assert.equal(f!.group, 'backup:vie');
  assert.equal(f!.since, '2026-11-27T02:15:00.000Z');
  assert.match(f!.summary, /^backup of shop on nue-app-01 failed \(unreachable: restic backup on sftp/);
  assert.deepEqual(f!.labels, { customer: 'huber', app: 'shop', site: 'vie', host: 'nue-app-01' });
  // Two days without a run: overdue too, critical for a critical app.
  const later = new Date('2026-11-28T12:00:00.000Z');
  const overdue = backupAlerts([failed, state({ app: 'grid', customer: 'stadtwerke', critical: true })], later);
  assert.deepEqual(overdue.map((a) => [a.key, a.severity]), [['backup-failed:shop', 'warning'], ['backup-overdue:shop', 'warning'], ['backup-overdue:grid', 'critical']]);
  assert.match(overdue[1]!.summary, /^no successful backup of shop since 2026-11-26T02:15:00.000Z: one was due by 2026-11-27T03:15:00.000Z/);
  const setup = backupAlerts([state({ host: null, problem: 'site "vie" has no host with role backup', lastRun: null, lastSuccess: null })], later);
  assert.deepEqual(setup.map((a) => [a.key, a.summary]), [['backup-setup:shop', 'backups of shop cannot run: site "vie" has no host with role backup']]);
});

test('a failed restore drill or check alerts until a newer one passes', () => {
  const failedDrill = { state: 'failed', startedAt: '2026-11-27T04:00:00.000Z', error: { kind: 'failed', message: "the drill's verification \"sqlite3 app.db PRAGMA integrity_check\" exited 1: database disk image is malformed" } };
  const alerts = backupAlerts([state({ lastDrill: failedDrill, lastCheck: { state: 'done', startedAt: '2026-11-27T05:00:00.000Z' } })], NOW);
  assert.deepEqual(alerts.map((a) => [a.key, a.severity, a.since]), [['backup-drill:shop', 'warning', '2026-11-27T04:00:00.000Z']]);
  assert.match(alerts[0]!.summary, /^the restore drill of shop failed \(failed: the drill's verification .* exited 1: database disk image is malformed\)$/);
  const check = backupAlerts([state({ lastCheck: { state: 'failed', startedAt: '2026-11-27T05:00:00.000Z', error: { kind: 'failed', message: 'Pack ID does not match' } } })], NOW);
  assert.deepEqual(check.map((a) => [a.key, a.summary]), [['backup-check:shop', 'restic check of the repository of shop failed (failed: Pack ID does not match)']]);
});

test('a silent host or a lost repository site explains its backup alerts', () => {
  const failed = backupAlerts([state({ lastRun: { startedAt: '2026-11-27T02:15:00.000Z', ok: false }, failingSince: '2026-11-27T02:15:00.000Z' })], NOW);
  const hostDown = deriveAlerts([], [], [], NOW, [{ host: 'nue-app-01', site: 'nue', state: 'down', lastReport: '2026-11-27T01:00:00.000Z' }], failed);
  assert.equal(hostDown.find((a) => a.key === 'backup-failed:shop')?.inhibitedBy, 'host:nue-app-01');
  const siteLost = deriveAlerts([], [{ site: 'vie', state: 'lost', seenBy: ['nue', 'hel'], probesAt: NOW.toISOString(), probers: 'silent' }], [], NOW, [], failed);
  assert.equal(siteLost.find((a) => a.key === 'backup-failed:shop')?.inhibitedBy, 'site:vie');
  assert.equal(deriveAlerts([], [], [], NOW, [], failed)[0]?.inhibitedBy, undefined);
});

test('property: a backup that succeeded at its last scheduled time is not overdue before its next run plus the grace', () => {
  const schedules = ['15 2 * * *', '0 */6 * * *', '*/10 * * * *', '0 3 * * 1-5', '*/2 * * * * *'];
  fc.assert(
    fc.property(fc.constantFrom(...schedules), fc.date({ min: new Date('2026-01-01T00:00:00Z'), max: new Date('2027-12-31T00:00:00Z'), noInvalidDate: true }), fc.double({ min: 0, max: 0.999, noNaN: true }), fc.double({ min: 0, max: 0.1, noNaN: true }), (schedule, start, frac, took) => {
      const cron = new Cron(schedule, { timezone: 'UTC', paused: true });
      const at = cron.nextRun(start)!;
      const next = cron.nextRun(at)!;
      const interval = scheduleInterval(schedule, at)!;
      const s = state({ schedule, lastSuccess: { startedAt: at.toISOString(), finishedAt: new Date(at.getTime() + took * interval).toISOString() } });
      const now = new Date(at.getTime() + frac * (next.getTime() - at.getTime() + Math.min(interval, 3_600_000)));
      return backupAlerts([s], now).length === 0 && backupAlerts([s], new Date(next.getTime() + 2 * interval + 3_600_000)).length === 1;
    }),
  );
});

test('backup-space: a repository disk 85% full warns, 95% is critical, an unreadable one warns; a silent backup host explains it', () => {
  const GiB = 1024 ** 3;
  const disk = (free: number, extra = {}) => ({ host: 'vie-backup-01', site: 'vie', path: '/srv/restic', total: 100 * GiB, free: free * GiB, since: '2026-11-27T11:00:00.000Z', ...extra });
  assert.deepEqual(backupSpaceAlerts([disk(16)]), []);
  const [warn] = backupSpaceAlerts([disk(15)]);
  assert.deepEqual([warn?.key, warn?.severity, warn?.group, warn?.since], ['backup-space:vie-backup-01', 'warning', 'backup:vie', '2026-11-27T11:00:00.000Z']);
  assert.equal(warn?.summary, 'the repositories on vie-backup-01 (/srv/restic) are 85% full: 15 GiB of 100 GiB free; backups there fail when it is full');
  assert.equal(backupSpaceAlerts([disk(5)])[0]?.severity, 'critical');
  assert.match(backupSpaceAlerts([{ host: 'vie-backup-01', site: 'vie', path: '/srv/restic', error: 'ENOENT', since: '2026-11-27T11:00:00.000Z' }])[0]!.summary, /cannot be read: ENOENT/);
  const muted = deriveAlerts([], [], [], NOW, [{ host: 'vie-backup-01', site: 'vie', state: 'down', lastReport: '2026-11-27T11:00:00.000Z' }], backupSpaceAlerts([disk(1)]));
  assert.equal(muted.find((a) => a.key === 'backup-space:vie-backup-01')?.inhibitedBy, 'host:vie-backup-01');
});

test('spaceLevel: monotone in the share used', () => {
  const order = { ok: 0, warning: 1, critical: 2, unknown: -1 } as const;
  fc.assert(
    fc.property(fc.integer({ min: 1, max: 1e12 }), fc.double({ min: 0, max: 1, noNaN: true }), fc.double({ min: 0, max: 1, noNaN: true }), (total, a, b) => {
      const [lo, hi] = a <= b ? [a, b] : [b, a];
      // More free space is never a worse level.
      return order[spaceLevel({ total, free: hi * total })] <= order[spaceLevel({ total, free: lo * total })];
    }),
  );
});
