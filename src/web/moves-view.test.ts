import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { MoveRecord } from '../client/move-types.js';
import { calendar, consentByCustomer, progress } from './moves-view.js';

const m = (id: string, customer: string, state: MoveRecord['state'], wave: string, start: string, extra: Partial<MoveRecord> = {}): MoveRecord =>
  ({ id, app: id, customer, state, revision: 1, move: { wave, start, end: start, strategy: 'cutover', bytes: 1000, from: 'nue', to: 'hel' }, consent: { needed: true, proposedAt: '', reminders: [], answerBy: '' }, createdAt: '', updatedAt: '', ...extra }) as unknown as MoveRecord;

test('calendar: by wave, soonest first, without cancelled, expired or declined moves', () => {
  const days = calendar([m('b', 'x', 'accepted', '2026-12-02', '2026-12-02T23:00:00Z'), m('a', 'x', 'proposed', '2026-12-01', '2026-12-01T23:30:00Z'), m('c', 'y', 'proposed', '2026-12-01', '2026-12-01T22:00:00Z'), m('d', 'y', 'declined', '2026-12-01', '2026-12-01T22:00:00Z')]);
  assert.deepEqual(days.map((d) => [d.day, d.moves.map((x) => x.id)]), [['2026-12-01', ['c', 'a']], ['2026-12-02', ['b']]]);
});

test('consent per customer: waiting first; running and done count as accepted', () => {
  const rows = consentByCustomer([m('a', 'x', 'running', 'w', 's'), m('b', 'x', 'done', 'w', 's'), m('c', 'y', 'proposed', 'w', 's'), m('d', 'y', 'declined', 'w', 's'), m('e', 'y', 'expired', 'w', 's')]);
  assert.deepEqual(rows, [{ customer: 'y', waiting: 1, accepted: 0, declined: 1, other: 1 }, { customer: 'x', waiting: 0, accepted: 2, declined: 0, other: 0 }]);
});

test('progress of a cutover: bytes copied over all rounds of the planned; paused says so', () => {
  const run = { phase: 'copying', step: 0, phaseSince: '', startedAt: '', paused: true, copies: [{ round: 1, bytes: 800, seconds: 1, at: '' }, { round: 2, bytes: 50, seconds: 1, at: '' }] };
  assert.deepEqual(progress(m('a', 'x', 'running', 'w', 's', { run } as Partial<MoveRecord>)), { phase: 'copying (paused)', copied: 850, planned: 1000 });
  assert.deepEqual(progress(m('a', 'x', 'proposed', 'w', 's')), { phase: 'proposed' });
});
