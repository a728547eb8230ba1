#!/usr/bin/env node
// Runs hafen's tests with node:test (TypeScript through tsx). Suites:
//   unit         src/**/*.test.ts          pure code, beside what it tests
//   integration  test/integration/**/*.test.ts   the CLI and files, Node only
//   system       test/system/**/*.test.ts  real Docker, restic, nftables, PostgreSQL, ...
// Usage: node scripts/run-tests.mjs unit integration [-- extra node --test flags]
//
// Test files run side by side (each in its own process): they share no state — every test takes
// its own temporary directories, ports from the kernel and loopback addresses from
// test/helpers/loopback.ts. HAFEN_TEST_CONCURRENCY sets how many at once (default: 4 for unit
// and integration tests, which mostly wait on timers and sockets; 1 for system tests, which
// share one Docker engine, PostgreSQL server and the host's nftables).
import { spawnSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';

const ROOTS = { unit: 'src', integration: 'test/integration', system: 'test/system' };
const args = process.argv.slice(2);
const dash = args.indexOf('--');
const suites = dash === -1 ? args : args.slice(0, dash);
const extra = dash === -1 ? [] : args.slice(dash + 1);

function find(dir) {
  let out = [];
  let entries = [];
  try {
    entries = readdirSync(dir);
  } catch {
    return out;
  }
  for (const name of entries) {
    const full = join(dir, name);
    if (statSync(full).isDirectory()) out = out.concat(find(full));
    else if (name.endsWith('.test.ts')) out.push(full);
  }
  return out;
}

const unknown = suites.filter((s) => !(s in ROOTS));
if (suites.length === 0 || unknown.length) {
  console.error(`usage: run-tests.mjs ${Object.keys(ROOTS).join('|')} ... (unknown: ${unknown.join(', ') || 'none given'})`);
  process.exit(2);
}
const files = suites.flatMap((s) => find(ROOTS[s])).map((f) => relative('.', f)).sort();
if (files.length === 0) {
  console.error(`no test files in ${suites.map((s) => ROOTS[s]).join(', ')}`);
  process.exit(1);
}
if (!suites.includes('system')) {
  console.log('note: system tests (Docker, restic, nftables, PostgreSQL, ...) run with `npm run test:system`.');
}
const concurrency = Number(process.env.HAFEN_TEST_CONCURRENCY ?? (suites.includes('system') ? 1 : 4));
if (!Number.isInteger(concurrency) || concurrency < 1) {
  console.error(`HAFEN_TEST_CONCURRENCY must be a whole number above 0, not "${process.env.HAFEN_TEST_CONCURRENCY}"`);
  process.exit(2);
}
const res = spawnSync(process.execPath, ['--import', 'tsx', '--test', `--test-concurrency=${concurrency}`, '--test-reporter=spec', ...extra, ...files], { stdio: 'inherit' });
process.exit(res.status ?? 1);
