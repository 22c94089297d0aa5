/**
 * The SQLite append transaction, written once as plain JavaScript so that the same code runs on
 * the append worker thread (file databases) and inline (`:memory:`). Each batch runs in its own
 * savepoint: a batch whose precondition fails (`ifHead`), whose claims name a client id another
 * user owns, or that fails on its own is rolled back alone; the other batches commit.
 *
 * Update bytes travel packed in one ArrayBuffer (`buf`, transferred to the worker, never cloned);
 * an entry names its bytes by `off` and `len`. `changes` arrive as JSON text.
 */
import type { AppendBatch, AppendOutcome } from './eventStore.js';

export const SCHEMA_SQL = `
CREATE TABLE IF NOT EXISTS docs (doc TEXT PRIMARY KEY, seq INTEGER NOT NULL, updated_at INTEGER NOT NULL) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS log (
  doc TEXT NOT NULL, seq INTEGER NOT NULL, ts INTEGER NOT NULL, user TEXT NOT NULL, kind TEXT NOT NULL,
  reason TEXT, changes TEXT NOT NULL, "update" BLOB NOT NULL, PRIMARY KEY (doc, seq)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS snapshots (doc TEXT NOT NULL, seq INTEGER NOT NULL, state BLOB NOT NULL, schema INTEGER, PRIMARY KEY (doc, seq)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS idempotency (key TEXT PRIMARY KEY, created_at INTEGER NOT NULL, response TEXT NOT NULL) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS client_owners (doc TEXT NOT NULL, client INTEGER NOT NULL, user TEXT NOT NULL, PRIMARY KEY (doc, client)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS blame (doc TEXT PRIMARY KEY, seq INTEGER NOT NULL, fields TEXT NOT NULL) WITHOUT ROWID;
`;

/** `makeAppender(db)` → `append(batches, buf)`: one transaction, a savepoint per batch. */
export const APPENDER_JS = `
function makeAppender(db) {
  const head = db.prepare('SELECT seq FROM docs WHERE doc = ?');
  const insert = db.prepare('INSERT INTO log (doc, seq, ts, user, kind, reason, changes, "update") VALUES (?, ?, ?, ?, ?, ?, ?, ?)');
  const upsertHead = db.prepare('INSERT INTO docs (doc, seq, updated_at) VALUES (?, ?, ?) ON CONFLICT(doc) DO UPDATE SET seq = excluded.seq, updated_at = excluded.updated_at');
  const owner = db.prepare('SELECT user FROM client_owners WHERE doc = ? AND client = ?');
  const claim = db.prepare('INSERT OR IGNORE INTO client_owners (doc, client, user) VALUES (?, ?, ?)');
  class Refused extends Error { constructor(code, message) { super(message); this.code = code; } }
  const one = db.transaction((b, buf) => {
    const current = head.get(b.doc)?.seq ?? 0;
    if (b.ifHead !== undefined && b.ifHead !== null && b.ifHead !== current)
      throw new Refused('head_moved', 'the document moved on: version ' + current + ', expected ' + b.ifHead);
    for (const c of b.claims ?? []) {
      const row = owner.get(b.doc, c.client);
      if (row && row.user !== c.user)
        throw new Refused('owner_conflict', 'client id ' + c.client + ' belongs to another user');
      if (!row) claim.run(b.doc, c.client, c.user);
    }
    let seq = current;
    for (const e of b.entries) {
      seq += 1;
      insert.run(b.doc, seq, e.ts, e.user, e.kind, e.reason ?? null, e.changes, Buffer.from(buf, e.off, e.len));
    }
    if (b.entries.length > 0) upsertHead.run(b.doc, seq, b.entries[b.entries.length - 1].ts);
    return current + 1;
  });
  const all = db.transaction((batches, buf) => batches.map((b) => {
    try {
      return { ok: true, first: one(b, buf) };
    } catch (error) {
      if (error instanceof Refused) return { ok: false, code: error.code, message: error.message };
      if (error && (error.code === 'SQLITE_FULL' || error.code === 'SQLITE_IOERR' || error.code === 'SQLITE_BUSY')) throw error;
      return { ok: false, code: 'failed', message: String(error && error.message || error) };
    }
  }));
  // BEGIN IMMEDIATE: the write lock is taken (waiting up to busy_timeout) before the first read.
  // A deferred transaction reads the head first and cannot upgrade to a writer if another
  // connection committed in between (SQLITE_BUSY at once, without waiting).
  return (batches, buf) => all.immediate(batches, buf);
}
`;

/** A batch as it crosses to the appender: bytes packed into one buffer. */
export interface PackedBatch {
  readonly doc: string;
  readonly claims: readonly { client: number; user: string }[];
  readonly ifHead: number | undefined;
  readonly entries: readonly {
    ts: number;
    user: string;
    kind: string;
    reason: string | undefined;
    changes: string;
    off: number;
    len: number;
  }[];
}

export type PackedOutcome =
  | { ok: true; first: number }
  | { ok: false; code: 'head_moved' | 'owner_conflict' | 'failed'; message: string };

/** Pack the batches' update bytes into one fresh ArrayBuffer (cheap to transfer, nothing cloned). */
export function packBatches(batches: readonly AppendBatch[]): {
  batches: PackedBatch[];
  buf: ArrayBuffer;
} {
  let size = 0;
  for (const b of batches) for (const e of b.entries) size += e.update.byteLength;
  const buf = new ArrayBuffer(size);
  const bytes = new Uint8Array(buf);
  let off = 0;
  const packed = batches.map((b) => ({
    doc: b.doc,
    claims: (b.claims ?? []).map((c) => ({ client: c.client, user: c.user })),
    ifHead: b.ifHead,
    entries: b.entries.map((e) => {
      bytes.set(e.update, off);
      const entry = {
        ts: e.ts,
        user: e.user,
        kind: e.kind,
        reason: e.reason,
        changes: JSON.stringify(e.changes),
        off,
        len: e.update.byteLength,
      };
      off += e.update.byteLength;
      return entry;
    }),
  }));
  return { batches: packed, buf };
}

/** The outcomes of an append, with full log entries for the batches that were written. */
export function unpackOutcomes(
  batches: readonly AppendBatch[],
  outcomes: readonly PackedOutcome[],
): AppendOutcome[] {
  return batches.map((b, i) => {
    const o = outcomes[i];
    if (!o) return { ok: false, code: 'failed', message: 'no outcome for this batch' };
    if (!o.ok) return o;
    return { ok: true, entries: b.entries.map((e, j) => ({ ...e, doc: b.doc, seq: o.first + j })) };
  });
}
