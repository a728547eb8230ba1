/**
 * The SQLite store under faults, with real processes: a writer killed (SIGKILL) while it
 * writes leaves only whole revisions behind, and two processes applying on the same head
 * get exactly one new revision between them.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { SqliteStore } from '../../src/controller/store/sqlite.js';
import { ROOT } from '../helpers/paths.js';

const WRITER = join(ROOT, 'test', 'helpers', 'store-writer.ts');

function writer(args: string[]) {
  return spawn(process.execPath, ['--import', 'tsx', WRITER, ...args], { cwd: ROOT, stdio: ['ignore', 'pipe', 'inherit'] });
}

async function output(child: ReturnType<typeof writer>): Promise<string> {
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  await new Promise((resolve) => child.on('exit', resolve));
  return out.trim();
}

test('a writer killed mid-write leaves a consistent store: every revision whole, no gaps', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'hafen-crash-'));
  const db = join(dir, 'hafen.db');
  try {
    for (let round = 0; round < 3; round++) {
      const child = writer(['append-forever', db]);
      await new Promise<void>((resolve) => child.stdout!.once('data', () => resolve()));
      await new Promise((r) => setTimeout(r, 150 + round * 100));
      child.kill('SIGKILL');
      await new Promise((resolve) => child.on('exit', resolve));
      const store = new SqliteStore(db);
      const list = await store.listRevisions(100_000);
      assert.ok(list.length > 0, 'the writer got some revisions in');
      list.forEach((r, i) => {
        assert.equal(r.number, list.length - i, 'numbers without gaps');
        assert.equal(r.parent, r.number === 1 ? null : r.number - 1, 'each on its parent');
      });
      const newest = await store.getRevision(list[0]!.number);
      assert.equal((newest!.fleet as { hosts: unknown[] }).hosts.length, 200, 'the newest revision is whole');
      await store.close();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('two processes applying on the same head: one revision, one clear conflict', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'hafen-race-'));
  const db = join(dir, 'hafen.db');
  try {
    const seed = new SqliteStore(db);
    await seed.appendRevision({ parent: null, fleet: {}, placements: [], diff: {}, author: 'seed', createdAt: '2026-11-26T10:00:00.000Z' });
    await seed.close();
    const results = await Promise.all([output(writer(['append-once', db, '1'])), output(writer(['append-once', db, '1']))]);
    assert.deepEqual(results.sort(), ['HAFEN_STORE_REVISION_CONFLICT', 'ok']);
    const store = new SqliteStore(db);
    assert.deepEqual((await store.listRevisions()).map((r) => r.number), [2, 1]);
    await store.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
