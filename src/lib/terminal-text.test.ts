import assert from 'node:assert/strict';
import { test } from 'node:test';
import { forTerminal, oneLine, printable } from './terminal-text.js';

test('control characters are shown, not obeyed: escapes, carriage returns, bidi overrides; the output keeps its own lines', () => {
  assert.equal(forTerminal('boom\u001b[2J\u001b]0;owned\u0007 done\r\nnext\tcol'), 'boom\\x1b[2J\\x1b]0;owned\\x07 done\\r\nnext\tcol');
  assert.equal(forTerminal('a\u202eevil\u2066b\u009bc\u007f'), 'a\\u202eevil\\u2066b\\x9bc\\x7f');
  assert.equal(forTerminal('Grüße, 東京 ✓'), 'Grüße, 東京 ✓', 'printable text passes');
  assert.equal(oneLine('line one\nline two\tx\u2028y'), 'line one\\nline two\\tx\\u2028y');
});

test('a name is printable when it has no control, line-break or bidi characters', () => {
  assert.equal(printable('huber portal (Anna Huber)'), true);
  for (const bad of ['a\u0000b', 'a\nb', 'a\u001b[31m', 'a\u202eb', 'a\u2028b', 'a\u0085b']) assert.equal(printable(bad), false, JSON.stringify(bad));
});
