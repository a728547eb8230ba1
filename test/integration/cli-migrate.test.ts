/** `hafen migrate plan` on the reference fleet and the three-site example: waves, calendars, and what cannot be planned. */
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import type { WavePlan } from '../../src/core/move/waves.js';
import { EXAMPLES, assertNoStackTrace, hafenAsync } from '../helpers/paths.js';

const FLEET = join(EXAMPLES, 'frachtwerk');
const START = '2026-11-30T12:00:00Z';

test('migrate plan --share: 15 % of the customers to Nuremberg in waves of at most 5 cutover customers, a calendar each', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'hafen-migrate-'));
  try {
    const res = await hafenAsync(['migrate', 'plan', '--share', '15%', '--to', 'nue', '--fleet', FLEET, '--start', START, '--format', 'json', '--ics', join(dir, 'ics')]);
    assert.equal(res.status, 0, res.stderr);
    const plan = JSON.parse(res.stdout) as WavePlan & { problems: unknown[] };
    assert.deepEqual([plan.unscheduled, plan.problems], [[], []]);
    assert.ok(plan.scheduled.length >= 20, String(plan.scheduled.length));
    assert.ok(plan.scheduled.some((m) => m.strategy === 'live') && plan.scheduled.some((m) => m.strategy === 'cutover'));
    assert.ok(plan.waves.every((w) => w.customers.length <= 5), JSON.stringify(plan.waves.map((w) => w.customers.length)));
    assert.ok(plan.risk.after.share <= 0.5, JSON.stringify(plan.risk));
    const customers = new Set(plan.scheduled.map((m) => m.customer));
    const files = readdirSync(join(dir, 'ics')).sort();
    assert.deepEqual(files, [...customers].map((c) => `${c}.ics`).sort());
    const one = plan.scheduled.find((m) => m.strategy === 'cutover')!;
    const ics = readFileSync(join(dir, 'ics', `${one.customer}.ics`), 'utf8').replace(/\r\n /g, '');
    assert.match(ics, new RegExp(`UID:${one.id}@hafen`));
    assert.match(ics, new RegExp(`DTSTART:${one.start.replace(/[-:]/g, '').slice(0, 15)}Z`));
    assert.match(res.stderr, new RegExp(`^wrote \\S+${one.customer}\\.ics \\(\\d+ moves?\\)$`, 'm'));

    const text = await hafenAsync(['migrate', 'plan', '--share', '15%', '--to', 'nue', '--fleet', FLEET, '--start', START]);
    assert.equal(text.status, 0, text.stderr);
    assert.match(text.stdout, new RegExp(`^migration plan: ${plan.scheduled.length} of ${plan.scheduled.length} moves planned, 2026-11-30 12:00 UTC to 2026-12-28 12:00 UTC; at most 5 customers with a cutover per wave$`, 'm'));
    assert.match(text.stdout, /^blast radius: worst single failure \S+ [\d.]+% before, \S+ [\d.]+% after \(policy 50\.0%\); checked after every move$/m);
    assert.match(text.stdout, /^wave 2026-11-30 \(\d customers? with a cutover, \d+ moves?\):$/m);
    assert.match(text.stdout, /^ {2}\d\d:\d\d–\d\d:\d\d UTC \(\w{3} \d\d \w{3} \d\d:\d\d Europe\/\w+\) +\S+ \(\S+\) +(vie|hel) → nue +cutover, ~\d+ (s|min) down/m);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('migrate plan of named apps: what cannot move says why, with exit 1', async () => {
  const res = await hafenAsync(['migrate', 'plan', 'huber-shop', 'verlag-blog', 'stadtwerke-portal', 'nope', '--to', 'hel', '--fleet', join(EXAMPLES, 'three-sites.yaml'), '--start', START]);
  assert.equal(res.status, 1);
  assert.match(res.stdout, /^ {2}verlag-blog: verlag-blog already runs only at hel$/m);
  assert.match(res.stdout, /^ {2}stadtwerke-portal: stadtwerke-portal runs at nue and vie: say which site it leaves with --from$/m);
  assert.match(res.stdout, /^ {2}nope: no app "nope" in the fleet$/m);
  assert.match(res.stdout, /^ {2}huber-shop \(vie → hel\): every host at hel shares a site with a replica of huber-shop that stays \(it spreads over sites\)$/m);
});

test('migrate plan refuses bad input clearly: exit 1 for what the fleet does not have, 2 for a malformed option', async () => {
  const cases: [string[], RegExp][] = [
    [['migrate', 'plan', 'x', '--to', 'hell', '--fleet', FLEET], /--to hell: no such site in the fleet \(did you mean "hel"\?\); sites are hel, nue, vie/],
    [['migrate', 'plan', '--to', 'hel', '--fleet', FLEET], /name the apps to move, or --share PERCENT of the customers/],
    [['migrate', 'plan', 'x', '--to', 'hel'], /needs the fleet to plan on: --fleet FILE/],
    [['migrate', 'plan', '--share', '150%', '--to', 'hel', '--fleet', FLEET], /--share must be a percentage of the customers above 0 and at most 100, like "30%", not "150%"/],
    [['migrate', 'plan', 'x', '--to', 'hel', '--fleet', FLEET, '--start', 'tomorrow'], /--start must be a date and time like "2026-12-01T12:00Z", not "tomorrow"/],
    [['migrate', 'plan', 'x', '--to', 'hel', '--fleet', FLEET, '--days', '0'], /--days must be a whole number of days from 1 to 366, not "0"/],
  ];
  for (const [args, message] of cases) {
    const res = await hafenAsync(args);
    const malformed = args.some((a) => ['--share', '--start', '--days'].includes(a));
    assert.equal(res.status, malformed ? 2 : 1, `${args.join(' ')}: ${res.stderr}`);
    assert.match(res.stderr, message);
    assertNoStackTrace(res.stderr);
  }
});
