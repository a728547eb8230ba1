/**
 * A real PostgreSQL for tests: the local cluster scripts/start-services.sh starts, reached over
 * loopback as the role hafen_test (or HAFEN_TEST_PG, a URL to a database that role may create
 * databases from). Each test gets a database of its own, dropped afterwards.
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';

export const PG_URL = process.env.HAFEN_TEST_PG ?? 'postgres://hafen_test:hafen_test@127.0.0.1:5432/postgres';

/** Why PostgreSQL cannot be used here, or undefined when it can. */
export async function postgresMissing(): Promise<string | undefined> {
  const c = new pg.Client({ connectionString: PG_URL, connectionTimeoutMillis: 3000 });
  try {
    await c.connect();
    await c.query('SELECT 1');
    return undefined;
  } catch (err) {
    return `PostgreSQL is not reachable at ${PG_URL.replace(/:[^:@/]*@/, ':***@')} (${(err as Error).message})`;
  } finally {
    await c.end().catch(() => undefined);
  }
}

/** A fresh, empty database; `drop` ends its connections and removes it. */
export async function freshDatabase(): Promise<{ url: string; drop(): Promise<void> }> {
  const name = `hafen_t_${randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: PG_URL });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE ${name}`);
  } finally {
    await admin.end();
  }
  const url = new URL(PG_URL);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    drop: async () => {
      const c = new pg.Client({ connectionString: PG_URL });
      await c.connect();
      try {
        // An autovacuum worker in the database (it runs as a superuser) cannot be ended by this
        // role: FORCE then fails (42501) until the worker is done, which takes moments.
        for (let attempt = 1; ; attempt++) {
          try {
            await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
            return;
          } catch (err) {
            if ((err as { code?: string }).code !== '42501' || attempt >= 20) throw err;
            await new Promise((r) => setTimeout(r, 250));
          }
        }
      } finally {
        await c.end();
      }
    },
  };
}
