// A generated document in docs/: written by `npm run docs`, or with `--check` compared with the
// file in the repository (tests run the check, so a stale document fails them).
import { readFileSync, writeFileSync } from 'node:fs';
import { relative } from 'node:path';

/** Writes `text` to `out`, or with --check on the command line exits 1 when `out` differs. */
export function writeOrCheck(out, text, summary) {
  const name = relative(process.cwd(), out) || out;
  if (!process.argv.includes('--check')) {
    writeFileSync(out, text);
    console.log(`wrote ${out}: ${summary}`);
    return;
  }
  let current = '';
  try {
    current = readFileSync(out, 'utf8');
  } catch {
    // No file yet: stale.
  }
  if (current !== text) {
    console.error(`${name} is stale: run \`npm run docs\` and commit the result`);
    process.exit(1);
  }
}
