/**
 * Alerts to real receivers: the three-site fleet with three receivers (hafen's JSON webhook, a
 * Slack-format webhook, e-mail to a local SMTP server). A hung replica of a one-replica app
 * makes its customer's group fire once (replica and domain down together, one notification per
 * receiver) and resolve once; a silence on the customer keeps the next fault quiet; a receiver
 * that refuses is retried and its failure recorded.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { startSmtp, startWebhookReceiver, type SmtpReceiver, type WebhookReceiver } from '../helpers/receivers.js';
import { startThreeSites, unitPid, type ThreeSites } from '../helpers/three-sites.js';
import { sleep, until } from '../helpers/wait.js';

let fleet: ThreeSites;
let hook: WebhookReceiver;
let smtp: SmtpReceiver;

before(async () => {
  hook = await startWebhookReceiver();
  smtp = await startSmtp();
  fleet = await startThreeSites({
    proxy: true,
    extraFleet: `
alerting:
  groupWait: 1s
  receivers:
    - { id: ops-hook, webhook: { url: "${hook.url}/hafen" } }
    - { id: ops-chat, webhook: { url: "${hook.url}/slack", format: slack } }
    - id: ops-mail
      email: { to: [oncall@ops.example], from: "hafen <alerts@ops.example>", smtp: { host: 127.0.0.1, port: ${smtp.port} } }
    - { id: refused, minSeverity: critical, webhook: { url: "http://127.0.0.1:9/nobody" } }
`,
  });
});

after(async () => {
  await fleet?.stop();
  await hook?.close();
  await smtp?.close();
});

const blogDown = async () => {
  const { checks } = await fleet.admin.checks({ app: 'verlag-blog' });
  return checks.some((c) => c.id === 'replica:verlag-blog-r1' && c.state === 'down') && checks.some((c) => c.id === 'domain:blog.verlag.example' && c.state === 'down');
};

test('one fault, one grouped notification per receiver; resolved once when it ends', async () => {
  await until('every replica up', async () => {
    const replicas = (await fleet.admin.checks()).checks.filter((c) => c.id.startsWith('replica:'));
    return replicas.length === 6 && replicas.every((c) => c.state === 'up') ? true : undefined;
  }, 30_000, 200);
  const host = (await fleet.admin.checks({ app: 'verlag-blog' })).checks.find((c) => c.id === 'replica:verlag-blog-r1')!.host!;
  const pid = unitPid(fleet.data[host]!, 'verlag-blog-r1');
  process.kill(pid, 'SIGSTOP');
  try {
    await until('the blog down', async () => ((await blogDown()) ? true : undefined), 20_000, 100);
    // The replica and the domain go down within a probe of each other: one notification, or
    // one and an update when the second joins after the group wait.
    const firing = await until('the critical notification at every receiver', async () => {
      const json = hook.received.filter((r) => r.path === '/hafen' && (r.body as { severity: string }).severity === 'critical');
      return json.length > 0 && hook.received.some((r) => r.path === '/slack') && smtp.mails.some((m) => /CRITICAL/.test(m.subject)) ? json : undefined;
    }, 20_000, 100);
    const body = firing[0]!.body as { kind: string; group: string; severity: string; alerts: { key: string }[]; customer: string };
    assert.equal(body.kind, 'firing');
    assert.equal(body.group, 'customer:verlag');
    assert.equal(body.customer, 'verlag');
    assert.equal(body.severity, 'critical', 'the blog\'s domain is down for its visitors');
    const { alerts } = await fleet.admin.alerts();
    assert.deepEqual(alerts.filter((a) => a.group === 'customer:verlag').map((a) => a.key).sort(), ['check:domain:blog.verlag.example', 'check:replica:verlag-blog-r1']);
    const slack = hook.received.filter((r) => r.path === '/slack').map((r) => (r.body as { text: string }).text);
    assert.ok(slack.some((t) => /^\[CRITICAL\] customer verlag/.test(t)), slack.join('\n'));
    const mail = smtp.mails.find((m) => /\[CRITICAL\] customer verlag/.test(m.subject))!;
    assert.deepEqual(mail.to, ['oncall@ops.example']);
    assert.match(mail.raw, /replica verlag-blog-r1 on hel-app-01 is down/);
  } finally {
    process.kill(pid, 'SIGCONT');
  }
  await until('the resolved notification', async () => (hook.received.some((r) => r.path === '/hafen' && (r.body as { kind: string }).kind === 'resolved') ? true : undefined), 20_000, 100);
  await sleep(1500);
  const kinds = hook.received.filter((r) => r.path === '/hafen').map((r) => (r.body as { kind: string; group: string }).kind);
  assert.ok(kinds.filter((k) => k === 'firing').length <= 2, `at most the first notification and one update as the domain joined: ${kinds.join(', ')}`);
  assert.equal(kinds.filter((k) => k === 'resolved').length, 1);
  assert.ok(smtp.mails.some((m) => /\[RESOLVED\]/.test(m.subject)));

  const record = (await fleet.admin.notifications()).notifications;
  assert.ok(record.some((n) => n.receiver === 'ops-mail' && n.status === 'sent'));
  const refused = await until('the refusing receiver retried', async () => (await fleet.admin.notifications()).notifications.find((n) => n.receiver === 'refused' && n.attempts >= 2));
  assert.match(refused.lastError ?? '', /could not be reached \(ECONNREFUSED\)/);
  assert.ok(!JSON.stringify(record).includes('127.0.0.1:9'), 'no receiver address in the record');
});

test('a silence keeps a fault quiet, and says so on the alert', async () => {
  const silence = await fleet.admin.silence({ matchers: { customer: 'verlag' }, duration: '1h', comment: 'blog migration' });
  const before = hook.received.length;
  const host = (await fleet.admin.checks({ app: 'verlag-blog' })).checks.find((c) => c.id === 'replica:verlag-blog-r1')!.host!;
  const pid = unitPid(fleet.data[host]!, 'verlag-blog-r1');
  process.kill(pid, 'SIGSTOP');
  try {
    await until('the blog down', async () => ((await blogDown()) ? true : undefined), 20_000, 100);
    const silenced = await until('the alert silenced', async () => (await fleet.admin.alerts()).alerts.find((a) => a.key === 'check:replica:verlag-blog-r1' && a.silencedBy));
    assert.equal(silenced.silencedBy, silence.id);
    await sleep(2500);
    assert.equal(hook.received.length, before, 'nothing sent for a silenced group');
  } finally {
    process.kill(pid, 'SIGCONT');
    await fleet.admin.endSilence(silence.id);
  }
  assert.deepEqual((await fleet.admin.silences()).silences, []);
});
