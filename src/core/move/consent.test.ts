import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { answer, cancel, DECISIONS, mayRun, newRecord, step, type MoveRecord } from './consent.js';
import { moveMessage } from './messages.js';
import type { ScheduledMove } from './waves.js';

const move = (over: Partial<ScheduledMove> = {}): ScheduledMove => ({
  id: 'shop:nue>hel', app: 'shop', customer: 'huber', from: 'nue', to: 'hel', replicas: [{ replica: 1, host: 'nue-1' }], strategy: 'cutover',
  bytes: 0, changePerDay: 0, downtimeSeconds: 240, switchSeconds: 300, consent: 'required', warnings: [], targets: [{ replica: 1, from: 'nue-1', to: 'hel-2' }],
  start: '2026-12-03T21:00:00.000Z', end: '2026-12-03T21:05:00.000Z', wave: '2026-12-03', after: { group: 'site:hel', share: 0.4 }, ...over,
});
const NOW = new Date('2026-12-01T09:00:00Z');
const DAY = 86_400_000;

test('a proposal waits for an answer, is reminded daily, expires two hours before its start, and never runs unanswered', () => {
  const { record, event } = newRecord('mig_1', move(), 7, NOW);
  assert.equal(record.state, 'proposed');
  assert.equal(record.consent.answerBy, '2026-12-03T19:00:00.000Z');
  assert.equal(event.kind, 'proposed');
  assert.equal(step(record, new Date(NOW.getTime() + DAY - 1), DAY), undefined, 'no reminder before a day has passed');
  const r1 = step(record, new Date(NOW.getTime() + DAY), DAY)!;
  assert.equal(r1.notify, 'reminder');
  assert.deepEqual(r1.record.consent.reminders, ['2026-12-02T09:00:00.000Z']);
  assert.equal(step(r1.record, new Date(NOW.getTime() + DAY + 3_600_000), DAY), undefined, 'the next one a day after the last');
  const expired = step(r1.record, new Date('2026-12-03T19:00:00Z'), DAY)!;
  assert.equal(expired.notify, 'expired');
  assert.equal(expired.record.state, 'expired');
  assert.equal(mayRun(expired.record, new Date('2026-12-03T21:00:00Z')), false);
  assert.match((answer(expired.record, { decision: 'accept', by: 'Anna', at: '2026-12-03T20:00:00Z', via: 'link' }) as { error: string }).error, /is expired: there is nothing to answer/);
});

test('accepted runs at its time and not before; declined or another window never runs; an accepted move can be declined until it starts', () => {
  const { record } = newRecord('mig_1', move(), 7, NOW);
  const ok = answer(record, { decision: 'accept', by: 'Anna Huber', at: '2026-12-01T10:00:00Z', via: 'link', note: 'fine' });
  assert.ok('record' in ok);
  assert.equal(ok.record.state, 'accepted');
  assert.equal(ok.event.detail, 'Anna Huber accepted (link): fine');
  assert.equal(mayRun(ok.record, new Date('2026-12-03T20:59:59Z')), false);
  assert.equal(mayRun(ok.record, new Date('2026-12-03T21:00:00Z')), true);
  assert.equal(step(ok.record, new Date('2026-12-03T20:00:00Z'), DAY), undefined, 'accepted does not expire');
  const no = answer(ok.record, { decision: 'decline', by: 'Anna Huber', at: '2026-12-02T10:00:00Z', via: 'link' });
  assert.ok('record' in no && no.record.state === 'declined');
  const late = answer(ok.record, { decision: 'decline', by: 'Anna Huber', at: '2026-12-03T21:00:00Z', via: 'link' });
  assert.match((late as { error: string }).error, /has started/);
  assert.match((answer(ok.record, { decision: 'accept', by: 'x', at: '2026-12-02T10:00:00Z', via: 'link' }) as { error: string }).error, /already accepted/);
  const c = cancel(ok.record, 'ops', new Date('2026-12-02T00:00:00Z'));
  assert.ok('record' in c && c.record.state === 'cancelled' && !mayRun(c.record, new Date('2026-12-04T00:00:00Z')));
});

