/**
 * Brings a PostgreSQL database to the schema this hafen knows (postgres-migrations.ts). Several
 * controllers may start at once on one database: a session advisory lock lets one migrate while
 * the others wait, and each migration commits together with the version it brings, so a
 * controller killed halfway leaves the previous version whole and the next one starts over.
 */
import type pg from 'pg';
import { HafenError } from '../../lib/errors.js';
import { POSTGRES_MIGRATIONS } from './postgres-migrations.js';

/** The advisory lock key for migrations ("hafen-mi" as a number): one per database. */
export const MIGRATION_LOCK = 0x68_61_66_65_6e_2d_6d_69n;

/** Migrates the database behind `pool`; returns the schema version it has afterwards. */
export async function migratePostgres(pool: pg.Pool, migrations: readonly string[] = POSTGRES_MIGRATIONS): Promise<number> {
  const client = await pool.connect();
  try {
    // A migrator that dies mid-statement (a long rewrite) is noticed within 2 s, its work rolled
    // back and the lock freed for the next (PostgreSQL 14+; older ones notice at the statement's end).
    await client.query('SET client_connection_check_interval = 2000').catch(() => undefined);
    await client.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK.toString()]);
    try {
      await client.query('CREATE TABLE IF NOT EXISTS hafen_schema (version INTEGER NOT NULL)');
      // Who leads the controllers (postgres-leader.ts): not the store's data, never exported.
      await client.query('CREATE TABLE IF NOT EXISTS hafen_leader (id INTEGER PRIMARY KEY CHECK (id = 1), term BIGINT NOT NULL, url TEXT NOT NULL, since TEXT NOT NULL)');
      const rows = (await client.query<{ version: number }>('SELECT version FROM hafen_schema')).rows;
      if (rows.length === 0) await client.query('INSERT INTO hafen_schema (version) VALUES (0)');
      let version = rows[0]?.version ?? 0;
      if (version > migrations.length) {
        throw new HafenError('HAFEN_STORE_TOO_NEW', `the store has schema version ${version}, newer than this hafen knows (${migrations.length}); upgrade hafen`);
      }
      for (; version < migrations.length; version++) {
        await client.query('BEGIN');
        try {
          await client.query(migrations[version]!);
          await client.query('UPDATE hafen_schema SET version = $1', [version + 1]);
          await client.query('COMMIT');
        } catch (err) {
          await client.query('ROLLBACK');
          throw new HafenError('HAFEN_STORE_MIGRATION', `schema migration ${version + 1} failed: ${(err as Error).message}`, { cause: err });
        }
      }
      return version;
    } finally {
      await client.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK.toString()]);
      await client.query('RESET client_connection_check_interval').catch(() => undefined);
    }
  } finally {
    client.release();
  }
}
