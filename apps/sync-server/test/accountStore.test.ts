import { afterAll } from 'vitest';
import { PostgresAccountStore } from '../src/accounts/postgresAccountStore.js';
import { SqliteAccountStore } from '../src/accounts/sqliteAccountStore.js';
import { runAccountStoreContract } from './accountStoreContract.js';
import { DATABASE_URL, dropSchema, uniqueName } from './scaleHelpers.js';
import { tempDir } from './helpers.js';

const schemas: string[] = [];
afterAll(async () => {
  for (const s of schemas) await dropSchema(s);
});

runAccountStoreContract('sqlite (file, WAL)', async () => {
  const dir = tempDir();
  const store = new SqliteAccountStore(`${dir.path}/accounts.db`);
  const close = store.close.bind(store);
  store.close = async () => {
    await close();
    dir.remove();
  };
  return store;
});

runAccountStoreContract('postgresql', async () => {
  const schema = uniqueName('concord_acc');
  schemas.push(schema);
  return PostgresAccountStore.connect({ connectionString: DATABASE_URL, schema });
});
