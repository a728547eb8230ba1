/**
 * Self-healing: the blog opts in (restart after 2 failures in a row, once an hour). Its
 * replica hangs (SIGSTOP); the controller has the agent restart it, the new process answers,
 * and the restart is an event. It hangs again within the hour: no second restart, an event
 * says a person is needed.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { startThreeSites, unitPid, type ThreeSites } from '../helpers/three-sites.js';
import { until } from '../helpers/wait.js';

let fleet: ThreeSites;

before(async () => {
  fleet = await startThreeSites({
    edit: (text) => text.replace('    domains: [blog.verlag.example]\n', '    domains: [blog.verlag.example]\n    remediation: { restartAfter: 2, maxPerHour: 1 }\n'),
  });
});

after(async () => {
  await fleet?.stop();
});

test('a hung replica of an app that opts in is restarted once, and the second time left to people', async () => {
  const blog = () => fleet.admin.checks({ app: 'verlag-blog' }).then((r) => r.checks.find((c) => c.id === 'replica:verlag-blog-r1'));
  await until('the blog up', async () => ((await blog())?.state === 'up' ? true : undefined), 30_000, 200);
  const host = (await blog())!.host!;
  const first = unitPid(fleet.data[host]!, 'verlag-blog-r1');
  process.kill(first, 'SIGSTOP');
  let second = first;
  try {
    const restarted = await until('the restart event', async () => (await fleet.admin.events({ kind: 'remediation', subject: 'verlag-blog-r1' })).events.find((e) => e.state === 'restarted'), 20_000, 100);
    assert.match(restarted.message, /restarting verlag-blog-r1 on hel-app-01: replica verlag-blog-r1 on hel-app-01 failed \d+ times in a row from /);
    second = await until('a new process', async () => {
      const pid = unitPid(fleet.data[host]!, 'verlag-blog-r1');
      return pid !== first ? pid : undefined;
    }, 20_000, 100);
    await until('the blog up again without anyone touching it', async () => ((await blog())?.state === 'up' ? true : undefined), 20_000, 100);
  } finally {
    try {
      process.kill(first, 'SIGCONT');
    } catch {
      // killed by the restart, as it should be
    }
  }
  process.kill(second, 'SIGSTOP');
  try {
    const limited = await until('the limit event', async () => (await fleet.admin.events({ kind: 'remediation', subject: 'verlag-blog-r1' })).events.find((e) => e.state === 'limited'), 30_000, 100);
    assert.match(limited.message, /not restarting verlag-blog-r1 on hel-app-01 again: 1 restarts in the last hour; it needs a person/);
    assert.equal(unitPid(fleet.data[host]!, 'verlag-blog-r1'), second, 'no second restart');
    assert.equal((await fleet.admin.events({ kind: 'remediation', subject: 'verlag-blog-r1' })).events.filter((e) => e.state === 'restarted').length, 1);
  } finally {
    process.kill(second, 'SIGCONT');
  }
});
