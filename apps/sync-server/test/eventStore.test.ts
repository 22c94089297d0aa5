import { MemoryEventStore } from '../src/store/memoryEventStore.js';
import { SqliteEventStore } from '../src/store/sqliteEventStore.js';
import { runEventStoreContract } from './eventStoreContract.js';
import { tempDir } from './helpers.js';

runEventStoreContract('memory', async () => new MemoryEventStore());
runEventStoreContract('sqlite (:memory:)', async () => new SqliteEventStore(':memory:'));
runEventStoreContract('sqlite (file, WAL)', async () => {
  const dir = tempDir();
  const store = new SqliteEventStore(`${dir.path}/log.db`);
  const close = store.close.bind(store);
  store.close = async () => {
    await close();
    dir.remove();
  };
  return store;
});
