/**
 * The event store seam: an append-only, per-document log of Yjs updates with sequence numbers,
 * writer, server time and the field changes each made; who owns which Yjs client id of each
 * document; snapshots that shorten replay without deleting history; and idempotency records for
 * HTTP writes. Implementations: SQLite (embedded default), PostgreSQL (scale-out), in-memory
 * (tests). One contract suite checks them all (test/eventStoreContract.ts).
 *
 * The log doubles as the transactional outbox: a change event is derived from a committed entry,
 * so an append and its event cannot disagree.
 */
import type { EntryKind, FieldChange } from '@concord/shared';

export type { EntryKind, FieldChange };

export interface NewEntry {
  readonly update: Uint8Array;
  readonly user: string;
  readonly ts: number;
  readonly kind: EntryKind;
  readonly reason?: string | undefined;
  readonly changes: readonly FieldChange[];
}

export interface LogEntry extends NewEntry {
  readonly doc: string;
  readonly seq: number;
}

/** The first writer of a Yjs client id in a document owns it (SPEC ID1). */
/** A log entry as the document needs it: its position and its update. */
interface StoredUpdate {
  readonly seq: number;
  readonly update: Uint8Array;
}

export interface ClientClaim {
  readonly client: number;
  readonly user: string;
}

export interface Snapshot {
  /** The snapshot contains every entry with sequence number ≤ seq. */
  readonly seq: number;
  readonly state: Uint8Array;
  /**
   * The document's schema version at `seq`, when its writer recorded it: a load can tell from it,
   * before building the document, whether clients may be given this state as it is.
   */
  readonly schemaVersion?: number;
}

export interface AppendBatch {
  readonly doc: string;
  readonly entries: readonly NewEntry[];
  /** Client ids these entries write first; refused whole if one belongs to another user. */
  readonly claims?: readonly ClientClaim[];
  /** Append only if the document's newest sequence number is this one (If-Match). */
  readonly ifHead?: number;
}

/**
 * The outcome of one batch. A batch that is refused (its precondition failed, a claimed client id
 * belongs to someone else) or fails on its own leaves the other batches of the commit untouched.
 */
export type AppendOutcome =
  | { readonly ok: true; readonly entries: LogEntry[] }
  | {
      readonly ok: false;
      readonly code: 'head_moved' | 'owner_conflict' | 'failed';
      readonly message: string;
    };

export interface DocHead {
  readonly doc: string;
  readonly seq: number;
  readonly updatedAt: number;
}

/** Who last changed one field, and how (BLAME1). */
export interface BlameEntry {
  readonly seq: number;
  readonly user: string;
  readonly ts: number;
  readonly kind: LogEntry['kind'];
  readonly change: FieldChange;
}

/**
 * The last change of every field of a document up to log position `seq`: derived from the log
 * (docs/blame.ts), stored so that blame is answered without reading the whole log.
 */
export interface BlameIndex {
  readonly seq: number;
  readonly fields: Readonly<Record<string, BlameEntry>>;
}

export interface StoredResponse {
  readonly status: number;
  readonly body: string;
  readonly headers: Readonly<Record<string, string>>;
}

export interface EventStore {
  /**
   * Append the batches in one commit; sequence numbers per document are gap-free. Resolves with
   * one outcome per batch; rejects only when the store itself failed (then nothing was written).
   */
  append(batches: readonly AppendBatch[]): Promise<AppendOutcome[]>;
  /**
   * What rebuilding the document needs: the newest snapshot at or before `atSeq` (default:
   * newest) and the updates of the entries after it up to `atSeq` (no audit fields: a long log
   * loads without decoding them).
   */
  load(
    doc: string,
    atSeq?: number,
  ): Promise<{ snapshot: Snapshot | undefined; tail: StoredUpdate[] }>;
  /** Who owns which Yjs client id of `doc`. */
  owners(doc: string): Promise<ClientClaim[]>;
  /** Entries with seq > afterSeq, ascending, at most `limit`. */
  readLog(doc: string, afterSeq: number, limit: number): Promise<LogEntry[]>;
  /** Entries with seq < beforeSeq, newest first, at most `limit` (history pages). */
  readLogBackwards(doc: string, beforeSeq: number, limit: number): Promise<LogEntry[]>;
  saveSnapshot(doc: string, snapshot: Snapshot): Promise<void>;
  head(doc: string): Promise<DocHead | undefined>;
  /** Documents whose name starts with `prefix`, by name. */
  listDocs(prefix: string): Promise<DocHead[]>;
  getIdempotent(key: string): Promise<StoredResponse | undefined>;
  /** Store a response under `key` unless one is already stored; returns the stored one. */
  putIdempotent(key: string, response: StoredResponse): Promise<StoredResponse>;
  /** The stored blame index of `doc`, if any. */
  getBlame(doc: string): Promise<BlameIndex | undefined>;
  /** Store `index` unless one built further along the log is stored already. */
  putBlame(doc: string, index: BlameIndex): Promise<void>;
  /** Is the backing database reachable and able to write? */
  ping(): Promise<boolean>;
  close(): Promise<void>;
}

/** The entries of each batch, or an error naming the first batch that was not written. */
export function entriesOrThrow(outcomes: readonly AppendOutcome[]): LogEntry[][] {
  return outcomes.map((o) => {
    if (!o.ok) throw new Error(`append refused (${o.code}): ${o.message}`);
    return o.entries;
  });
}
