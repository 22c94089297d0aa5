/**
 * The SQLite append path on a worker thread: the group commit's transaction and its fsync
 * (`synchronous=FULL`) run off the event loop, so sockets keep being served while a commit is on
 * disk. The worker's source is plain JavaScript evaluated by `new Worker(…, {eval: true})`, which
 * works the same from TypeScript sources (tests) and from the build.
 */
import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';
import type { AppendBatch } from './eventStore.js';

export const APPEND_SQL = {
  head: 'SELECT seq FROM docs WHERE doc = ?',
  insert:
    'INSERT INTO log (doc, seq, ts, user, kind, reason, changes, "update") VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
  upsertHead:
    'INSERT INTO docs (doc, seq, updated_at) VALUES (?, ?, ?) ON CONFLICT(doc) DO UPDATE SET seq = excluded.seq, updated_at = excluded.updated_at',
} as const;

const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const Database = require(workerData.driver);
const db = new Database(workerData.path);
db.pragma('journal_mode = WAL');
db.pragma('synchronous = ' + workerData.synchronous);
db.pragma('busy_timeout = 5000');
const head = db.prepare(workerData.sql.head);
const insert = db.prepare(workerData.sql.insert);
const upsertHead = db.prepare(workerData.sql.upsertHead);
const append = db.transaction((batches) => batches.map(({ doc, entries }) => {
  const first = (head.get(doc)?.seq ?? 0) + 1;
  let seq = first - 1;
  for (const e of entries) {
    seq += 1;
    insert.run(doc, seq, e.ts, e.user, e.kind, e.reason ?? null, JSON.stringify(e.changes), Buffer.from(e.update.buffer, e.update.byteOffset, e.update.byteLength));
  }
  if (entries.length > 0) upsertHead.run(doc, seq, entries[entries.length - 1].ts);
  return first;
}));
parentPort.on('message', ({ id, batches }) => {
  if (batches === null) { db.close(); parentPort.postMessage({ id, closed: true }); return; }
  try { parentPort.postMessage({ id, firsts: append(batches) }); }
  catch (error) { parentPort.postMessage({ id, error: String(error && error.message || error) }); }
});
`;

interface Reply {
  id: number;
  firsts?: number[];
  error?: string;
  closed?: boolean;
}

/** Runs appends on a worker thread; resolves with the first sequence number of each batch. */
export class SqliteAppendWorker {
  private readonly worker: Worker;
  private readonly pending = new Map<number, { resolve(r: Reply): void; reject(e: Error): void }>();
  private nextId = 1;

  constructor(path: string, synchronous: 'FULL' | 'NORMAL') {
    const driver = createRequire(import.meta.url).resolve('better-sqlite3');
    this.worker = new Worker(WORKER_SOURCE, {
      eval: true,
      workerData: { path, synchronous, driver, sql: APPEND_SQL },
    });
    this.worker.on('message', (reply: Reply) => {
      const p = this.pending.get(reply.id);
      this.pending.delete(reply.id);
      p?.resolve(reply);
    });
    this.worker.on('error', (error) => this.failAll(error));
    this.worker.on('exit', () => this.failAll(new Error('SQLite append worker exited')));
  }

  async append(batches: readonly AppendBatch[]): Promise<number[]> {
    const reply = await this.call(batches);
    if (reply.error !== undefined) throw new Error(reply.error);
    return reply.firsts ?? [];
  }

  async close(): Promise<void> {
    await this.call(null).catch(() => undefined);
    await this.worker.terminate();
  }

  private call(batches: readonly AppendBatch[] | null): Promise<Reply> {
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.worker.postMessage({ id, batches });
    });
  }

  private failAll(error: Error): void {
    for (const p of this.pending.values()) p.reject(error);
    this.pending.clear();
  }
}
