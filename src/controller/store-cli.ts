/**
 * `hafen store export|import`: a controller's store moved to another store, e.g. from SQLite to
 * PostgreSQL. Export reads every table as of one moment (a running controller may keep going);
 * import writes into an empty store only, in one transaction (into PostgreSQL only while no
 * controller runs on it). The export holds sealed secrets and token hashes, never plaintext:
 * the secret key stays where it is (the data directory or HAFEN_SECRET_KEY).
 */
import { createReadStream, createWriteStream, existsSync, renameSync, rmSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { once } from 'node:events';
import { Command, CommanderError } from 'commander';
import { HafenError, isHafenError } from '../lib/errors.js';
import { startLeadership, type Leadership } from './leadership.js';
import { openStore, storeName, type StoreLocation as Where } from './store/open.js';
import type { Store } from './store/store.js';
import { exportStore, importStore, readExport } from './store/transfer.js';

/** --store, else HAFEN_STORE, else the SQLite store in --data. */
const whereOf = (o: Where): Where => {
  const store = o.store ?? process.env.HAFEN_STORE;
  return { data: o.data, ...(store ? { store } : {}) };
};

/** Writes lines to `file` through a temporary file renamed at the end (no half-written export), or to standard output. */
async function writeLines(file: string | undefined, produce: (write: (line: string) => Promise<void>) => Promise<void>): Promise<void> {
  const tmp = file ? `${file}.partial` : undefined;
  const out = tmp ? createWriteStream(tmp, { mode: 0o600 }) : process.stdout;
  try {
    await produce(async (line) => {
      if (!out.write(`${line}\n`)) await once(out, 'drain');
    });
    if (tmp) {
      await new Promise<void>((resolve, reject) => (out as ReturnType<typeof createWriteStream>).end((e?: Error | null) => (e ? reject(e) : resolve())));
      renameSync(tmp, file!);
    }
  } catch (e) {
    if (tmp) {
      (out as ReturnType<typeof createWriteStream>).destroy();
      rmSync(tmp, { force: true });
    }
    throw e;
  }
}

const summary = (counts: Record<string, number>) => `${Object.values(counts).reduce((a, b) => a + b, 0)} rows in ${Object.values(counts).filter((n) => n > 0).length} tables`;

export async function runStore(argv: string[], err: (line: string) => void = (l) => process.stderr.write(l)): Promise<number> {
  let status = 0;
  const fail = (e: unknown) => {
    err(isHafenError(e) ? `error: ${e.message} [${e.code}]\n` : `internal error (please report it): ${(e as Error).stack ?? String(e)}\n`);
    status = isHafenError(e) ? 1 : 70;
  };
  const program = new Command('hafen store').exitOverride().description("Move a controller's store: export it as JSON lines, import that into an empty store (SQLite or PostgreSQL).");
  const storeOptions = (c: Command) =>
    c
      .option('--data <dir>', "the controller's data directory (its SQLite store, hafen.db)", '.hafen')
      .option('--store <url>', 'a PostgreSQL store instead: postgres://USER@HOST:PORT[,HOST2:PORT]/DATABASE, the primary among the hosts (password in PGPASSWORD or ~/.pgpass; or the URL in HAFEN_STORE)');
  storeOptions(program.command('export').description('Write every table of the store as JSON lines (one moment for all; the controller may keep running).'))
    .option('--output <file>', 'where to write (default: standard output)')
    .action(async (o: Where & { output?: string }) => {
      const w = whereOf(o);
      let store: Store | undefined;
      try {
        store = await openStore(w, { mustExist: true, max: 2 });
        let counts: Record<string, number> = {};
        await writeLines(o.output, async (write) => void (counts = await exportStore(store!, write)));
        err(`exported ${summary(counts)} from ${storeName(w)}${o.output ? ` to ${o.output}` : ''}\n`);
      } catch (e) {
        fail(e);
      } finally {
        await store?.close();
      }
    });
  storeOptions(program.command('import').description('Write an export into an empty store, in one transaction: all of it or nothing (a store with data is refused).'))
    .option('--input <file>', 'the export (default: standard input)')
    .action(async (o: Where & { input?: string }) => {
      const w = whereOf(o);
      let store: Store | undefined;
      let lead: Leadership | undefined;
      try {
        if (o.input && !existsSync(o.input)) throw new HafenError('HAFEN_STORE_IMPORT', `no export at ${o.input}`);
        // The whole export is read and checked before the target store is opened (or created).
        const data = await readExport(createInterface({ input: o.input ? createReadStream(o.input) : process.stdin, crlfDelay: Infinity }));
        store = await openStore(w, { max: 2 });
        // No controller may run on the store meanwhile: the import takes the lead a controller would hold.
        lead = await startLeadership(store, { advertise: 'hafen store import', onElected: async () => undefined, onLost: (e) => err(`error: ${e.message}\n`), log: () => undefined });
        if (!lead.leading) throw new HafenError('HAFEN_STORE_IN_USE', `a hafen controller runs on ${storeName(w)} (the one at ${lead.leader()?.url ?? 'an unknown address'} leads): stop every controller on it before importing`);
        const counts = await importStore(store, data);
        err(`imported ${summary(counts)} into ${storeName(w)}\n`);
      } catch (e) {
        fail(e);
      } finally {
        await lead?.stop();
        await store?.close();
      }
    });
  try {
    await program.parseAsync(argv, { from: 'user' });
  } catch (e) {
    if (e instanceof CommanderError) return e.exitCode === 0 ? 0 : 1;
    fail(e);
  }
  return status;
}
