/**
 * PostgreSQL EventStore: the scale-out log, shared by every instance. Same semantics as the SQLite
 * store (one contract suite checks both). All tables live in one schema (default `concord`), so
 * tests and parallel deployments can share a database.
 *
 * Gap-free per-document sequences under concurrency: an append transaction bumps the document's
 * row in `docs` with `INSERT ... ON CONFLICT DO UPDATE SET seq = docs.seq + n RETURNING seq`. The
 * upsert takes the row lock, so concurrent appenders to one document (from any instance) queue on
 * it and each gets its own contiguous range; documents are locked in name order, so multi-document
 * group commits cannot deadlock one another. Each document's batch runs in its own savepoint: one
 * refused or failing batch never fails the others of a group commit (SPEC PG3).
 *
 * Field changes and idempotent responses are stored as JSON text, not jsonb: JSON text escapes NUL
 * and lone surrogates, which jsonb refuses, so any value the schema lets through is stored (PG2).
 */
import pg from 'pg';
import { pgTransaction } from './pgTransaction.js';
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
  changes: string;
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
    changes: JSON.parse(row.changes) as FieldChange[],
    update: toBytes(row.update),
  };
}

function schemaDdl(name: string): string {
  const s = `"${name}"`;
  return `
CREATE SCHEMA IF NOT EXISTS ${s};
CREATE TABLE IF NOT EXISTS ${s}.docs (
  doc text PRIMARY KEY, seq bigint NOT NULL, updated_at bigint NOT NULL);
CREATE TABLE IF NOT EXISTS ${s}.log (
  doc text NOT NULL, seq bigint NOT NULL, ts bigint NOT NULL, "user" text NOT NULL,
  kind text NOT NULL, reason text, changes text NOT NULL, update bytea NOT NULL,
  PRIMARY KEY (doc, seq));
CREATE TABLE IF NOT EXISTS ${s}.snapshots (
  doc text NOT NULL, seq bigint NOT NULL, state bytea NOT NULL, schema integer, PRIMARY KEY (doc, seq));
CREATE TABLE IF NOT EXISTS ${s}.idempotency (
  key text PRIMARY KEY, created_at bigint NOT NULL, response text NOT NULL);
CREATE TABLE IF NOT EXISTS ${s}.client_owners (
  doc text NOT NULL, client bigint NOT NULL, "user" text NOT NULL, PRIMARY KEY (doc, client));
CREATE TABLE IF NOT EXISTS ${s}.blame (doc text PRIMARY KEY, seq bigint NOT NULL, fields text NOT NULL);
DO $$ BEGIN
  IF EXISTS (SELECT 1 FROM information_schema.columns WHERE table_schema = '${name}'
             AND table_name = 'log' AND column_name = 'changes' AND data_type = 'jsonb') THEN
    ALTER TABLE ${s}.log ALTER COLUMN changes TYPE text USING changes::text;
  END IF;
  IF EXISTS (SELECT 1 FROM information_schema.columns WHERE table_schema = '${name}'
             AND table_name = 'idempotency' AND column_name = 'response' AND data_type = 'jsonb') THEN
    ALTER TABLE ${s}.idempotency ALTER COLUMN response TYPE text USING response::text;
  END IF;
  IF NOT EXISTS (SELECT 1 FROM information_schema.columns WHERE table_schema = '${name}'
                 AND table_name = 'snapshots' AND column_name = 'schema') THEN
    ALTER TABLE ${s}.snapshots ADD COLUMN schema integer;
  END IF;
END $$;
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
        await c.query(schemaDdl(schema));
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

  private tx<T>(fn: (client: pg.PoolClient) => Promise<T>): Promise<T> {
    return pgTransaction(this.pool, fn);
  }

  async append(batches: readonly AppendBatch[]): Promise<AppendOutcome[]> {
    const order = batches
      .map((b, i) => ({ b, i }))
      .filter(({ b }) => b.entries.length > 0)
      .sort((x, y) => (x.b.doc < y.b.doc ? -1 : x.b.doc > y.b.doc ? 1 : x.i - y.i));
    const out: AppendOutcome[] = batches.map(() => ({ ok: true, entries: [] }));
    if (order.length === 0) return out;
    await this.tx(async (c) => {
      for (const { b, i } of order) {
        await c.query('SAVEPOINT batch');
        try {
          out[i] = await this.appendOne(c, b);
          await c.query(out[i]!.ok ? 'RELEASE SAVEPOINT batch' : 'ROLLBACK TO SAVEPOINT batch');
        } catch (error) {
          if (isConnectionError(error)) throw error;
          await c.query('ROLLBACK TO SAVEPOINT batch');
          out[i] = { ok: false, code: 'failed', message: (error as Error).message };
        }
      }
    });
    return out;
  }

  private async appendOne(c: pg.PoolClient, b: AppendBatch): Promise<AppendOutcome> {
    const n = b.entries.length;
    const last = b.entries[n - 1]!;
    const head = await c.query<{ seq: string }>(
      `INSERT INTO ${this.s}.docs (doc, seq, updated_at) VALUES ($1, $2, $3)
       ON CONFLICT (doc) DO UPDATE SET seq = docs.seq + $2, updated_at = EXCLUDED.updated_at
       RETURNING seq`,
      [b.doc, n, last.ts],
    );
    const first = Number(head.rows[0]!.seq) - n + 1;
    if (b.ifHead !== undefined && b.ifHead !== first - 1) {
      return {
        ok: false,
        code: 'head_moved',
        message: `the document moved on: version ${first - 1}, expected ${b.ifHead}`,
      };
    }
    const claims = b.claims ?? [];
    if (claims.length > 0) {
      const clients = claims.map((x) => x.client);
      const users = claims.map((x) => x.user);
      const taken = await c.query<{ client: string }>(
        `SELECT o.client FROM ${this.s}.client_owners o
         JOIN unnest($2::bigint[], $3::text[]) AS c(client, usr) ON o.client = c.client
         WHERE o.doc = $1 AND o."user" <> c.usr LIMIT 1`,
        [b.doc, clients, users],
      );
      if (taken.rows[0]) {
        return {
          ok: false,
          code: 'owner_conflict',
          message: `client id ${taken.rows[0].client} belongs to another user`,
        };
      }
      await c.query(
        `INSERT INTO ${this.s}.client_owners (doc, client, "user")
         SELECT $1, * FROM unnest($2::bigint[], $3::text[]) ON CONFLICT DO NOTHING`,
        [b.doc, clients, users],
      );
    }
    const written = b.entries.map((e, k) => ({ ...e, doc: b.doc, seq: first + k }));
    await c.query(
      `INSERT INTO ${this.s}.log (doc, seq, ts, "user", kind, reason, changes, update)
       SELECT $1, * FROM unnest($2::bigint[], $3::bigint[], $4::text[], $5::text[], $6::text[],
                                $7::text[], $8::bytea[])`,
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
    return { ok: true, entries: written };
  }

  async load(doc: string, atSeq = Number.MAX_SAFE_INTEGER) {
    const snap = await this.pool.query<{ seq: string; state: Buffer; schema: number | null }>(
      `SELECT seq, state, schema FROM ${this.s}.snapshots WHERE doc = $1 AND seq <= $2
       ORDER BY seq DESC LIMIT 1`,
      [doc, atSeq],
    );
    const row = snap.rows[0];
    const snapshot: Snapshot | undefined = row
      ? {
          seq: Number(row.seq),
          state: toBytes(row.state),
          ...(row.schema === null ? {} : { schemaVersion: row.schema }),
        }
      : undefined;
    const tail = await this.pool.query<{ seq: string; update: Buffer }>(
      `SELECT seq, "update" FROM ${this.s}.log WHERE doc = $1 AND seq > $2 AND seq <= $3 ORDER BY seq`,
      [doc, snapshot?.seq ?? 0, atSeq],
    );
    return {
      snapshot,
      tail: tail.rows.map((r) => ({ seq: Number(r.seq), update: toBytes(r.update) })),
    };
  }

  async owners(doc: string): Promise<ClientClaim[]> {
    const result = await this.pool.query<{ client: string; user: string }>(
      `SELECT client, "user" FROM ${this.s}.client_owners WHERE doc = $1`,
      [doc],
    );
    return result.rows.map((r) => ({ client: Number(r.client), user: r.user }));
  }

  async readLogBackwards(doc: string, beforeSeq: number, limit: number): Promise<LogEntry[]> {
    const result = await this.pool.query<LogRow>(
      `SELECT * FROM ${this.s}.log WHERE doc = $1 AND seq < $2 ORDER BY seq DESC LIMIT $3`,
      [doc, beforeSeq, limit],
    );
    return result.rows.map(toEntry);
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
      `INSERT INTO ${this.s}.snapshots (doc, seq, state, schema) VALUES ($1, $2, $3, $4)
       ON CONFLICT (doc, seq) DO NOTHING`,
      [doc, snapshot.seq, toBuffer(snapshot.state), snapshot.schemaVersion ?? null],
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
    const result = await this.pool.query<{ response: string }>(
      `SELECT response FROM ${this.s}.idempotency WHERE key = $1`,
      [key],
    );
    const row = result.rows[0];
    return row ? (JSON.parse(row.response) as StoredResponse) : undefined;
  }

  async putIdempotent(key: string, response: StoredResponse): Promise<StoredResponse> {
    await this.pool.query(
      `INSERT INTO ${this.s}.idempotency (key, created_at, response) VALUES ($1, $2, $3)
       ON CONFLICT (key) DO NOTHING`,
      [key, Date.now(), JSON.stringify(response)],
    );
    return (await this.getIdempotent(key)) ?? response;
  }

  async getBlame(doc: string): Promise<BlameIndex | undefined> {
    const { rows } = await this.pool.query<{ seq: string; fields: string }>(
      `SELECT seq, fields FROM ${this.s}.blame WHERE doc = $1`,
      [doc],
    );
    const row = rows[0];
    return row
      ? { seq: Number(row.seq), fields: JSON.parse(row.fields) as BlameIndex['fields'] }
      : undefined;
  }

  async putBlame(doc: string, index: BlameIndex): Promise<void> {
    await this.pool.query(
      `INSERT INTO ${this.s}.blame (doc, seq, fields) VALUES ($1, $2, $3)
       ON CONFLICT (doc) DO UPDATE SET seq = excluded.seq, fields = excluded.fields
       WHERE excluded.seq > ${this.s}.blame.seq`,
      [doc, index.seq, JSON.stringify(index.fields)],
    );
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

/** Errors after which the connection (and so the transaction) is gone: fail the whole append. */
function isConnectionError(error: unknown): boolean {
  const code = (error as { code?: unknown }).code;
  // class 08: connection exception; 57P: operator intervention (shutdown); 53: insufficient resources
  return (
    typeof code !== 'string' ||
    code.startsWith('08') ||
    code.startsWith('57P') ||
    code.startsWith('53')
  );
}
