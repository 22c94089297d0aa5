/**
 * SQLite EventStore (better-sqlite3, WAL): the embedded default. One file in DATA_DIR. Appends of
 * a group commit run in one transaction with `synchronous=FULL`, so an acknowledged append survives
 * a crash of the process or the machine; for a file database that transaction runs on a worker
 * thread (sqliteAppendWorker.ts) so its fsync does not stall the event loop. Reads use the main
 * thread's connection (WAL readers see every committed append).
 */
import Database from 'better-sqlite3';
import { APPEND_SQL, SqliteAppendWorker } from './sqliteAppendWorker.js';
import type {
  AppendBatch,
  DocHead,
  EventStore,
  FieldChange,
  LogEntry,
  Snapshot,
  StoredResponse,
} from './eventStore.js';

interface LogRow {
  doc: string;
  seq: number;
  ts: number;
  user: string;
  kind: LogEntry['kind'];
  reason: string | null;
  changes: string;
  update: Buffer;
}

const SCHEMA = `
CREATE TABLE IF NOT EXISTS docs (doc TEXT PRIMARY KEY, seq INTEGER NOT NULL, updated_at INTEGER NOT NULL) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS log (
  doc TEXT NOT NULL, seq INTEGER NOT NULL, ts INTEGER NOT NULL, user TEXT NOT NULL, kind TEXT NOT NULL,
  reason TEXT, changes TEXT NOT NULL, "update" BLOB NOT NULL, PRIMARY KEY (doc, seq)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS snapshots (doc TEXT NOT NULL, seq INTEGER NOT NULL, state BLOB NOT NULL, PRIMARY KEY (doc, seq)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS idempotency (key TEXT PRIMARY KEY, created_at INTEGER NOT NULL, response TEXT NOT NULL) WITHOUT ROWID;
`;

function toEntry(row: LogRow): LogEntry {
  return {
    doc: row.doc,
    seq: row.seq,
    ts: row.ts,
    user: row.user,
    kind: row.kind,
    reason: row.reason ?? undefined,
    changes: JSON.parse(row.changes) as FieldChange[],
    update: new Uint8Array(row.update.buffer, row.update.byteOffset, row.update.byteLength),
  };
}

export class SqliteEventStore implements EventStore {
  private readonly db: Database.Database;
  private readonly stmts;
  private readonly appendTx: (batches: readonly AppendBatch[]) => LogEntry[][];
  private readonly writer: SqliteAppendWorker | undefined;

