import { afterAll } from 'vitest';
import { PostgresReservationStore } from '../src/orders/postgresReservationStore.js';
import { SqliteReservationStore } from '../src/orders/sqliteReservationStore.js';
import { runReservationStoreContract } from './reservationStoreContract.js';
import { DATABASE_URL, dropSchema, uniqueName } from './scaleHelpers.js';
import { tempDir } from './helpers.js';

const schemas: string[] = [];
const dirs: { remove(): void }[] = [];
afterAll(async () => {
  for (const s of schemas) await dropSchema(s);
  for (const d of dirs) d.remove();
});

// SQLite serves one server alone: one store per ledger file.
runReservationStoreContract('sqlite (file, WAL)', async () => {
  const dir = tempDir();
  dirs.push(dir);
  return [new SqliteReservationStore(`${dir.path}/orders.db`)];
});

runReservationStoreContract('postgresql (one store per instance)', async (instances) => {
  const schema = uniqueName('concord_res');
  schemas.push(schema);
  const stores = [];
  for (let i = 0; i < instances; i++)
    stores.push(
      await PostgresReservationStore.connect({ connectionString: DATABASE_URL, schema, max: 4 }),
    );
  return stores;
});
