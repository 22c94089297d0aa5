/**
 * SQLite EventStore (better-sqlite3, WAL): the embedded default. One file in DATA_DIR. Appends of
 * a group commit run in one transaction with `synchronous=FULL`, so an acknowledged append survives
 * a crash of the process or the machine; for a file database that transaction runs on a worker
 * thread (sqliteAppendWorker.ts) so its fsync does not stall the event loop. Reads use the main
 * thread's connection (WAL readers see every committed append).
 */
import Database from 'better-sqlite3';
import {
  APPENDER_JS,
  SCHEMA_SQL,
  packBatches,
  unpackOutcomes,
  type PackedOutcome,
} from './sqliteAppend.js';
import { SqliteAppendWorker } from './sqliteAppendWorker.js';
import { SqliteTailReader } from './sqliteTail.js';
import type {
  BlameIndex,
  AppendBatch,
  AppendOutcome,
  ClientClaim,
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

const bytes = (b: Buffer) => new Uint8Array(b.buffer, b.byteOffset, b.byteLength);

function toEntry(row: LogRow): LogEntry {
  return {
    doc: row.doc,
    seq: row.seq,
    ts: row.ts,
    user: row.user,
    kind: row.kind,
    reason: row.reason ?? undefined,
    changes: JSON.parse(row.changes) as FieldChange[],
    update: bytes(row.update),
  };
}

type Appender = (batches: unknown, buf: ArrayBuffer) => PackedOutcome[];

export class SqliteEventStore implements EventStore {
  private readonly db: Database.Database;
  private readonly stmts;
  private readonly tail: SqliteTailReader;
  private readonly inline: Appender | undefined;
  private readonly writer: SqliteAppendWorker | undefined;

  /** `path` is a file path, or ':memory:' (appends then run inline: a worker cannot share it). */
  constructor(path: string, options: { synchronous?: 'FULL' | 'NORMAL'; worker?: boolean } = {}) {
    this.db = new Database(path);
    this.db.pragma('journal_mode = WAL');
    this.db.pragma(`synchronous = ${options.synchronous ?? 'FULL'}`);
    this.db.pragma('busy_timeout = 5000');
    this.db.exec(SCHEMA_SQL);
    // Files made before snapshots recorded their schema version (NULL: not recorded). Checked
    // and added under the write lock: another process may be opening the same file.
    this.db
      .transaction(() => {
        const columns = this.db.pragma('table_info(snapshots)') as { name: string }[];
        if (!columns.some((c) => c.name === 'schema'))
          this.db.exec('ALTER TABLE snapshots ADD COLUMN schema INTEGER');
      })
      .immediate();
    const useWorker = (options.worker ?? true) && path !== ':memory:' && path !== '';
    this.writer = useWorker
      ? new SqliteAppendWorker(path, options.synchronous ?? 'FULL')
      : undefined;
    // The same appender source the worker runs (one implementation of the append transaction).
    this.inline = useWorker
      ? undefined
      : (new Function('db', `${APPENDER_JS}; return makeAppender(db);`)(this.db) as Appender);
    const db = this.db;
    this.tail = new SqliteTailReader(db);
    this.stmts = {
      head: db.prepare<[string], { doc: string; seq: number; updated_at: number }>(
        'SELECT doc, seq, updated_at FROM docs WHERE doc = ?',
      ),
      snapshotAt: db.prepare<
        [string, number],
        { seq: number; state: Buffer; schema: number | null }
      >(
        'SELECT seq, state, schema FROM snapshots WHERE doc = ? AND seq <= ? ORDER BY seq DESC LIMIT 1',
      ),
      after: db.prepare<[string, number, number], LogRow>(
        'SELECT * FROM log WHERE doc = ? AND seq > ? ORDER BY seq LIMIT ?',
      ),
      before: db.prepare<[string, number, number], LogRow>(
        'SELECT * FROM log WHERE doc = ? AND seq < ? ORDER BY seq DESC LIMIT ?',
      ),
      owners: db.prepare<[string], { client: number; user: string }>(
        'SELECT client, user FROM client_owners WHERE doc = ?',
      ),
      saveSnapshot: db.prepare(
        'INSERT OR IGNORE INTO snapshots (doc, seq, state, schema) VALUES (?, ?, ?, ?)',
      ),
      list: db.prepare<[string, string], { doc: string; seq: number; updated_at: number }>(
        'SELECT doc, seq, updated_at FROM docs WHERE doc >= ? AND doc < ? ORDER BY doc',
      ),
      getIdem: db.prepare<[string], { response: string }>(
        'SELECT response FROM idempotency WHERE key = ?',
      ),
      getBlame: db.prepare<[string], { seq: number; fields: string }>(
        'SELECT seq, fields FROM blame WHERE doc = ?',
      ),
      putBlame: db.prepare(
        `INSERT INTO blame (doc, seq, fields) VALUES (?, ?, ?)
         ON CONFLICT(doc) DO UPDATE SET seq = excluded.seq, fields = excluded.fields
         WHERE excluded.seq > blame.seq`,
      ),
      putIdem: db.prepare(
        'INSERT OR IGNORE INTO idempotency (key, created_at, response) VALUES (?, ?, ?)',
      ),
    };
  }

  /** The append worker (file databases), for tests that make it die. */
  get appendWorker(): SqliteAppendWorker | undefined {
    return this.writer;
  }

  async append(batches: readonly AppendBatch[]): Promise<AppendOutcome[]> {
    if (this.writer) return this.writer.append(batches);
    const packed = packBatches(batches);
    return unpackOutcomes(batches, this.inline!(packed.batches, packed.buf));
  }

  async load(doc: string, atSeq = Number.MAX_SAFE_INTEGER) {
    const row = this.stmts.snapshotAt.get(doc, atSeq);
    const snapshot: Snapshot | undefined = row
      ? {
          seq: row.seq,
          state: bytes(row.state),
          ...(row.schema === null ? {} : { schemaVersion: row.schema }),
        }
      : undefined;
    return { snapshot, tail: await this.tail.readInTurns(doc, snapshot?.seq ?? 0, atSeq) };
  }

  async owners(doc: string): Promise<ClientClaim[]> {
    return this.stmts.owners.all(doc).map((r) => ({ client: r.client, user: r.user }));
  }

  async readLog(doc: string, afterSeq: number, limit: number): Promise<LogEntry[]> {
    return this.stmts.after.all(doc, afterSeq, limit).map(toEntry);
  }

  async readLogBackwards(doc: string, beforeSeq: number, limit: number): Promise<LogEntry[]> {
    return this.stmts.before.all(doc, beforeSeq, limit).map(toEntry);
  }

  async saveSnapshot(doc: string, snapshot: Snapshot): Promise<void> {
    this.stmts.saveSnapshot.run(
      doc,
      snapshot.seq,
      Buffer.from(snapshot.state),
      snapshot.schemaVersion ?? null,
    );
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

  async getBlame(doc: string): Promise<BlameIndex | undefined> {
    const row = this.stmts.getBlame.get(doc);
    return row
      ? { seq: row.seq, fields: JSON.parse(row.fields) as BlameIndex['fields'] }
      : undefined;
  }

  async putBlame(doc: string, index: BlameIndex): Promise<void> {
    this.stmts.putBlame.run(doc, index.seq, JSON.stringify(index.fields));
  }

  async ping(): Promise<boolean> {
    return this.db.open && (this.writer?.healthy ?? true);
  }

  async close(): Promise<void> {
    await this.writer?.close();
    if (this.db.open) this.db.close();
  }
}
