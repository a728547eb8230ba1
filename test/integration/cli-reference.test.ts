/** docs/cli-reference.md is generated from the commands' own --help and is current. */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { test } from 'node:test';
import { ROOT } from '../helpers/paths.js';

test('docs/cli-reference.md matches every command\'s --help', () => {
  const r = spawnSync(process.execPath, [join(ROOT, 'scripts', 'cli-reference.mjs'), '--check'], { cwd: ROOT, encoding: 'utf8', timeout: 120_000 });
  assert.equal(r.status, 0, r.stderr || r.stdout);
});
