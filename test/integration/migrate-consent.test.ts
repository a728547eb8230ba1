/**
 * Moves proposed through the controller and the customer's consent, with a real SMTP server:
 * the three-site fleet (a customer share of 0.7 allowed, so both moves fit), huber (maintenance windows, asked) and verlag (its blog can move live,
 * and it chose to be told rather than asked). `hafen migrate propose` plans on what the
 * controller runs; huber gets a proposal with its link, verlag an announcement; the link's page
 * answers; every step is an event; a second plan waits while moves are open; an unanswered
 * proposal is reminded and expires (the controller's clock moved forward), so it never runs.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { HafenClient, type MoveProposal, type MoveRecord } from '../../src/client/client.js';
import { startController } from '../../src/controller/main.js';
import { EXAMPLES, assertNoStackTrace, hafenAsync } from '../helpers/paths.js';
import { startSmtp, type Mail, type SmtpReceiver } from '../helpers/receivers.js';
import { until } from '../helpers/wait.js';

const dir = mkdtempSync(join(tmpdir(), 'hafen-migrate-consent-'));
let smtp: SmtpReceiver;
let controller: Awaited<ReturnType<typeof startController>>;
let admin: HafenClient;
let env: NodeJS.ProcessEnv;
/** Added to the real time: the controller's clock. */
let ahead = 0;

before(async () => {
  smtp = await startSmtp();
  controller = await startController({ data: join(dir, 'controller'), listen: '127.0.0.1:0', clock: () => new Date(Date.now() + ahead) });
  const token = readFileSync(controller.adminTokenFile!, 'utf8').trim();
  admin = new HafenClient(controller.url, token);
  env = { ...process.env, HAFEN_CONTROLLER: controller.url, HAFEN_TOKEN: token };
  const text = readFileSync(join(EXAMPLES, 'three-sites.yaml'), 'utf8')
    .replace('    contacts: [{ name: Jens Nord, email: jens@verlag.example }]\n', '    contacts: [{ name: Jens Nord, email: jens@verlag.example }]\n    liveMoves: announce\n')
    .replace('  - id: verlag-blog\n    customer: verlag\n', '  - id: verlag-blog\n    customer: verlag\n    migration: live\n')
    .concat(`\npolicies:\n  maxCustomerShare: 0.7\n  migrations: { maxCustomersPerWave: 2, notify: { receiver: customers-mail, publicUrl: "${controller.url}/", remindEvery: 24h } }\n`)
    .concat(`\nalerting:\n  receivers:\n    - id: customers-mail\n      email: { to: [ops@ops.example], from: "hafen <moves@ops.example>", smtp: { host: 127.0.0.1, port: ${smtp.port} } }\n`);
  assert.match(text, /liveMoves: announce\n[^]*migration: live\n/, 'the example still reads as this test expects');
  await admin.apply([{ name: 'three-sites.yaml', text }], null, 'the fleet');
});

after(async () => {
  await controller?.close();
  await smtp?.close();
  rmSync(dir, { recursive: true, force: true });
});

const DAY = 86_400_000;

/**
 * A Tuesday at 12:00 UTC at least `days` days after the clock's now. Dates are computed, never
 * written down: the test passes on any day (and with the clock moved ahead, docs/testing.md).
 */
function tuesdayAfter(days: number): Date {
  const d = new Date(Date.now() + days * DAY);
  d.setUTCHours(12, 0, 0, 0);
  while (d.getUTCDay() !== 2) d.setUTCDate(d.getUTCDate() + 1);
  return d;
}

/** 22:00 in Berlin on the (UTC) day of `d`, where huber's weekday window opens: 21:00 UTC in winter, 20:00 in summer. */
function berlinEvening(d: Date): Date {
  for (const utcHour of [21, 20]) {
    const at = new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate(), utcHour));
    if (new Intl.DateTimeFormat('en-GB', { timeZone: 'Europe/Berlin', hour: '2-digit', hourCycle: 'h23' }).format(at) === '22') return at;
  }
  throw new Error(`no 22:00 in Berlin on ${d.toISOString()}`);
}

const mailTo = (to: string, subject: RegExp) => until(`a mail to ${to}: ${subject}`, async () => smtp.mails.find((m) => m.to.includes(to) && subject.test(m.subject)), 15_000, 100);
/** The mail's text part, quoted-printable undone. */
const bodyOf = (m: Mail) => m.raw.replace(/=\r\n/g, '').replace(/=([0-9A-F]{2})/g, (_, h: string) => String.fromCharCode(parseInt(h, 16)));

