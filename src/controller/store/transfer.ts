/**
 * Moving a store's contents from one store to another (`hafen store export|import`, e.g.
 * SQLite to PostgreSQL): both have the same tables and columns, so rows travel as they are.
 * The format is JSON lines: a header, then one line per row, tables in STORE_TABLES order.
 */
import { HafenError } from '../../lib/errors.js';
import { STORE_TABLES, type Store, type StoreRow } from './store.js';

export const EXPORT_FORMAT = 'hafen-store-export';

const ORDER = new Map(STORE_TABLES);

/** A table's key order; unknown tables are refused (the name goes into SQL). */
export function orderOf(table: string): string {
  const order = ORDER.get(table);
  if (!order) throw new HafenError('HAFEN_STORE_TABLE', `no table "${table}" in a hafen store (known: ${[...ORDER.keys()].join(', ')})`);
  return order;
}

/** An INSERT for these columns with "?" placeholders; column names are checked (they go into SQL). */
export function insertSql(table: string, columns: readonly string[]): string {
  orderOf(table);
  const bad = columns.find((c) => !/^[a-z_]{1,40}$/.test(c));
  if (bad !== undefined || columns.length === 0) throw new HafenError('HAFEN_STORE_IMPORT', `table ${table}: ${bad === undefined ? 'a row without columns' : `no column "${bad}"`}`);
  return `INSERT INTO ${table} (${columns.join(', ')}) VALUES (${columns.map(() => '?').join(', ')})`;
}

export const notEmpty = (table: string) =>
  new HafenError('HAFEN_STORE_NOT_EMPTY', `the target store is not empty (table ${table} has rows); import only into a new store, nothing is merged`);

/** Writes the store's rows as JSON lines through `write`; returns the row count per table. */
export async function exportStore(store: Store, write: (line: string) => void | Promise<void>, now = new Date()): Promise<Record<string, number>> {
  const tables = await store.exportRows();
  const counts = Object.fromEntries(tables.map((t) => [t.table, t.rows.length]));
  await write(JSON.stringify({ format: EXPORT_FORMAT, version: 1, exportedAt: now.toISOString(), rows: counts }));
  for (const { table, rows } of tables) for (const row of rows) await write(JSON.stringify({ table, row }));
  return counts;
}

export interface StoreExport {
  tables: { table: string; rows: StoreRow[] }[];
  /** Rows per table. */
  counts: Record<string, number>;
}

/** Reads an export (its lines) whole; a line that is not part of an export is refused by number, as is an export cut short. */
export async function readExport(lines: AsyncIterable<string> | Iterable<string>): Promise<StoreExport> {
  const byTable = new Map<string, StoreRow[]>();
  let header: { rows: Record<string, number> } | undefined;
  let n = 0;
  for await (const text of lines) {
    n++;
    if (text.trim() === '') continue;
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch {
      throw new HafenError('HAFEN_STORE_IMPORT', `line ${n}: not JSON`);
    }
    if (!header) {
      const h = value as { format?: unknown; version?: unknown; rows?: unknown };
      if (h?.format !== EXPORT_FORMAT || h.version !== 1 || typeof h.rows !== 'object') throw new HafenError('HAFEN_STORE_IMPORT', `line ${n}: not a hafen store export (its first line names format "${EXPORT_FORMAT}", version 1)`);
      header = h as { rows: Record<string, number> };
      continue;
    }
    const { table, row } = value as { table?: unknown; row?: unknown };
    if (typeof table !== 'string' || typeof row !== 'object' || row === null || Array.isArray(row)) throw new HafenError('HAFEN_STORE_IMPORT', `line ${n}: expected {"table": …, "row": {…}}`);
    for (const [k, v] of Object.entries(row)) {
      if (v !== null && typeof v !== 'string' && typeof v !== 'number') throw new HafenError('HAFEN_STORE_IMPORT', `line ${n}: ${table}.${k} is neither text, a number nor null`);
    }
    if (!ORDER.has(table)) throw new HafenError('HAFEN_STORE_IMPORT', `line ${n}: no table "${table}" in a hafen store`);
    const rows = byTable.get(table) ?? [];
    if (rows.length === 0) byTable.set(table, rows);
    rows.push(row as StoreRow);
  }
  if (!header) throw new HafenError('HAFEN_STORE_IMPORT', 'the export is empty');
  const counts = Object.fromEntries(STORE_TABLES.map(([t]) => [t, byTable.get(t)?.length ?? 0]));
  for (const [t, expected] of Object.entries(header.rows)) {
    if ((counts[t] ?? 0) !== expected) throw new HafenError('HAFEN_STORE_IMPORT', `the export is cut short or altered: its header counts ${expected} rows of ${t}, it holds ${counts[t] ?? 0}`);
  }
  return { tables: STORE_TABLES.map(([table]) => ({ table, rows: byTable.get(table) ?? [] })), counts };
}

/** Writes an export into `store` (which must be empty) in one transaction: all of it or nothing. */
export async function importStore(store: Store, data: StoreExport): Promise<Record<string, number>> {
  await store.importRows(data.tables);
  return data.counts;
}
