/**
 * Several controller URLs (`--controller http://a:7400,http://b:7400`): the client tries them in
 * order, keeps the one that answers, goes on to the next when one cannot be reached, sends a
 * request that may have arrived (a connection broken after sending) to another one only when it
 * is safe to repeat (or one a controller could not pass on to a leader: it went nowhere), and
 * names every controller it tried when none answers.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { HafenClient } from '../../src/client/client.js';
import { startController } from '../../src/controller/main.js';
import { isHafenError } from '../../src/lib/errors.js';
import { EXAMPLES } from '../helpers/paths.js';
import { freePort } from '../helpers/demo.js';

test('a client with several controllers goes on to the next that answers, and repeats only what is safe to repeat', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'hafen-client-failover-'));
  const c = await startController({ data: dir, listen: '127.0.0.1:0', secretKey: 'd'.repeat(64) });
  // A "controller" that takes a request and breaks the connection without answering.
  const hung = net.createServer((s) => s.on('data', () => s.destroy())).listen(0, '127.0.0.1');
  await new Promise((r) => hung.once('listening', r));
  const hungUrl = `http://127.0.0.1:${(hung.address() as net.AddressInfo).port}`;
  // A controller that does not lead and has no leader to pass requests on to (a take-over under way).
  const leaderless = http.createServer((_req, res) => res.writeHead(503, { 'content-type': 'application/json' }).end(JSON.stringify({ error: { code: 'HAFEN_CONTROLLER_NO_LEADER', message: 'no controller leads right now', retryable: true } })));
  await new Promise<void>((r) => leaderless.listen(0, '127.0.0.1', r));
  const leaderlessUrl = `http://127.0.0.1:${(leaderless.address() as net.AddressInfo).port}`;
  try {
    const token = readFileSync(c.adminTokenFile!, 'utf8').trim();
    const down = `http://127.0.0.1:${await freePort()}`;
    const client = new HafenClient(` ${down}, ${c.url} `, token);
    assert.deepEqual(client.urls, [down, c.url]);
    assert.equal((await client.health()).ok, true);
    assert.equal(client.baseUrl, c.url, 'the one that answered is kept');
    // A POST whose connection was refused never arrived: it goes to the next controller.
    const other = new HafenClient(`${down},${c.url}`, token);
    const applied = await other.apply([{ name: 'minimal.yaml', text: readFileSync(join(EXAMPLES, 'minimal.yaml'), 'utf8') }], null);
    assert.equal(applied.revision, 1);
    // An error answer is an answer: no other controller is asked.
    await assert.rejects(new HafenClient(`${c.url},${down}`, 'wrong-token').revisions(), (err: unknown) => isHafenError(err) && /^HAFEN_(HTTP_401|UNAUTHORIZED|AUTH)/.test(err.code));
    // A controller that broke the connection after the request: a GET goes on to the next, a POST (it may have arrived) does not.
    const viaHung = new HafenClient(`${hungUrl},${c.url}`, token);
    assert.equal((await viaHung.health()).ok, true);
    const postViaHung = new HafenClient(`${hungUrl},${c.url}`, token);
    await assert.rejects(postViaHung.apply([{ name: 'minimal.yaml', text: 'x' }], 1, undefined), (err: unknown) => isHafenError(err) && err.code === 'HAFEN_CLIENT_UNREACHABLE' && err.message.includes(hungUrl) && !err.message.includes(c.url));
    // A controller with no leader to pass it on to: the request went nowhere, the next one gets it (a POST too).
    const viaLeaderless = new HafenClient(`${leaderlessUrl},${c.url}`, token);
    assert.equal((await viaLeaderless.apply([{ name: 'minimal.yaml', text: readFileSync(join(EXAMPLES, 'minimal.yaml'), 'utf8') }], 1)).revision, 2);
    assert.equal(viaLeaderless.baseUrl, c.url);
    // Only that one: its answer is the error.
    await assert.rejects(new HafenClient(leaderlessUrl, token).revisions(), (err: unknown) => isHafenError(err) && err.code === 'HAFEN_CONTROLLER_NO_LEADER' && err.retryable);
    // None answers: every one is named.
    await assert.rejects(new HafenClient(`${down},http://127.0.0.1:${await freePort()}`).health(), (err: unknown) => isHafenError(err) && err.code === 'HAFEN_CLIENT_UNREACHABLE' && err.message.includes(down) && /ECONNREFUSED.*ECONNREFUSED/.test(err.message));
  } finally {
    hung.close();
    leaderless.close();
    await c.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
