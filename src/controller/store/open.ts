/** Where a controller's store is (SQLite in its data directory, or a PostgreSQL URL), opened and named the same way by `hafen controller` and `hafen store`. */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { HafenError } from '../../lib/errors.js';
import { PostgresStore } from './postgres.js';
import { redact } from './postgres-query.js';
import { SqliteStore } from './sqlite.js';
import type { Store } from './store.js';

export interface StoreLocation {
  /** The data directory (its SQLite store, hafen.db). */
  data: string;
  /** A PostgreSQL store instead: postgres://user@host[,host2]/database. */
  store?: string;
}

/** For messages: the SQLite file, or the URL without its password. */
export const storeName = (w: StoreLocation) => (w.store === undefined ? join(w.data, 'hafen.db') : redact(w.store));

/** Opens the store. `mustExist`: a SQLite store is not created where there is none. */
export function openStore(w: StoreLocation, o: { mustExist?: boolean; max?: number } = {}): Promise<Store> {
  if (w.store !== undefined) {
    if (!/^postgres(ql)?:\/\//.test(w.store)) throw new HafenError('HAFEN_CLI_BAD_OPTION', `--store: expected a postgres://user@host:port/database URL, got "${w.store.split(':')[0]}:…"`);
    return PostgresStore.open(w.store, o.max ? { max: o.max } : {});
  }
  const path = join(w.data, 'hafen.db');
  if (o.mustExist && !existsSync(path)) throw new HafenError('HAFEN_STORE_MISSING', `no store at ${path} (--data is the controller's data directory)`);
  return Promise.resolve(new SqliteStore(path));
}
