import { openDB, type DBSchema, type IDBPDatabase } from 'idb';
import {
  emptyMeta,
  isQuotaError,
  StorageFullError,
  type AppendEntry,
  type DocMeta,
  type DocStorage,
  type StoredDoc,
} from './docStorage';

interface UpdateRow {
  id?: number;
  doc: string;
  update: Uint8Array;
}

interface ConcordDb extends DBSchema {
  updates: { key: number; value: UpdateRow; indexes: { doc: string } };
  meta: { key: string; value: DocMeta };
  /** Documents with an append in flight (DERIVE2): marked with the update, cleared with the meta. */
  appending: { key: string; value: { doc: string } };
}

/**
 * IndexedDB DocStorage. `updates` is an auto-increment log indexed by document; `meta` holds one
 * record per document. Every multi-step operation is one IndexedDB transaction, so two tabs
 * writing at once never see half of the other's work.
 */
export class IdbStorage implements DocStorage {
  private constructor(private readonly db: IDBPDatabase<ConcordDb>) {}

  static async open(name: string): Promise<IdbStorage> {
    const db = await openDB<ConcordDb>(name, 2, {
      upgrade(database, oldVersion) {
        if (oldVersion < 1) {
          const updates = database.createObjectStore('updates', {
            keyPath: 'id',
            autoIncrement: true,
          });
          updates.createIndex('doc', 'doc');
          database.createObjectStore('meta', { keyPath: 'doc' });
        }
        if (oldVersion < 2) database.createObjectStore('appending', { keyPath: 'doc' });
      },
    });
    return new IdbStorage(db);
  }

  async loadUpdates(doc: string): Promise<Uint8Array[]> {
    const rows = await this.db.getAllFromIndex('updates', 'doc', doc);
    return rows.sort((a, b) => (a.id ?? 0) - (b.id ?? 0)).map((r) => r.update);
  }

  appendUpdate(
    doc: string,
    update: Uint8Array,
    change: (old: DocMeta) => DocMeta = (m) => m,
  ): Promise<DocMeta> {
    // Created now (not after an await): transactions run in the order they were created. The
    // update and the in-flight mark are requested at once; the metadata needs a read first, and a
    // page closing in between commits the first two: the mark says what to derive again.
    const tx = this.db.transaction(['updates', 'meta', 'appending'], 'readwrite');
    const meta = tx.objectStore('meta');
    const added = tx.objectStore('updates').add({ doc, update });
    const marked = tx.objectStore('appending').put({ doc });
    const done = (async () => {
      await Promise.all([added, marked]);
      const old = (await meta.get(doc)) ?? emptyMeta(doc);
      const next = { ...change(old), stored: (old.stored ?? 0) + 1 };
      await Promise.all([meta.put(next), tx.objectStore('appending').delete(doc)]);
      await guard(tx.done);
      return next;
    })();
    return done.catch(async (error: unknown) => {
      await tx.done.catch(() => undefined);
      throw isQuotaError(error) ? new StorageFullError(error) : error;
    });
  }

  appendMany(entries: readonly AppendEntry[]): Promise<DocMeta[]> {
    const tx = this.db.transaction(['updates', 'meta', 'appending'], 'readwrite');
    const meta = tx.objectStore('meta');
    const updates = tx.objectStore('updates');
    const appending = tx.objectStore('appending');
    // Every request is issued at once, in order: one transaction, no round trip per document.
    const written = Promise.all(
      entries.flatMap(({ doc, update }) => [updates.add({ doc, update }), appending.put({ doc })]),
    );
    const docs = [...new Set(entries.map((e) => e.doc))];
    const writes = (async () => {
      const olds = await Promise.all(docs.map((doc) => meta.get(doc)));
      const latest = new Map(docs.map((doc, i) => [doc, olds[i] ?? emptyMeta(doc)]));
      await written;
      const metas = entries.map(({ doc, change = (m: DocMeta) => m }) => {
        const old = latest.get(doc)!;
        const next = { ...change(old), stored: (old.stored ?? 0) + 1 };
        latest.set(doc, next);
        return next;
      });
      await Promise.all([
        ...[...latest.values()].map((m) => meta.put(m)),
        ...docs.map((doc) => appending.delete(doc)),
      ]);
      return metas;
    })();
    const done = (async () => {
      const metas = await writes;
      await guard(tx.done);
      return metas;
    })();
    return done.catch(async (error: unknown) => {
      await tx.done.catch(() => undefined);
      throw isQuotaError(error) ? new StorageFullError(error) : error;
    });
  }

