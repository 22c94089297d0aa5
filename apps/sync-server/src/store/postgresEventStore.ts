/**
 * PostgreSQL EventStore: the scale-out log, shared by every instance. Same semantics as the SQLite
 * store (one contract suite checks both). All tables live in one schema (default `concord`), so
 * tests and parallel deployments can share a database.
 *
 * Gap-free per-document sequences under concurrency: an append transaction bumps the document's
 * row in `docs` with `INSERT ... ON CONFLICT DO UPDATE SET seq = docs.seq + n RETURNING seq`. The
 * upsert takes the row lock, so concurrent appenders to one document (from any instance) queue on
 * it and each gets its own contiguous range; documents are locked in name order, so multi-document
 * group commits cannot deadlock one another.
 */
import pg from 'pg';
import type {
  AppendBatch,
  DocHead,
  EventStore,
  FieldChange,
  LogEntry,
  Snapshot,
  StoredResponse,
} from './eventStore.js';

export interface PostgresEventStoreOptions {
  /** postgres://user@host:port/db */
  readonly connectionString: string;
  /** Schema holding the tables; created if missing. Lower-case letters, digits, underscores. */
  readonly schema?: string;
  /** Pool size (default 10). */
  readonly max?: number;
}

interface LogRow {
  doc: string;
  seq: string;
  ts: string;
  user: string;
  kind: LogEntry['kind'];
  reason: string | null;
  changes: FieldChange[];
  update: Buffer;
}

const toBytes = (b: Buffer) => new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
const toBuffer = (u: Uint8Array) => Buffer.from(u.buffer, u.byteOffset, u.byteLength);

function toEntry(row: LogRow): LogEntry {
  return {
    doc: row.doc,
    seq: Number(row.seq),
    ts: Number(row.ts),
    user: row.user,
    kind: row.kind,
    reason: row.reason ?? undefined,
    changes: row.changes,
    update: toBytes(row.update),
  };
}

function schemaDdl(s: string): string {
  return `
CREATE SCHEMA IF NOT EXISTS ${s};
CREATE TABLE IF NOT EXISTS ${s}.docs (
  doc text PRIMARY KEY, seq bigint NOT NULL, updated_at bigint NOT NULL);
CREATE TABLE IF NOT EXISTS ${s}.log (
  doc text NOT NULL, seq bigint NOT NULL, ts bigint NOT NULL, "user" text NOT NULL,
  kind text NOT NULL, reason text, changes jsonb NOT NULL, update bytea NOT NULL,
  PRIMARY KEY (doc, seq));
CREATE TABLE IF NOT EXISTS ${s}.snapshots (
  doc text NOT NULL, seq bigint NOT NULL, state bytea NOT NULL, PRIMARY KEY (doc, seq));
CREATE TABLE IF NOT EXISTS ${s}.idempotency (
  key text PRIMARY KEY, created_at bigint NOT NULL, response jsonb NOT NULL);
`;
}

export class PostgresEventStore implements EventStore {
  readonly schema: string;
  private readonly pool: pg.Pool;
  private closed = false;

  private constructor(pool: pg.Pool, schema: string) {
    this.pool = pool;
    this.schema = schema;
  }

