/**
 * Queries for the PostgreSQL store: written with "?" placeholders as the SQLite store's are
 * (numbered $1, $2, … here), on the pool or on one transaction's connection. 64-bit integers
 * (counts, ids) come back as numbers: every one hafen stores is far below 2^53.
 */
import pg from 'pg';
import { HafenError } from '../../lib/errors.js';

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

/** The hosts of a URL that may name several ("postgres://u@h1:5432,h2:5432/db"), each as a URL of its own. */
export function hostUrls(url: string): string[] {
  const m = /^(postgres(?:ql)?:\/\/)([^@/]*@)?([^/?#]*)(.*)$/.exec(url);
  if (!m || !m[3]!.includes(',')) return [url];
  return m[3]!.split(',').map((host) => `${m[1]}${m[2] ?? ''}${host}${m[4]}`);
}

/**
 * The URL of the primary among the hosts `url` names (PostgreSQL's own multi-host form, which the
 * pg driver does not take): the first that answers and is not a standby. A standby (read-only,
 * in recovery) is never chosen, also when it is the only host given.
 */
export async function primaryOf(url: string, connectMs = 5000): Promise<string> {
  const tried: string[] = [];
  for (const one of hostUrls(url)) {
    const c = new pg.Client({ connectionString: one, connectionTimeoutMillis: connectMs });
    c.on('error', () => undefined);
    try {
      await c.connect();
      const { rows } = await c.query<{ standby: boolean }>('SELECT pg_is_in_recovery() AS standby');
      if (!rows[0]!.standby) return one;
      tried.push(`${redact(one)}: a standby (read-only)`);
    } catch (err) {
      tried.push(`${redact(one)}: ${(err as Error).message}`);
    } finally {
      await c.end().catch(() => undefined);
    }
  }
  throw new HafenError('HAFEN_STORE_NO_PRIMARY', `no primary PostgreSQL among ${tried.join('; ')}`);
}
