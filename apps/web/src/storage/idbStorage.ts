import { openDB, unwrap, type DBSchema, type IDBPDatabase } from 'idb';
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
export interface IdbStorageOptions {
  /** The browser closed the connection (WebKit does, and so does clearing site data) and it was reopened. */
  readonly onReconnect?: () => void;
}

const VERSION = 2;

function openDatabase(name: string, onLost: () => void): Promise<IDBPDatabase<ConcordDb>> {
  return openDB<ConcordDb>(name, VERSION, {
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
    // Closed by the browser, not by us: the next operation reopens it.
    terminated: onLost,
  }).catch((error: unknown) => {
    if ((error as { name?: string }).name === 'VersionError')
      throw new Error(
        'A newer version of Concord has updated the storage on this device: reload the page.',
        { cause: error },
      );
    throw error;
  });
}

/** The connection is gone (closed, or lost by the browser), not the operation at fault. */
function connectionLost(error: unknown): boolean {
  const name = (error as { name?: string } | null)?.name;
  return name === 'InvalidStateError' || name === 'UnknownError';
}

/** A transaction aborted without a fault of its own (the connection closed under it). */
function aborted(error: unknown): boolean {
  return (error as { name?: string } | null)?.name === 'AbortError';
}

/**
 * IndexedDB DocStorage. `updates` is an auto-increment log indexed by document; `meta` holds one
 * record per document. Every multi-step operation is one IndexedDB transaction, so two tabs
 * writing at once never see half of the other's work. When the browser closes the connection
 * (WebKit does under memory pressure), the failed operation is retried once on a reopened
 * connection: committed data is never lost, and an aborted transaction wrote nothing.
 */
export class IdbStorage implements DocStorage {
  private reopening: Promise<IDBPDatabase<ConcordDb>> | undefined;
  private closed = false;

  private constructor(
    private readonly name: string,
    private db: IDBPDatabase<ConcordDb>,
    private readonly options: IdbStorageOptions,
  ) {}

  static async open(name: string, options: IdbStorageOptions = {}): Promise<IdbStorage> {
    const made: { storage?: IdbStorage } = {};
    const db = await openDatabase(name, () => made.storage?.lost(db));
    made.storage = new IdbStorage(name, db, options);
    return made.storage;
  }

  /** The browser closed `db`: reopen, unless it is a connection already replaced. */
  private lost(db: IDBPDatabase<ConcordDb>): void {
    if (!this.closed && db === this.db) void this.reconnect().catch(() => undefined);
  }

  private reconnect(): Promise<IDBPDatabase<ConcordDb>> {
    const opening: { db?: IDBPDatabase<ConcordDb> } = {};
    this.reopening ??= openDatabase(this.name, () => {
      if (opening.db) this.lost(opening.db);
    }).then(
      (db) => {
        opening.db = db;
        this.db = db;
        this.reopening = undefined;
        this.options.onReconnect?.();
        return db;
      },
      (error: unknown) => {
        this.reopening = undefined;
        throw error;
      },
    );
    return this.reopening;
  }

  /**
   * Runs `op` on the connection — at once when it is open, so transactions keep the order of the
   * calls — and once more on a reopened connection if the browser closed it: between operations
   * (the call fails at once) or under one (its transaction aborts, and wrote nothing).
   */
  private run<T>(op: (db: IDBPDatabase<ConcordDb>) => Promise<T>): Promise<T> {
    const attempt = (): Promise<T> => {
      try {
        return this.reopening ? this.reopening.then(op) : op(this.db);
      } catch (error) {
        return Promise.reject(error);
      }
    };
    const again = async (error: unknown): Promise<T> => {
      if (this.closed || !connectionLost(error)) throw error;
      return op(await this.reconnect());
    };
    return attempt()
      .catch(async (error: unknown) => {
        if (this.closed || !aborted(error)) return again(error);
        // Aborted: if by a closing connection, its close event may still be on its way.
        await new Promise((resolve) => setTimeout(resolve, 0));
        return attempt().catch(again);
      })
      .catch((error: unknown) => {
        throw isQuotaError(error) ? new StorageFullError(error) : error;
      });
  }

  /** For tests: the browser closing the connection under us (by default, between operations). */
  simulateConnectionLoss(close: (db: IDBDatabase) => void = (db) => db.close()): void {
    close(unwrap(this.db));
  }

  loadUpdates(doc: string): Promise<Uint8Array[]> {
    return this.run(async (db) => {
      const rows = await db.getAllFromIndex('updates', 'doc', doc);
      return rows.sort((a, b) => (a.id ?? 0) - (b.id ?? 0)).map((r) => r.update);
    });
  }

  appendUpdate(
    doc: string,
    update: Uint8Array,
    change: (old: DocMeta) => DocMeta = (m) => m,
  ): Promise<DocMeta> {
    return this.run((db) => {
      // Two transactions, both created now (not after an await), so they run in the order of the
      // calls. The first holds the update and the in-flight mark, every request issued at once
      // and committed explicitly: no round trip to the page stands between an edit and the disk.
      // The second reads and rewrites the metadata; a page closing before it commits leaves the
      // mark, and the next start derives the metadata again from the updates (DERIVE2).
      const write = db.transaction(['updates', 'appending'], 'readwrite');
      // Their outcome is the transaction's (write.done).
      write
        .objectStore('updates')
        .add({ doc, update })
        .catch(() => undefined);
      write
        .objectStore('appending')
        .put({ doc })
        .catch(() => undefined);
      write.commit();
      const tx = db.transaction(['meta', 'appending'], 'readwrite');
      const meta = tx.objectStore('meta');
      const old = meta.get(doc);
      // The second runs after the first has finished (their scopes overlap): it counts the
      // update only if the update was written.
      let written = true;
      const stored = write.done.catch((error: unknown) => {
        written = false;
        throw error;
      });
      const counted = committed(tx, async () => {
        const before = (await old) ?? emptyMeta(doc);
        if (!written) return before;
        const next = { ...change(before), stored: (before.stored ?? 0) + 1 };
        await Promise.all([meta.put(next), tx.objectStore('appending').delete(doc)]);
        return next;
      });
      return Promise.all([committed(write, () => stored), counted]).then(([, next]) => next);
    });
  }

