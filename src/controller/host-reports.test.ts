import assert from 'node:assert/strict';
import { test } from 'node:test';
import { HostReports } from './host-reports.js';
import { SqliteStore } from './store/sqlite.js';
import type { HostStatus } from './store/store.js';

const report = (host: string, appliedHash: string, at: string): HostStatus => ({ host, status: { units: [], appliedHash }, reportedAt: at });
const appliedAt = (s: HostStatus | undefined) => (s?.status as { appliedAt?: string }).appliedAt;

test('appliedAt is when a hash was first reported; heartbeats with the same hash keep it', async () => {
  const store = new SqliteStore(':memory:');
  const reports = new HostReports(store, 60_000);
  reports.record(report('h1', 'a', '2026-11-26T10:00:00.000Z'));
  reports.record(report('h1', 'a', '2026-11-26T10:00:05.000Z'));
  let [h1] = await reports.all();
  assert.equal(h1?.reportedAt, '2026-11-26T10:00:05.000Z');
  assert.equal(appliedAt(h1), '2026-11-26T10:00:00.000Z');
  reports.record(report('h1', 'b', '2026-11-26T10:00:07.000Z'));
  [h1] = await reports.all();
  assert.equal(appliedAt(h1), '2026-11-26T10:00:07.000Z');
  await store.close();
});

test('reports reach the store in one batch on flush, and a controller restart finds them', async () => {
  const store = new SqliteStore(':memory:');
  const reports = new HostReports(store, 60_000);
  reports.record(report('h2', 'x', '2026-11-26T10:00:00.000Z'));
  reports.record(report('h1', 'y', '2026-11-26T10:00:01.000Z'));
  assert.deepEqual(await store.hostStatuses(), [], 'nothing written before the flush');
  await reports.flush();
  assert.deepEqual((await store.hostStatuses()).map((s) => [s.host, appliedAt(s)]), [['h1', '2026-11-26T10:00:01.000Z'], ['h2', '2026-11-26T10:00:00.000Z']]);
  const again = new HostReports(store, 60_000);
  assert.deepEqual((await again.all()).map((s) => s.host), ['h1', 'h2']);
  // What the store held may be older than what the agents last said: not acted on until they report again (or the grace is over).
  assert.equal(again.settled(['h1', 'h2']), false);
  again.record(report('h1', 'y', '2026-11-26T10:00:06.000Z'));
  assert.equal(again.settled(['h1']), true);
  assert.equal(again.settled(['h1', 'h2']), false);
  assert.equal(again.settled(['h1', 'h2'], 0), true, 'after the grace, as they are');
  await store.close();
});

test('a failed flush keeps the reports for the next one', async () => {
  const store = new SqliteStore(':memory:');
  let fail = true;
  const flaky = Object.assign(Object.create(store) as SqliteStore, {
    putHostStatuses: async (s: readonly HostStatus[]) => {
      if (fail) throw new Error('disk full');
      return store.putHostStatuses(s);
    },
  });
  const reports = new HostReports(flaky, 60_000);
  reports.record(report('h1', 'x', '2026-11-26T10:00:00.000Z'));
  await assert.rejects(reports.flush(), /disk full/);
  fail = false;
  await reports.flush();
  assert.deepEqual((await store.hostStatuses()).map((s) => s.host), ['h1']);
  await store.close();
});
