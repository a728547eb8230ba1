/** The PostgreSQL store against the Store contract (test/contract/store.ts), on a real PostgreSQL: a database of its own per test. */
import { PostgresStore } from '../../src/controller/store/postgres.js';
import { storeContract } from '../contract/store.js';
import { freshDatabase, postgresMissing } from '../helpers/postgres.js';

const missing = await postgresMissing();

storeContract(
  'postgres',
  async () => {
    const db = await freshDatabase();
    let store = await PostgresStore.open(db.url, { max: 4 });
    return {
      get store() {
        return store;
      },
      reopen: async () => {
        await store.close();
        store = await PostgresStore.open(db.url, { max: 4 });
        return store;
      },
      cleanup: async () => {
        await store.close();
        await db.drop();
      },
    };
  },
  missing === undefined || process.env.HAFEN_REQUIRE_SYSTEM === '1' ? undefined : `${missing} (run scripts/start-services.sh)`,
);