  async readMany(docs: readonly string[]): Promise<Map<string, StoredDoc>> {
    const tx = this.db.transaction(['updates', 'meta'], 'readonly');
    const index = tx.objectStore('updates').index('doc');
    const metaStore = tx.objectStore('meta');
    const read = await Promise.all(
      docs.map(async (doc) => {
        const [rows, meta] = await Promise.all([index.getAll(doc), metaStore.get(doc)]);
        const updates = rows.sort((a, b) => (a.id ?? 0) - (b.id ?? 0)).map((r) => r.update);
        return [doc, { updates, ...(meta ? { meta } : {}) }] as const;
      }),
    );
    await tx.done;
    return new Map(read);
  }

  async countUpdates(doc: string): Promise<number> {
    return this.db.countFromIndex('updates', 'doc', doc);
  }

  async compact(doc: string, merge: (updates: Uint8Array[]) => Uint8Array): Promise<void> {
    const tx = this.db.transaction('updates', 'readwrite');
    const index = tx.store.index('doc');
    // Keys and values are read in the same transaction that deletes them: an append from another
    // tab either lands before (and is merged) or waits for this transaction (and is kept).
    const [keys, rows] = await Promise.all([index.getAllKeys(doc), index.getAll(doc)]);
    if (rows.length < 2) {
      await tx.done;
      return;
    }
    const merged = merge(rows.sort((a, b) => (a.id ?? 0) - (b.id ?? 0)).map((r) => r.update));
    await Promise.all([
      ...keys.map((k) => tx.store.delete(k)),
      tx.store.add({ doc, update: merged }),
    ]);
    await guard(tx.done);
  }

  async listDocs(prefix = ''): Promise<string[]> {
    const names = new Set<string>();
    const range = prefixRange(prefix);
    for (const key of await this.db.getAllKeys('meta', range)) names.add(key);
    let cursor = await this.db
      .transaction('updates')
      .store.index('doc')
      .openKeyCursor(range, 'nextunique');
    while (cursor) {
      names.add(cursor.key);
      cursor = await cursor.continue();
    }
    return [...names].sort();
  }

  async getMeta(doc: string): Promise<DocMeta | undefined> {
    return this.db.get('meta', doc);
  }

  async updateMeta(doc: string, change: (old: DocMeta) => DocMeta): Promise<DocMeta> {
    const tx = this.db.transaction('meta', 'readwrite');
    const old = (await tx.store.get(doc)) ?? emptyMeta(doc);
    const next = change(old);
    await tx.store.put(next);
    await guard(tx.done);
    return next;
  }

  async allMeta(prefix = ''): Promise<DocMeta[]> {
    return this.db.getAll('meta', prefixRange(prefix));
  }

  async interrupted(): Promise<string[]> {
    return this.db.getAllKeys('appending');
  }

  async repaired(doc: string, change: (old: DocMeta) => DocMeta): Promise<DocMeta> {
    const tx = this.db.transaction(['meta', 'appending'], 'readwrite');
    const old = (await tx.objectStore('meta').get(doc)) ?? emptyMeta(doc);
    const next = change(old);
    await Promise.all([tx.objectStore('meta').put(next), tx.objectStore('appending').delete(doc)]);
    await guard(tx.done);
    return next;
  }

  close(): void {
    this.db.close();
  }
}

function prefixRange(prefix: string): IDBKeyRange | undefined {
  return prefix ? IDBKeyRange.bound(prefix, `${prefix}\uffff`) : undefined;
}

async function guard<T>(p: Promise<T>): Promise<T> {
  try {
    return await p;
  } catch (error) {
    if (isQuotaError(error)) throw new StorageFullError(error);
    throw error;
  }
}