  /** Connect and create the schema and tables if missing (safe to race from several instances). */
  static async connect(options: PostgresEventStoreOptions): Promise<PostgresEventStore> {
    const schema = options.schema ?? 'concord';
    if (!/^[a-z_][a-z0-9_]{0,62}$/.test(schema)) throw new Error(`invalid schema name: ${schema}`);
    const pool = new pg.Pool({
      connectionString: options.connectionString,
      max: options.max ?? 10,
      connectionTimeoutMillis: 5_000,
    });
    // An idle client losing its connection must not crash the process; the pool replaces it.
    pool.on('error', () => {});
    const store = new PostgresEventStore(pool, schema);
    try {
      await store.tx(async (c) => {
        await c.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`concord-ddl:${schema}`]);
        await c.query(schemaDdl(`"${schema}"`));
      });
    } catch (error) {
      await pool.end();
      throw error;
    }
    return store;
  }

  private get s(): string {
    return `"${this.schema}"`;
  }

  private async tx<T>(fn: (client: pg.PoolClient) => Promise<T>): Promise<T> {
    const client = await this.pool.connect();
    try {
      await client.query('BEGIN');
      const result = await fn(client);
      await client.query('COMMIT');
      return result;
    } catch (error) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw error;
    } finally {
      client.release();
    }
  }

  async append(batches: readonly AppendBatch[]): Promise<LogEntry[][]> {
    const order = batches
      .map((b, i) => ({ b, i }))
      .filter(({ b }) => b.entries.length > 0)
      .sort((x, y) => (x.b.doc < y.b.doc ? -1 : x.b.doc > y.b.doc ? 1 : x.i - y.i));
    const out: LogEntry[][] = batches.map(() => []);
    if (order.length === 0) return out;
    await this.tx(async (c) => {
      for (const { b, i } of order) {
        const n = b.entries.length;
        const last = b.entries[n - 1]!;
        const head = await c.query<{ seq: string }>(
          `INSERT INTO ${this.s}.docs (doc, seq, updated_at) VALUES ($1, $2, $3)
           ON CONFLICT (doc) DO UPDATE SET seq = docs.seq + $2, updated_at = EXCLUDED.updated_at
           RETURNING seq`,
          [b.doc, n, last.ts],
        );
        const first = Number(head.rows[0]!.seq) - n + 1;
        const written = b.entries.map((e, k) => ({ ...e, doc: b.doc, seq: first + k }));
        await c.query(
          `INSERT INTO ${this.s}.log (doc, seq, ts, "user", kind, reason, changes, update)
           SELECT $1, * FROM unnest($2::bigint[], $3::bigint[], $4::text[], $5::text[], $6::text[],
                                    $7::jsonb[], $8::bytea[])`,
          [
            b.doc,
            written.map((e) => e.seq),
            written.map((e) => e.ts),
            written.map((e) => e.user),
            written.map((e) => e.kind),
            written.map((e) => e.reason ?? null),
            written.map((e) => JSON.stringify(e.changes)),
            written.map((e) => toBuffer(e.update)),
          ],
        );
        out[i] = written;
      }
    });
    return out;
  }

  async load(doc: string, atSeq = Number.MAX_SAFE_INTEGER) {
    const snap = await this.pool.query<{ seq: string; state: Buffer }>(
      `SELECT seq, state FROM ${this.s}.snapshots WHERE doc = $1 AND seq <= $2
       ORDER BY seq DESC LIMIT 1`,
      [doc, atSeq],
    );
    const row = snap.rows[0];
    const snapshot: Snapshot | undefined = row
      ? { seq: Number(row.seq), state: toBytes(row.state) }
      : undefined;
    const tail = await this.pool.query<LogRow>(
      `SELECT * FROM ${this.s}.log WHERE doc = $1 AND seq > $2 AND seq <= $3 ORDER BY seq`,
      [doc, snapshot?.seq ?? 0, atSeq],
    );
    return { snapshot, tail: tail.rows.map(toEntry) };
  }

  async readLog(doc: string, afterSeq: number, limit: number): Promise<LogEntry[]> {
    const result = await this.pool.query<LogRow>(
      `SELECT * FROM ${this.s}.log WHERE doc = $1 AND seq > $2 ORDER BY seq LIMIT $3`,
      [doc, afterSeq, limit],
    );
    return result.rows.map(toEntry);
  }

  async saveSnapshot(doc: string, snapshot: Snapshot): Promise<void> {
    await this.pool.query(
      `INSERT INTO ${this.s}.snapshots (doc, seq, state) VALUES ($1, $2, $3)
       ON CONFLICT (doc, seq) DO NOTHING`,
      [doc, snapshot.seq, toBuffer(snapshot.state)],
    );
  }

  async head(doc: string): Promise<DocHead | undefined> {
    const result = await this.pool.query<{ doc: string; seq: string; updated_at: string }>(
      `SELECT doc, seq, updated_at FROM ${this.s}.docs WHERE doc = $1`,
      [doc],
    );
    const row = result.rows[0];
    return row
      ? { doc: row.doc, seq: Number(row.seq), updatedAt: Number(row.updated_at) }
      : undefined;
  }

  async listDocs(prefix: string): Promise<DocHead[]> {
    const result = await this.pool.query<{ doc: string; seq: string; updated_at: string }>(
      `SELECT doc, seq, updated_at FROM ${this.s}.docs WHERE starts_with(doc, $1)
       ORDER BY doc COLLATE "C"`,
      [prefix],
    );
    return result.rows.map((r) => ({
      doc: r.doc,
      seq: Number(r.seq),
      updatedAt: Number(r.updated_at),
    }));
  }

  /** Documents whose newest entry is at least as recent as `sinceMs` (the outbox relay's scan). */
  async headsUpdatedSince(sinceMs: number): Promise<DocHead[]> {
    const result = await this.pool.query<{ doc: string; seq: string; updated_at: string }>(
      `SELECT doc, seq, updated_at FROM ${this.s}.docs WHERE updated_at >= $1`,
      [sinceMs],
    );
    return result.rows.map((r) => ({
      doc: r.doc,
      seq: Number(r.seq),
      updatedAt: Number(r.updated_at),
    }));
  }

  async getIdempotent(key: string): Promise<StoredResponse | undefined> {
    const result = await this.pool.query<{ response: StoredResponse }>(
      `SELECT response FROM ${this.s}.idempotency WHERE key = $1`,
      [key],
    );
    return result.rows[0]?.response;
  }

  async putIdempotent(key: string, response: StoredResponse): Promise<StoredResponse> {
    await this.pool.query(
      `INSERT INTO ${this.s}.idempotency (key, created_at, response) VALUES ($1, $2, $3)
       ON CONFLICT (key) DO NOTHING`,
      [key, Date.now(), JSON.stringify(response)],
    );
    return (await this.getIdempotent(key)) ?? response;
  }

  async ping(): Promise<boolean> {
    if (this.closed) return false;
    try {
      await this.pool.query('SELECT 1');
      return true;
    } catch {
      return false;
    }
  }

  /** Drop this store's schema and everything in it (tests). */
  async dropSchema(): Promise<void> {
    await this.pool.query(`DROP SCHEMA IF EXISTS ${this.s} CASCADE`);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.pool.end();
  }
}
