/**
 * Queries for the PostgreSQL store: written with "?" placeholders as the SQLite store's are
 * (numbered $1, $2, … here), on the pool or on one transaction's connection. 64-bit integers
 * (counts, ids) come back as numbers: every one hafen stores is far below 2^53.
 */
import pg from 'pg';

export interface Rows<T> {
  rows: T[];
  /** Rows inserted, updated or deleted. */
  count: number;
}

/** Runs one statement; `args` fill its "?" placeholders in order. */
export type Q = <T = Record<string, unknown>>(sql: string, args?: readonly unknown[]) => Promise<Rows<T>>;

/** "?" → "$1", "$2", … (hafen's SQL has no "?" inside literals). */
export function numbered(sql: string): string {
  let n = 0;
  return sql.replace(/\?/g, () => `$${++n}`);
}

export function queryOn(db: pg.Pool | pg.PoolClient): Q {
  return async <T>(sql: string, args: readonly unknown[] = []) => {
    const r = await db.query(numbered(sql), args as unknown[]);
    return { rows: r.rows as T[], count: r.rowCount ?? 0 };
  };
}

const INT8 = 20;

/** Type parsers for the store's pool: int8 as a number. */
export const types: pg.CustomTypesConfig = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary') => (oid === INT8 ? (v: string) => Number(v) : pg.types.getTypeParser(oid, format))) as pg.CustomTypesConfig['getTypeParser'],
};

/** A connection URL without its password, for messages. */
export function redact(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return 'postgres://…';
  }
}