test('propose: huber is asked with its link, verlag told of a live move; the link answers; every step recorded; one wave plan at a time', async () => {
  const start = tuesdayAfter(7);
  const window = berlinEvening(start);
  const day = window.toISOString().slice(0, 10);
  const res = await hafenAsync(['migrate', 'propose', 'huber-shop', 'verlag-blog', '--to', 'nue', '--from', 'hel', '--start', start.toISOString(), '--format', 'json'], { env });
  assert.equal(res.status, 0, res.stderr + res.stdout);
  const proposal = JSON.parse(res.stdout) as MoveProposal;
  const byApp = (app: string) => proposal.migrations.find((m) => m.app === app)!;
  assert.deepEqual([byApp('huber-shop').state, byApp('verlag-blog').state], ['proposed', 'accepted']);
  assert.equal(byApp('huber-shop').move.start, window.toISOString(), '22:00 in Berlin, huber\'s window');
  assert.equal(byApp('verlag-blog').consent.answer?.via, 'policy');
  assert.deepEqual(proposal.warnings, []);

  const asked = await mailTo('anna@huber.example', /^Proposed maintenance: huber-shop moves to Nuremberg$/);
  const link = new RegExp(`${controller.url}/v1/consent/(hfc_[A-Za-z0-9_-]+)`).exec(bodyOf(asked))?.[1];
  assert.ok(link, bodyOf(asked));
  const local = new Intl.DateTimeFormat('en-GB', { timeZone: 'Europe/Berlin', day: 'numeric', month: 'long', year: 'numeric' }).format(window);
  const zone = window.getUTCHours() === 21 ? 'CET' : 'CEST';
  assert.ok(
    bodyOf(asked).includes(`huber-shop moves from Helsinki to Nuremberg on Tuesday, ${local} at 22:00 ${zone} (${day} ${window.toISOString().slice(11, 16)} UTC)`),
    bodyOf(asked),
  );
  assert.ok(!asked.to.includes('ops@ops.example'), 'the customer, not the receiver\'s own list');
  await mailTo('jens@verlag.example', /^Announcement: verlag-blog moves to Nuremberg without downtime$/);

  // One wave plan at a time.
  const again = await hafenAsync(['migrate', 'propose', 'huber-shop', '--to', 'vie', '--from', 'hel'], { env });
  assert.equal(again.status, 1);
  assert.match(again.stderr, /2 moves are still open: proposed, accepted or running \(mig_[0-9a-f]{16}, mig_[0-9a-f]{16}\): one wave plan at a time/);
  assertNoStackTrace(again.stderr);

  // The customer's page: the move in plain words, no hosts; then the answer.
  const page = await fetch(`${controller.url}/v1/consent/${link}`, { headers: { accept: 'text/html' } });
  const html = await page.text();
  assert.equal(page.status, 200);
  assert.match(html, /<h1>Moving huber-shop to Nuremberg<\/h1>/);
  assert.match(html, /<button type="submit" name="decision" value="accept">I agree<\/button>/);
  assert.ok(!html.includes('hel-app-01') && !html.includes('nue-app-01'), 'no hosts on the customer\'s page');
  const form = await fetch(`${controller.url}/v1/consent/${link}`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'text/html' }, body: 'decision=accept&by=Anna+Huber&note=Nachts+passt' });
  assert.equal(form.status, 200);
  assert.match(await form.text(), /Anna Huber agreed on/);
  await mailTo('anna@huber.example', /^Recorded: your answer on moving huber-shop$/);
  const twice = await fetch(`${controller.url}/v1/consent/${link}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ decision: 'accept' }) });
  assert.equal(twice.status, 409);
  assert.equal((await fetch(`${controller.url}/v1/consent/hfc_nottherightoneatallnotatall`)).status, 404);

  const status = await hafenAsync(['migrate', 'status', byApp('huber-shop').id], { env });
  assert.equal(status.status, 0, status.stderr);
  const hhmm = window.toISOString().slice(11, 16);
  const hh = hhmm.slice(0, 2);
  assert.match(status.stdout, new RegExp(`^mig_[0-9a-f]{16} {2}huber-shop \\(huber\\) {2}hel → nue {2}cutover, ~\\d+ s down {2}${day} ${hhmm}–${hh}:0\\d UTC {2}accepted \\(Anna Huber, link\\)$`, 'm'));
  assert.ok(status.stdout.includes(`huber-shop hel → nue (cutover) proposed to huber for ${window.toISOString()}`), status.stdout);
  assert.match(status.stdout, /answered +Anna Huber accepted \(link\): Nachts passt$/m);
  for (const text of [status.stdout, (await hafenAsync(['migrate', 'status', '--format', 'json'], { env })).stdout, JSON.stringify(await admin.moves())]) assert.ok(!text.includes(link), 'the link\'s token is in no answer');

  // Cancelled before it starts: the customer is told; the plan may be made again.
  for (const m of proposal.migrations) assert.equal((await admin.cancelMove(m.id)).migration.state, 'cancelled');
  await mailTo('anna@huber.example', /^Cancelled: moving huber-shop to Nuremberg$/);
});

test('an unanswered proposal is reminded every day and expires two hours before its start: it never runs; an operator records answers given by phone', async () => {
  // A week ahead: the reminder (a day after the proposal) comes well before the answer is due.
  const start = tuesdayAfter(7).toISOString();
  const proposal = await admin.proposeMoves({ apps: ['huber-shop'], to: 'vie', from: 'hel', start });
  assert.deepEqual(proposal.problems, []);
  // huber-shop runs at vie already and spreads over sites: it cannot gather there.
  assert.match(proposal.plan.unscheduled[0]?.reason ?? '', /every host at vie shares a site with a replica of huber-shop/);
  const next = await admin.proposeMoves({ apps: ['huber-shop'], to: 'nue', from: 'hel', start });
  const mig = next.migrations[0]!;
  assert.equal(mig.state, 'proposed');
  ahead = Date.parse(mig.consent.proposedAt) + 24 * 3_600_000 + 1000 - Date.now();
  const reminded = await until('the reminder', async () => ((await admin.move(mig.id)).migration.consent.reminders.length === 1 ? true : undefined), 15_000, 100);
  assert.ok(reminded);
  const reminder = await mailTo('anna@huber.example', /^Reminder: your answer on moving huber-shop to Nuremberg$/);
  assert.match(bodyOf(reminder), new RegExp(`${controller.url}/v1/consent/hfc_`), 'the reminder carries the link again');
  await new Promise((r) => setTimeout(r, 2500));
  assert.equal(smtp.mails.filter((m) => m.subject.startsWith('Reminder:')).length, 1, 'one reminder, once');
  ahead = Date.parse(mig.consent.answerBy) + 1000 - Date.now();
  const expired = await until('expired', async () => {
    const m: MoveRecord = (await admin.move(mig.id)).migration;
    return m.state === 'expired' ? m : undefined;
  }, 15_000, 100);
  assert.equal(expired.consent.answer, undefined, 'nobody agreed');
  await mailTo('anna@huber.example', /^Not carried out: moving huber-shop to Nuremberg$/);
  const late = await hafenAsync(['migrate', 'consent', mig.id, 'accept', '--by', 'Anna Huber'], { env });
  assert.equal(late.status, 1);
  assert.match(late.stderr, new RegExp(`migration ${mig.id} is expired: there is nothing to answer`));
  const events = (await admin.move(mig.id)).events.map((e) => e.kind);
  assert.deepEqual(events, ['proposed', 'reminded', 'expired']);

  // A new proposal, answered by phone: recorded with who took the call.
  ahead = 0;
  const third = (await admin.proposeMoves({ apps: ['huber-shop'], to: 'nue', from: 'hel', start: tuesdayAfter(14).toISOString() })).migrations[0]!;
  const phone = await hafenAsync(['migrate', 'consent', third.id, 'another-window', '--by', 'Anna Huber', '--note', 'not in December'], { env });
  assert.equal(phone.status, 0, phone.stderr);
  assert.match(phone.stdout, /another-window \(Anna Huber \(recorded by bootstrap-admin\), operator\)$/m);
  const bad = await hafenAsync(['migrate', 'consent', third.id, 'maybe', '--by', 'x'], { env });
  assert.equal(bad.status, 2, 'a bad argument is a usage error');
  assert.match(bad.stderr, /the decision must be accept, decline or another-window, not "maybe"/);
});
