import Database from 'better-sqlite3';
import { describe, it } from 'vitest';
import { MemoryEventStore } from '../src/store/memoryEventStore.js';
import { SqliteEventStore } from '../src/store/sqliteEventStore.js';
import { expectVersionsAfterOldSnapshots, runEventStoreContract } from './eventStoreContract.js';
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

describe('SQLite event store file made before snapshots recorded schema versions', () => {
  it('STORE12: opens it, reads its snapshots (no version) and records versions from then on', async () => {
    const dir = tempDir();
    const path = `${dir.path}/old.db`;
    const old = new Database(path);
    old.exec(
      'CREATE TABLE snapshots (doc TEXT NOT NULL, seq INTEGER NOT NULL, state BLOB NOT NULL, PRIMARY KEY (doc, seq)) WITHOUT ROWID',
    );
    old
      .prepare('INSERT INTO snapshots (doc, seq, state) VALUES (?, ?, ?)')
      .run('product:old', 0, Buffer.from([5]));
    old.close();
    const store = new SqliteEventStore(path);
    try {
      await expectVersionsAfterOldSnapshots(store);
    } finally {
      await store.close();
      dir.remove();
    }
  });
});
