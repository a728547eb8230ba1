/**
 * hafen's keep policy (src/core/retention) against restic itself: snapshot histories made by
 * Debian's restic with chosen times and time zones (several a day, gaps, month and year ends,
 * an ISO week 53, a leap day, snapshots in the future), then `restic forget --dry-run --json`
 * with several policies; hafen must keep exactly what restic keeps, for restic's reasons.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import fc from 'fast-check';
import { applyKeepPolicy, keepFlags, type KeepPolicy } from '../../src/core/retention/policy.js';
import { need, works } from '../helpers/system.js';

/** Etc/GMT-1 is UTC+01:00 (the sign is POSIX's); none of these has daylight saving time. */
const ZONES = ['UTC', 'Etc/GMT-1', 'Etc/GMT-2', 'Etc/GMT+5', 'Etc/GMT-14', 'Etc/GMT+12'];

interface Shot {
  host: string;
  /** Wall clock in `zone`, as restic backup --time takes it. */
  wall: string;
  zone: string;
}

function restic(args: string[], env: NodeJS.ProcessEnv, input = ''): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn('restic', args, { env: { ...process.env, ...env } });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve(out) : reject(new Error(`restic ${args.join(' ')}: exit ${code}: ${err}`))));
    child.stdin.end(input);
  });
}

const pad = (n: number) => String(n).padStart(2, '0');
const wallOf = (ms: number) => {
  const d = new Date(ms);
  return `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())} ${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}`;
};

/** Generated histories: clusters of snapshots around random days over 26 months, random zones. */
function generated(): Shot[] {
  const day = 86_400_000;
  const start = Date.parse('2024-10-01T00:00:00Z');
  const history = fc.array(
    fc.record({ day: fc.integer({ min: 0, max: 790 }), times: fc.array(fc.integer({ min: 0, max: day / 1000 - 1 }), { minLength: 1, maxLength: 4 }), zone: fc.constantFrom(...ZONES) }),
    { minLength: 6, maxLength: 10 },
  );
  const shots: Shot[] = [];
  fc.sample(history, { seed: 20261126, numRuns: 3 }).forEach((clusters, h) => {
    const seen = new Set<string>();
    for (const c of clusters) {
      for (const t of c.times) {
        const wall = wallOf(start + c.day * day + t * 1000);
        if (!seen.has(wall)) shots.push({ host: `gen-${h}`, wall, zone: c.zone });
        seen.add(wall);
      }
    }
  });
  return shots;
}

/** Hand-picked edges: day and year ends in different zones, ISO week 53, a leap day, the future. */
const EDGES: Shot[] = [
  ['2026-12-31 23:59:59', 'Etc/GMT-1'], ['2027-01-01 00:00:01', 'Etc/GMT-1'], ['2026-12-31 23:30:00', 'Etc/GMT+12'],
  ['2027-01-03 12:00:00', 'UTC'], ['2026-12-28 00:00:00', 'UTC'], ['2026-11-30 23:59:00', 'Etc/GMT-14'], ['2026-12-01 00:01:00', 'Etc/GMT+5'],
  ['2026-03-31 12:00:00', 'UTC'], ['2026-03-03 12:00:01', 'UTC'], ['2026-03-03 11:59:59', 'UTC'], ['2024-02-29 12:00:00', 'Etc/GMT-2'],
  ['2026-11-20 10:00:00', 'UTC'], ['2026-11-20 10:00:01', 'UTC'], ['2026-11-20 09:00:00', 'Etc/GMT-2'], ['2025-11-25 12:00:00', 'UTC'],
].map(([wall, zone]) => ({ host: 'edges', wall: wall!, zone: zone! }));

const POLICIES: KeepPolicy[] = [
  { last: 3, daily: 7, weekly: 5, monthly: 12, yearly: 3 },
  { within: '10d', monthly: 6 },
  { withinDaily: '1m', withinWeekly: '3m', withinMonthly: '1y', hourly: 5 },
  { within: '1y1m2d3h', withinYearly: '5y', last: 1 },
  { daily: 2, weekly: 1, withinHourly: '36h' },
];

interface ResticSnapshot {
  id: string;
  time: string;
  hostname: string;
}

test('the keep policy agrees with restic forget --dry-run on generated and edge-case histories', { timeout: 600_000 }, async (t) => {
  if (!need(t, works('restic', ['version']), 'restic is not installed')) return;
  const dir = mkdtempSync(join(tmpdir(), 'hafen-retention-'));
  const env = { RESTIC_REPOSITORY: join(dir, 'repo'), RESTIC_PASSWORD: 'retention-test', RESTIC_CACHE_DIR: join(dir, 'cache'), TZ: 'UTC' };
  try {
    await restic(['init', '--quiet'], env);
    const shots = [...EDGES, ...generated()];
    // Three at a time: restic takes shared locks for backups.
    let next = 0;
    await Promise.all(
      Array.from({ length: 3 }, async () => {
        while (next < shots.length) {
          const s = shots[next++]!;
          await restic(['backup', '--quiet', '--stdin', '--stdin-filename', 'data', '--host', s.host, '--time', s.wall], { ...env, TZ: s.zone }, s.wall);
        }
      }),
    );
    const snapshots = JSON.parse(await restic(['snapshots', '--json'], env)) as ResticSnapshot[];
    assert.equal(snapshots.length, shots.length, 'every backup made a snapshot');
    const hosts = [...new Set(snapshots.map((s) => s.hostname))];
    let compared = 0;
    for (const policy of POLICIES) {
      const flags = keepFlags(policy);
      const groups = JSON.parse(await restic(['forget', '--dry-run', '--json', ...flags], env)) as { host: string; keep: ResticSnapshot[] | null; remove: ResticSnapshot[] | null; reasons: { snapshot: { time: string }; matches: string[] }[] | null }[];
      const now = new Date();
      for (const host of hosts) {
        const group = groups.find((g) => g.host === host);
        assert.ok(group, `restic has a group for ${host}`);
        const ours = applyKeepPolicy(snapshots.filter((s) => s.hostname === host).map((s) => ({ id: s.id, time: s.time })), policy, { now });
        const what = `${host} with ${flags.join(' ')}`;
        assert.deepEqual(ours.filter((d) => d.keep).map((d) => d.id).sort(), (group.keep ?? []).map((s) => s.id).sort(), `kept: ${what}`);
        assert.deepEqual(ours.filter((d) => !d.keep).map((d) => d.id).sort(), (group.remove ?? []).map((s) => s.id).sort(), `removed: ${what}`);
        const reasons = new Map((group.reasons ?? []).map((r) => [r.snapshot.time, r.matches]));
        for (const d of ours.filter((x) => x.keep)) assert.deepEqual(d.reasons, reasons.get(d.time), `reasons for ${d.time}: ${what}`);
        compared += ours.length;
      }
    }
    t.diagnostic(`${snapshots.length} snapshots in ${hosts.length} histories, ${POLICIES.length} policies: ${compared} decisions agree with restic`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
