/**
 * Hostile text cannot act on the terminal: whatever a command prints (its own messages, values
 * from the command line, hosts or the controller) goes out with control characters escaped.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { EXAMPLES, hafen } from '../helpers/paths.js';

test('an escape sequence and a carriage return in what a command echoes are printed as text', () => {
  const res = hafen(['risk', join(EXAMPLES, 'three-sites.yaml'), '--fail', 'site:x\u001b[2J\u001b]0;owned\u0007\rfake']);
  assert.equal(res.status, 1);
  assert.ok(![...(res.stdout + res.stderr)].some((c) => c === '\u001b' || c === '\u0007' || c === '\r'), JSON.stringify(res.stderr));
  assert.match(res.stderr, /site:x\\x1b\[2J\\x1b\]0;owned\\x07\\rfake/);
});