test('a live move of a customer who chose announce is accepted by that policy; one who did not is asked', () => {
  const live = newRecord('mig_2', move({ strategy: 'live', consent: 'announce', downtimeSeconds: 0 }), 7, NOW);
  assert.equal(live.record.state, 'accepted');
  assert.deepEqual(live.record.consent.answer, { decision: 'accept', by: 'liveMoves: announce', at: NOW.toISOString(), via: 'policy' });
  assert.equal(live.event.kind, 'announced');
  assert.equal(newRecord('mig_3', move({ strategy: 'live', consent: 'required' }), 7, NOW).record.state, 'proposed');
});

test('property: whatever happens to a proposal, it runs only with an answer that accepted it', () => {
  type Op = { kind: 'answer'; decision: (typeof DECISIONS)[number]; dt: number } | { kind: 'step'; dt: number } | { kind: 'cancel'; dt: number };
  const op: fc.Arbitrary<Op> = fc.oneof(
    fc.record({ kind: fc.constant('answer' as const), decision: fc.constantFrom(...DECISIONS), dt: fc.integer({ min: 0, max: 4 * DAY }) }),
    fc.record({ kind: fc.constant('step' as const), dt: fc.integer({ min: 0, max: 4 * DAY }) }),
    fc.record({ kind: fc.constant('cancel' as const), dt: fc.integer({ min: 0, max: 4 * DAY }) }),
  );
  fc.assert(
    fc.property(fc.boolean(), fc.array(op, { maxLength: 12 }), fc.integer({ min: 0, max: 5 * DAY }), (live, ops, probe) => {
      let r: MoveRecord = newRecord('mig_p', move(live ? { strategy: 'live', consent: 'announce' } : {}), 1, NOW).record;
      let lastAccept: boolean = !r.consent.needed;
      for (const o of ops) {
        const at = new Date(NOW.getTime() + o.dt);
        const res = o.kind === 'answer' ? answer(r, { decision: o.decision, by: 'x', at: at.toISOString(), via: 'link' }) : o.kind === 'cancel' ? cancel(r, 'ops', at) : step(r, at, DAY) ?? { error: 'nothing' };
        if ('record' in res) {
          r = res.record;
          if (o.kind === 'answer') lastAccept = o.decision === 'accept';
          if (o.kind !== 'answer' && r.state !== 'accepted' && r.state !== 'proposed') lastAccept = false;
        }
      }
      const runs = mayRun(r, new Date(NOW.getTime() + probe));
      if (runs) assert.ok(lastAccept && r.consent.answer?.decision === 'accept', JSON.stringify(r));
    }),
    { numRuns: 300 },
  );
});

test('the proposal says what, when in the customer\'s time, how long it is down, the link and the deadline', () => {
  const { record } = newRecord('mig_1', move(), 7, NOW);
  const msg = moveMessage('proposal', record, { customerName: 'Bäckerei Huber', timezone: 'Europe/Berlin', siteNames: new Map([['nue', 'Nuremberg'], ['hel', 'Helsinki']]), link: 'https://hafen.example/v1/consent/tok' });
  assert.equal(msg.title, 'Proposed maintenance: shop moves to Helsinki');
  assert.match(msg.text, /^Dear Bäckerei Huber,\n\nshop moves from Nuremberg to Helsinki on Thursday, 3 December 2026 at 22:00 CET \(2026-12-03 21:00 UTC\)\.\nIt will be unavailable for about 4 min;/);
  assert.match(msg.text, /here: https:\/\/hafen\.example\/v1\/consent\/tok\nWe need your answer by Thursday, 3 December 2026 at 20:00 CET; without it nothing happens\./);
  assert.match(msg.text, /Reference: mig_1$/);
});
