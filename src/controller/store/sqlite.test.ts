import assert from 'node:assert/strict';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { test } from 'node:test';
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

test('the store is the controller\'s alone, whoever starts it: its directory 0700, the database and its -wal and -shm 0600', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'hafen-store-mode-'));
  const old = process.umask(0o022);
  try {
    const mode = (p: string) => statSync(p).mode & 0o777;
    const store = new SqliteStore(join(dir, 'data', 'hafen.db'));
    await store.createApiToken({ id: 't', name: 'a write', role: 'viewer', hash: 'h', createdAt: new Date().toISOString() });
    assert.equal(mode(join(dir, 'data')), 0o700);
    for (const f of ['hafen.db', 'hafen.db-wal', 'hafen.db-shm']) assert.equal(mode(join(dir, 'data', f)), 0o600, f);
    await store.close();
    // A store left world-readable by an older version is tightened when opened.
    mkdirSync(join(dir, 'old'), { mode: 0o755 });
    writeFileSync(join(dir, 'old', 'hafen.db'), '');
    chmodSync(join(dir, 'old', 'hafen.db'), 0o644);
    const again = new SqliteStore(join(dir, 'old', 'hafen.db'));
    assert.deepEqual([mode(join(dir, 'old')), mode(join(dir, 'old', 'hafen.db'))], [0o700, 0o600]);
    await again.close();
  } finally {
    process.umask(old);
    rmSync(dir, { recursive: true, force: true });
  }
});

