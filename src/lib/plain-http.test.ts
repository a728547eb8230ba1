import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isHafenError } from './errors.js';
import { isLoopbackHost, plainHttpAllowed, refusePlainHttpListen, refusePlainHttpUrls } from './plain-http.js';

test('loopback is 127.0.0.0/8, ::1 (any spelling, IPv4-mapped too) and localhost; nothing else', () => {
  for (const h of ['127.0.0.1', '127.20.1.10', '[::1]', '::1', '0:0:0:0:0:0:0:1', '::ffff:127.0.0.1', '[::ffff:7f00:1]', 'localhost', 'LOCALHOST', 'localhost.', 'ctl.localhost']) {
    assert.ok(isLoopbackHost(h), h);
  }
  for (const h of ['0.0.0.0', '::', '10.0.0.1', '128.0.0.1', '::ffff:10.0.0.1', '::2', 'localhost.example', 'mylocalhost', 'ctl.mgmt.example', '']) {
    assert.ok(!isLoopbackHost(h), h);
  }
});

const refused = (fn: () => void, pattern: RegExp) =>
  assert.throws(fn, (e: unknown) => isHafenError(e) && e.code === 'HAFEN_PLAIN_HTTP_REFUSED' && pattern.test(e.message));

test('controller URLs: https anywhere, plain http on loopback only unless allowed; the error names where the URL came from', () => {
  refusePlainHttpUrls(['https://ctl.example:7400', 'http://127.0.0.1:7400', 'http://[::1]:7400', 'http://localhost:7400'], '--controller', false);
  refused(() => refusePlainHttpUrls(['https://a.example:7400', 'http://10.0.0.1:7400'], '$HAFEN_CONTROLLER', false), /^\$HAFEN_CONTROLLER: http:\/\/10\.0\.0\.1:7400 is plain HTTP .*--allow-plain-http/);
  // http://0.0.0.0 reaches this machine on Linux but listens on every address on the controller: refused too.
  refused(() => refusePlainHttpUrls(['http://0.0.0.0:7400'], '--controller', false), /0\.0\.0\.0/);
  refusePlainHttpUrls(['http://10.0.0.1:7400'], '--controller', true);
  assert.throws(() => refusePlainHttpUrls(['ftp://10.0.0.1/'], '--controller', true), (e: unknown) => isHafenError(e) && e.code === 'HAFEN_CLI_BAD_OPTION');
  assert.throws(() => refusePlainHttpUrls(['10.0.0.1:7400'], '--controller', false), (e: unknown) => isHafenError(e) && e.code === 'HAFEN_CLI_BAD_OPTION' && /--controller: "10\.0\.0\.1:7400"/.test(e.message));
});

test('a listen address off loopback without TLS is refused unless allowed', () => {
  refusePlainHttpListen('127.0.0.1:7400', '127.0.0.1', false);
  refusePlainHttpListen('[::1]:7400', '::1', false);
  refused(() => refusePlainHttpListen('0.0.0.0:7400', '0.0.0.0', false), /^--listen 0\.0\.0\.0:7400 without --tls-cert/);
  refused(() => refusePlainHttpListen('[::]:7400', '::', false), /--listen/);
  refusePlainHttpListen('0.0.0.0:7400', '0.0.0.0', true);
});

test('--allow-plain-http, else HAFEN_ALLOW_PLAIN_HTTP: yes or no, nothing in between', () => {
  assert.equal(plainHttpAllowed(true, {}), true);
  assert.equal(plainHttpAllowed(undefined, {}), false);
  for (const v of ['1', 'true', 'YES', ' yes ']) assert.equal(plainHttpAllowed(undefined, { HAFEN_ALLOW_PLAIN_HTTP: v }), true, v);
  for (const v of ['', '0', 'false', 'no']) assert.equal(plainHttpAllowed(undefined, { HAFEN_ALLOW_PLAIN_HTTP: v }), false, v);
  assert.throws(() => plainHttpAllowed(undefined, { HAFEN_ALLOW_PLAIN_HTTP: 'maybe' }), (e: unknown) => isHafenError(e) && e.code === 'HAFEN_CLI_BAD_OPTION' && /HAFEN_ALLOW_PLAIN_HTTP .*"maybe"/.test(e.message));
});