  appendMany(entries: readonly AppendEntry[]): Promise<DocMeta[]> {
    return this.run((db) => {
      // Created now: transactions run in the order they were created. The metadata is read
      // first; then every update and every new metadata record is requested in one burst, so no
      // update is ever committed without its metadata (no in-flight mark needed).
      const tx = db.transaction(['updates', 'meta'], 'readwrite');
      const meta = tx.objectStore('meta');
      const updates = tx.objectStore('updates');
      const docs = [...new Set(entries.map((e) => e.doc))];
      const olds = docs.map((doc) => meta.get(doc));
      return committed(tx, async () => {
        const read = await Promise.all(olds);
        const latest = new Map(docs.map((doc, i) => [doc, read[i] ?? emptyMeta(doc)]));
        const metas = entries.map(({ doc, change = (m: DocMeta) => m }) => {
          const old = latest.get(doc)!;
          const next = { ...change(old), stored: (old.stored ?? 0) + 1 };
          latest.set(doc, next);
          return next;
        });
        await Promise.all([
          ...entries.map(({ doc, update }) => updates.add({ doc, update })),
          ...[...latest.values()].map((m) => meta.put(m)),
        ]);
        return metas;
      });
    });
  }

  readMany(docs: readonly string[]): Promise<Map<string, StoredDoc>> {
    return this.run(async (db) => {
      const tx = db.transaction(['updates', 'meta'], 'readonly');
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
    });
  }

  countUpdates(doc: string): Promise<number> {
    return this.run((db) => db.countFromIndex('updates', 'doc', doc));
  }

  compact(doc: string, merge: (updates: Uint8Array[]) => Uint8Array): Promise<void> {
    return this.run((db) => {
      const tx = db.transaction('updates', 'readwrite');
      const index = tx.store.index('doc');
      return committed(tx, async () => {
        // Keys and values are read in the same transaction that deletes them: an append from
        // another tab either lands before (and is merged) or waits for this one (and is kept).
        const [keys, rows] = await Promise.all([index.getAllKeys(doc), index.getAll(doc)]);
        if (rows.length < 2) return;
        const merged = merge(rows.sort((a, b) => (a.id ?? 0) - (b.id ?? 0)).map((r) => r.update));
        await Promise.all([
          ...keys.map((k) => tx.store.delete(k)),
          tx.store.add({ doc, update: merged }),
        ]);
      });
    });
  }

  listDocs(prefix = ''): Promise<string[]> {
    return this.run(async (db) => {
      const names = new Set<string>();
      const range = prefixRange(prefix);
      for (const key of await db.getAllKeys('meta', range)) names.add(key);
      let cursor = await db
        .transaction('updates')
        .store.index('doc')
        .openKeyCursor(range, 'nextunique');
      while (cursor) {
        names.add(cursor.key);
        cursor = await cursor.continue();
      }
      return [...names].sort();
    });
  }

  getMeta(doc: string): Promise<DocMeta | undefined> {
    return this.run((db) => db.get('meta', doc));
  }

  updateMeta(doc: string, change: (old: DocMeta) => DocMeta): Promise<DocMeta> {
    return this.run((db) => {
      const tx = db.transaction('meta', 'readwrite');
      return committed(tx, async () => {
        const next = change((await tx.store.get(doc)) ?? emptyMeta(doc));
        await tx.store.put(next);
        return next;
      });
    });
  }

  allMeta(prefix = ''): Promise<DocMeta[]> {
    return this.run((db) => db.getAll('meta', prefixRange(prefix)));
  }

  interrupted(): Promise<string[]> {
    return this.run((db) => db.getAllKeys('appending'));
  }

  repaired(doc: string, change: (old: DocMeta) => DocMeta): Promise<DocMeta> {
    return this.run((db) => {
      const tx = db.transaction(['meta', 'appending'], 'readwrite');
      return committed(tx, async () => {
        const next = change((await tx.objectStore('meta').get(doc)) ?? emptyMeta(doc));
        await Promise.all([
          tx.objectStore('meta').put(next),
          tx.objectStore('appending').delete(doc),
        ]);
        return next;
      });
    });
  }

  close(): void {
    this.closed = true;
    this.db.close();
  }
}

/**
 * The result of `work` once its transaction has committed; a full disk is a StorageFullError.
 * A failed request aborts the transaction, so nothing of it was written.
 */
async function committed<T>(
  tx: { readonly done: Promise<void>; readonly error: DOMException | null },
  work: () => Promise<T>,
): Promise<T> {
  try {
    const result = await work();
    await tx.done;
    return result;
  } catch (error) {
    await tx.done.catch(() => undefined);
    // A request aborted with its transaction: the transaction's error says why (a full disk).
    const cause = aborted(error) && tx.error ? tx.error : error;
    throw isQuotaError(cause) ? new StorageFullError(cause) : cause;
  }
}

function prefixRange(prefix: string): IDBKeyRange | undefined {
  return prefix ? IDBKeyRange.bound(prefix, `${prefix}\uffff`) : undefined;
}
