#!/usr/bin/env node
// The demo's meter counter ("Zähler"): a stateless web app whose one number lives in a
// PostgreSQL app with a standby (hafen's postgres driver). POST /count adds one and answers the
// new count; GET /count answers it as the writer has it. Every replica lists every database
// replica ($PG_HOSTS) and uses the one that takes writes, as libpq's
// target_session_attrs=read-write would: a standby refuses (read-only), a frozen or cut-off
// writer does not answer in time, and the next is tried. A read is a row lock in a transaction,
// so a writer that can no longer reach its synchronous standby cannot answer it either: a count
// once seen never goes back, across a failover.
import { createServer } from 'node:http';
import pg from 'pg';

const address = process.env.HAFEN_ADDRESS ?? '127.0.0.1';
const port = Number(process.env.PORT ?? 8095);
const unit = process.env.HAFEN_UNIT ?? 'counter';
const hosts = (process.env.PG_HOSTS ?? '127.0.0.1').split(',').filter(Boolean);
const pgPort = Number(process.env.PG_PORT ?? 5432);
let preferred = hosts[0];

async function onWriter(sql) {
  let last;
  for (const host of [preferred, ...hosts.filter((h) => h !== preferred)]) {
    const client = new pg.Client({ host, port: pgPort, user: process.env.PGUSER, password: process.env.PGPASSWORD, database: process.env.PGDATABASE, connectionTimeoutMillis: 1000, query_timeout: 1500 });
    client.on('error', () => {});
    try {
      await client.connect();
      await client.query('BEGIN');
      await client.query('CREATE TABLE IF NOT EXISTS counter (id int PRIMARY KEY, n bigint NOT NULL)');
      await client.query('INSERT INTO counter VALUES (1, 0) ON CONFLICT DO NOTHING');
      const r = await client.query(sql);
      await client.query('COMMIT');
      preferred = host;
      return Number(r.rows[0].n);
    } catch (err) {
      last = `${host}: ${err.message}`;
    } finally {
      client.end().catch(() => {});
    }
  }
  throw new Error(`no database replica took the request (${last})`);
}

createServer(async (req, res) => {
  if (req.url === '/healthz') {
    res.writeHead(200, { 'content-type': 'text/plain' }).end('ok\n');
    return;
  }
  if (req.url !== '/count') {
    res.writeHead(200, { 'content-type': 'text/plain' }).end(`${unit}: POST /count adds one, GET /count reads it\n`);
    return;
  }
  try {
    const n = await onWriter(req.method === 'POST' ? 'UPDATE counter SET n = n + 1 WHERE id = 1 RETURNING n' : 'SELECT n FROM counter WHERE id = 1 FOR UPDATE');
    res.writeHead(200, { 'content-type': 'application/json', 'x-database': preferred }).end(`${JSON.stringify({ n })}\n`);
  } catch (err) {
    res.writeHead(503, { 'content-type': 'text/plain' }).end(`${err.message}\n`);
  }
}).listen(port, address, () => process.stdout.write(`${unit} listening on ${address}:${port}, database at ${hosts.join(', ')}\n`));

for (const sig of ['SIGTERM', 'SIGINT']) process.on(sig, () => process.exit(0));
