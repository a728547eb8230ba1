import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, test } from 'node:test';
import { CLIENT, clientAddress, follower, FORWARDED_BY } from './forward.js';

let leaderUrl = '';
let followerUrl = '';
let known: { url: string; term: number } | undefined;
const seen: { method: string; url: string; headers: http.IncomingHttpHeaders; body: string }[] = [];
const servers: http.Server[] = [];
const listen = async (s: http.Server) => {
  servers.push(s);
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  return `http://127.0.0.1:${(s.address() as AddressInfo).port}`;
};
const derive = (label: string) => `sig(${label})`;
const f = follower({ self: () => followerUrl, leader: () => known, health: async () => ({ ok: true, role: 'follower' }), derive });

before(async () => {
  // The "leader": echoes what it got; /break answers half and breaks; /poll never answers.
  leaderUrl = await listen(
    http.createServer((req, res) => {
      let body = '';
      req.on('data', (d: Buffer) => (body += d.toString()));
      req.on('end', () => {
        seen.push({ method: req.method!, url: req.url!, headers: req.headers, body });
        if (req.url === '/break') return void req.socket.destroy();
        if (req.url === '/poll') return;
        res.writeHead(201, { 'content-type': 'application/json', 'x-leader': 'yes' }).end(JSON.stringify({ got: body.length }));
      });
    }),
  );
  followerUrl = await listen(http.createServer((req, res) => f.handle(req, res)));
});

after(() => {
  f.endPolls();
  for (const s of servers) {
    s.closeAllConnections();
    s.close();
  }
});

test('a follower passes a request on as it came and the answer back; says who passed it on and for whom', async () => {
  known = { url: leaderUrl, term: 3 };
  const big = 'x'.repeat(300_000);
  const res = await fetch(`${followerUrl}/v1/apply?dry=1`, { method: 'POST', headers: { authorization: 'Bearer hfa_t', 'content-type': 'application/json' }, body: JSON.stringify({ big }) });
  assert.equal(res.status, 201);
  assert.equal(res.headers.get('x-leader'), 'yes');
  assert.deepEqual(await res.json(), { got: big.length + 10 });
  const got = seen.at(-1)!;
  assert.equal(got.url, '/v1/apply?dry=1');
  assert.equal(got.headers.authorization, 'Bearer hfa_t');
  assert.equal(got.headers[FORWARDED_BY], followerUrl);
  assert.equal(got.headers['x-forwarded-for'], '127.0.0.1');
  // The leader takes the client's address from a follower's signed header, never from a forged one.
  assert.equal(clientAddress({ ip: '10.0.0.9', headers: got.headers }, derive), '127.0.0.1');
  assert.equal(clientAddress({ ip: '10.0.0.9', headers: { ...got.headers, [CLIENT]: '192.0.2.1' } }, derive), '10.0.0.9');
  assert.equal(clientAddress({ ip: '10.0.0.9', headers: {} }, derive), '10.0.0.9');
});

test('a follower answers /healthz itself; without a leader, or asked to pass on what was passed on, 503 HAFEN_CONTROLLER_NO_LEADER', async () => {
  known = { url: leaderUrl, term: 3 };
  const before = seen.length;
  assert.deepEqual(await (await fetch(`${followerUrl}/healthz`)).json(), { ok: true, role: 'follower' });
  assert.equal(seen.length, before, 'not passed on');
  const loop = await fetch(`${followerUrl}/v1/status`, { headers: { [FORWARDED_BY]: 'http://other:7400' } });
  assert.equal(loop.status, 503);
  assert.match(((await loop.json()) as { error: { code: string; message: string } }).error.message, /passed on by http:\/\/other:7400/);
  known = undefined;
  const none = await fetch(`${followerUrl}/v1/status`);
  assert.equal(none.status, 503);
  assert.deepEqual(((await none.json()) as { error: { code: string; retryable: boolean } }).error.code, 'HAFEN_CONTROLLER_NO_LEADER');
  known = { url: followerUrl, term: 2 };
  assert.match(((await (await fetch(`${followerUrl}/v1/status`)).json()) as { error: { message: string } }).error.message, /the last leader was this controller/);
  known = { url: 'http://127.0.0.1:1', term: 4 };
  const down = await fetch(`${followerUrl}/v1/status`);
  assert.equal(down.status, 503, 'a leader that cannot be reached never got it');
  assert.match(((await down.json()) as { error: { message: string } }).error.message, /cannot be reached.*ECONNREFUSED/);
});

test('a leader that breaks the connection mid-request: 502 HAFEN_CONTROLLER_LEADER_LOST (it may have been done); a long-poll passed on ends with endPolls', async () => {
  known = { url: leaderUrl, term: 3 };
  const broke = await fetch(`${followerUrl}/break`, { method: 'POST', body: '{}' });
  assert.equal(broke.status, 502);
  assert.equal(((await broke.json()) as { error: { code: string } }).error.code, 'HAFEN_CONTROLLER_LEADER_LOST');
  const poll = fetch(`${followerUrl}/poll`).then((r) => r.status, () => 'cut');
  await new Promise((r) => setTimeout(r, 200));
  f.endPolls();
  assert.equal(await poll, 502, 'the poll ends at once (the agent asks again)');
});
