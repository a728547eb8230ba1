import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { copyBytesPerSecond, estimateCopy } from './estimate.js';

const GiB = 1024 ** 3;
const MiB = 1024 ** 2;

test('a 100 GiB volume changing 2 GiB a day over 1 Gbit/s at half use: one long round, a few small ones, a short cutover', () => {
  const bps = copyBytesPerSecond(1e9, 10e9)!;
  assert.equal(bps, 62_500_000);
  const e = estimateCopy({ bytes: 100 * GiB, changePerDay: 2 * GiB, bytesPerSecond: bps });
  assert.equal(e.converges, true);
  assert.deepEqual(e.warnings, []);
  assert.equal(Math.round(e.rounds[0]!.seconds), 1718, 'round 0: 100 GiB at 62.5 MB/s');
  // During round 0 the app changed 2 GiB/day × 1718 s ≈ 40 MiB: it fits the 60 s budget, so the pre-copy ends.
  assert.equal(e.rounds.length, 1);
  assert.ok(Math.abs(e.finalBytes - (2 * GiB * 1718) / 86_400) < MiB);
  assert.equal(e.downtimeSeconds, 61, 'well under a second of copying plus the 60 s overhead');
});

test('a fast-changing volume converges slowly and says so; one changing faster than the copy cannot converge', () => {
  const slow = estimateCopy({ bytes: 500 * GiB, changePerDay: 3000 * GiB, bytesPerSecond: 50 * MiB });
  assert.ok(slow.ratio > 0.6 && slow.ratio < 1);
  assert.equal(slow.converges, true);
  assert.ok(slow.rounds.length > 1);
  assert.ok(slow.warnings.some((w) => /converges slowly/.test(w)), slow.warnings.join('; '));
  const never = estimateCopy({ bytes: 500 * GiB, changePerDay: 5000 * GiB, bytesPerSecond: 50 * MiB });
  assert.equal(never.converges, false);
  assert.equal(never.finalBytes, 500 * GiB);
  assert.match(never.warnings[0]!, /never catches up; only a stop-and-copy moves it \(2\.8 h down\)/);
  const capped = estimateCopy({ bytes: 500 * GiB, changePerDay: 4000 * GiB, bytesPerSecond: 50 * MiB, maxRounds: 3 });
  assert.ok(capped.warnings.some((w) => /after 3 pre-copy rounds the last delta/.test(w)));
});

test('estimates: rounds shrink by the change ratio, the downtime never exceeds a stop-and-copy, nothing is negative', () => {
  fc.assert(
    fc.property(fc.integer({ min: 0, max: 2 ** 44 }), fc.integer({ min: 0, max: 2 ** 42 }), fc.integer({ min: 1, max: 2 ** 31 }), (bytes, changePerDay, bytesPerSecond) => {
      const e = estimateCopy({ bytes, changePerDay, bytesPerSecond });
      const stopAndCopy = Math.ceil(bytes / bytesPerSecond + 60);
      assert.ok(e.downtimeSeconds <= stopAndCopy + 1, `${e.downtimeSeconds} > ${stopAndCopy}`);
      assert.ok(e.finalBytes >= 0 && e.preCopySeconds >= 0);
      for (let i = 1; i < e.rounds.length; i++) assert.ok(e.rounds[i]!.bytes <= e.rounds[i - 1]!.bytes + 1, 'each round copies less');
      assert.equal(e.converges, e.ratio < 1);
    }),
  );
});
