import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { storeContract } from '../../../test/contract/store.js';
import { SqliteStore } from './sqlite.js';

storeContract('sqlite', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'hafen-store-'));
  const path = join(dir, 'data', 'hafen.db');
  let store = new SqliteStore(path);
  return {
    get store() {
      return store;
    },
    reopen: async () => {
      await store.close();
      store = new SqliteStore(path);
      return store;
    },
    cleanup: async () => {
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
});