  /** `path` is a file path, or ':memory:' (appends then run inline: a worker cannot share it). */
  constructor(path: string, options: { synchronous?: 'FULL' | 'NORMAL'; worker?: boolean } = {}) {
    this.db = new Database(path);
    this.db.pragma('journal_mode = WAL');
    this.db.pragma(`synchronous = ${options.synchronous ?? 'FULL'}`);
    this.db.pragma('busy_timeout = 5000');
    this.db.exec(SCHEMA);
    const useWorker = (options.worker ?? true) && path !== ':memory:' && path !== '';
    this.writer = useWorker
      ? new SqliteAppendWorker(path, options.synchronous ?? 'FULL')
      : undefined;
    const db = this.db;
    this.stmts = {
      head: db.prepare<[string], { doc: string; seq: number; updated_at: number }>(
        'SELECT doc, seq, updated_at FROM docs WHERE doc = ?',
      ),
      upsertHead: db.prepare(APPEND_SQL.upsertHead),
      insert: db.prepare(APPEND_SQL.insert),
      snapshotAt: db.prepare<[string, number], { seq: number; state: Buffer }>(
        'SELECT seq, state FROM snapshots WHERE doc = ? AND seq <= ? ORDER BY seq DESC LIMIT 1',
      ),
      range: db.prepare<[string, number, number], LogRow>(
        'SELECT * FROM log WHERE doc = ? AND seq > ? AND seq <= ? ORDER BY seq',
      ),
      after: db.prepare<[string, number, number], LogRow>(
        'SELECT * FROM log WHERE doc = ? AND seq > ? ORDER BY seq LIMIT ?',
      ),
      saveSnapshot: db.prepare(
        'INSERT OR IGNORE INTO snapshots (doc, seq, state) VALUES (?, ?, ?)',
      ),
      list: db.prepare<[string, string], { doc: string; seq: number; updated_at: number }>(
        'SELECT doc, seq, updated_at FROM docs WHERE doc >= ? AND doc < ? ORDER BY doc',
      ),
      getIdem: db.prepare<[string], { response: string }>(
        'SELECT response FROM idempotency WHERE key = ?',
      ),
      putIdem: db.prepare(
        'INSERT OR IGNORE INTO idempotency (key, created_at, response) VALUES (?, ?, ?)',
      ),
    };
    this.appendTx = db.transaction((batches: readonly AppendBatch[]) =>
      batches.map(({ doc, entries }) => {
        let seq = this.stmts.head.get(doc)?.seq ?? 0;
        const written: LogEntry[] = [];
        for (const e of entries) {
          seq += 1;
          this.stmts.insert.run(
            doc,
            seq,
            e.ts,
            e.user,
            e.kind,
            e.reason ?? null,
            JSON.stringify(e.changes),
            Buffer.from(e.update.buffer, e.update.byteOffset, e.update.byteLength),
          );
          written.push({ ...e, doc, seq });
        }
        const last = written.at(-1);
        if (last) this.stmts.upsertHead.run(doc, last.seq, last.ts);
        return written;
      }),
    );
  }

  async append(batches: readonly AppendBatch[]): Promise<LogEntry[][]> {
    if (!this.writer) return this.appendTx(batches);
    const firsts = await this.writer.append(batches);
    return batches.map(({ doc, entries }, i) =>
      entries.map((e, j) => ({ ...e, doc, seq: (firsts[i] ?? 1) + j })),
    );
  }

  async load(doc: string, atSeq = Number.MAX_SAFE_INTEGER) {
    const row = this.stmts.snapshotAt.get(doc, atSeq);
    const snapshot: Snapshot | undefined = row
      ? {
          seq: row.seq,
          state: new Uint8Array(row.state.buffer, row.state.byteOffset, row.state.byteLength),
        }
      : undefined;
    const tail = this.stmts.range.all(doc, snapshot?.seq ?? 0, atSeq).map(toEntry);
    return { snapshot, tail };
  }

  async readLog(doc: string, afterSeq: number, limit: number): Promise<LogEntry[]> {
    return this.stmts.after.all(doc, afterSeq, limit).map(toEntry);
  }

  async saveSnapshot(doc: string, snapshot: Snapshot): Promise<void> {
    this.stmts.saveSnapshot.run(doc, snapshot.seq, Buffer.from(snapshot.state));
  }

  async head(doc: string): Promise<DocHead | undefined> {
    const row = this.stmts.head.get(doc);
    return row ? { doc: row.doc, seq: row.seq, updatedAt: row.updated_at } : undefined;
  }

  async listDocs(prefix: string): Promise<DocHead[]> {
    return this.stmts.list
      .all(prefix, `${prefix}\uffff`)
      .map((r) => ({ doc: r.doc, seq: r.seq, updatedAt: r.updated_at }));
  }

  async getIdempotent(key: string): Promise<StoredResponse | undefined> {
    const row = this.stmts.getIdem.get(key);
    return row ? (JSON.parse(row.response) as StoredResponse) : undefined;
  }

  async putIdempotent(key: string, response: StoredResponse): Promise<StoredResponse> {
    this.stmts.putIdem.run(key, Date.now(), JSON.stringify(response));
    return (await this.getIdempotent(key)) ?? response;
  }

  async ping(): Promise<boolean> {
    return this.db.open;
  }

  async close(): Promise<void> {
    await this.writer?.close();
    if (this.db.open) this.db.close();
  }
}
