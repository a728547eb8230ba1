import assert from 'node:assert/strict';
import { test } from 'node:test';
import { dotenvNames } from './dotenv.js';

test('.env names as Compose reads them: comments, export, quotes over several lines, empty values', () => {
  const text = ['# the database', 'DB_USER=gitea', 'export DB_PASSWORD="a # not a comment"', "MULTI='first", 'NOT_A_KEY=inside the quotes', "last'", 'EMPTY=', 'BARE', '  SPACED = yes  ', 'ESCAPED="say \\"hi\\"\nstill"'].join('\n');
  assert.deepEqual(dotenvNames(text), { names: ['DB_USER', 'DB_PASSWORD', 'MULTI', 'EMPTY', 'BARE', 'SPACED', 'ESCAPED'] });
});

test('a malformed .env says which line', () => {
  assert.deepEqual(dotenvNames('A=1\n$(rm -rf)\n'), { error: '"$(rm -rf)" is not KEY=VALUE', line: 2 });
  assert.deepEqual(dotenvNames('A=1\nB="open\nnever closed\n'), { error: 'the value of B opens a double quote that is never closed', line: 2 });
});
