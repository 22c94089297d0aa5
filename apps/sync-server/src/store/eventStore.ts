/**
 * The event store seam: an append-only, per-document log of Yjs updates with sequence numbers,
 * writer, server time and the field changes each made; snapshots that shorten replay without
 * deleting history; and idempotency records for HTTP writes. Implementations: SQLite (embedded
 * default), PostgreSQL (scale-out), in-memory (tests). One contract suite checks them all.
 *
 * The log doubles as the transactional outbox: a change event is derived from a committed entry,
 * so an append and its event cannot disagree.
 */
export type EntryKind = 'edit' | 'compensation' | 'restore' | 'patch';

export interface FieldChange {
  readonly field: string;
  readonly from: unknown;
  readonly to: unknown;
}

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

export interface Snapshot {
  /** The snapshot contains every entry with sequence number ≤ seq. */
  readonly seq: number;
  readonly state: Uint8Array;
}

export interface AppendBatch {
  readonly doc: string;
  readonly entries: readonly NewEntry[];
}

export interface DocHead {
  readonly doc: string;
  readonly seq: number;
  readonly updatedAt: number;
}

export interface StoredResponse {
  readonly status: number;
  readonly body: string;
  readonly headers: Readonly<Record<string, string>>;
}

export interface EventStore {
  /** Append all batches in one atomic commit; sequence numbers per document are gap-free. */
  append(batches: readonly AppendBatch[]): Promise<LogEntry[][]>;
  /** The newest snapshot at or before `atSeq` (default: newest) and the entries after it up to `atSeq`. */
  load(doc: string, atSeq?: number): Promise<{ snapshot: Snapshot | undefined; tail: LogEntry[] }>;
  /** Entries with seq > afterSeq, ascending, at most `limit`. */
  readLog(doc: string, afterSeq: number, limit: number): Promise<LogEntry[]>;
  saveSnapshot(doc: string, snapshot: Snapshot): Promise<void>;
  head(doc: string): Promise<DocHead | undefined>;
  /** Documents whose name starts with `prefix`, by name. */
  listDocs(prefix: string): Promise<DocHead[]>;
  getIdempotent(key: string): Promise<StoredResponse | undefined>;
  /** Store a response under `key` unless one is already stored; returns the stored one. */
  putIdempotent(key: string, response: StoredResponse): Promise<StoredResponse>;
  /** Is the backing database reachable? */
  ping(): Promise<boolean>;
  close(): Promise<void>;
}
