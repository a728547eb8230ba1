/**
 * A child process for store fault tests: `append-forever DB` appends revisions as fast as it
 * can until it is killed; `append-once DB PARENT` appends one revision on PARENT and prints
 * "ok" or the error code.
 */
import { SqliteStore } from '../../src/controller/store/sqlite.js';
import { isHafenError } from '../../src/lib/errors.js';

const [mode, path, parentArg] = process.argv.slice(2);
const store = new SqliteStore(path!);
const big = { hosts: Array.from({ length: 200 }, (_, i) => ({ id: `host-${i}`, cpu: 8, labels: { note: 'x'.repeat(100) } })) };

if (mode === 'append-forever') {
  let parent = (await store.head())?.number ?? null;
  process.stdout.write('ready\n');
  for (;;) {
    const rev = await store.appendRevision({ parent, fleet: big, placements: [{ app: 'a', replica: 1, host: 'host-1', site: 's' }], diff: { n: parent }, author: 'writer', createdAt: new Date().toISOString() });
    parent = rev.number;
  }
} else if (mode === 'append-once') {
  const parent = parentArg === 'null' ? null : Number(parentArg);
  try {
    await store.appendRevision({ parent, fleet: big, placements: [], diff: {}, author: `writer-${process.pid}`, createdAt: new Date().toISOString() });
    process.stdout.write('ok\n');
  } catch (err) {
    process.stdout.write(`${isHafenError(err) ? err.code : String(err)}\n`);
  }
  await store.close();
}
