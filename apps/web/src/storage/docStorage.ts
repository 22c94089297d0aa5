/**
 * Local persistence of documents: an append-only log of Yjs updates per document, compacted into
 * one snapshot, plus a small metadata record per document (what the server acknowledged, which
 * local edits are not yet saved, a summary for the catalog list). Two implementations: IndexedDB
 * (idbStorage.ts) and memory (memoryStorage.ts); both pass test/storage.contract.test.ts.
 */

import type { PendingEdit } from '@concord/shared';

export type { PendingEdit };

export interface DocSummary {
  readonly name: string;
  readonly sku: string;
  readonly status: string;
  readonly priceCents: number;
  readonly currency: string;
  readonly stock: number;
  readonly tags: readonly string[];
}

/** What the Orders list shows of an order. */
export interface OrderSummary {
  readonly customer: string;
  readonly status: string;
  readonly lines: number;
  readonly totalCents: number;
  readonly currency: string;
}

export interface DocMeta {
  readonly doc: string;
  /** State vector the server acknowledged as durably committed, as [client, clock] pairs. */
  readonly ack: readonly (readonly [number, number])[];
  /** Local edits not yet acknowledged. */
  readonly pending: readonly PendingEdit[];
  /** Server version (log sequence) last caught up to, when known. */
  readonly version?: number;
  /** Materialized summary for lists (products: catalog; profiles: display name; orders). */
  readonly summary?: DocSummary | { readonly displayName: string } | OrderSummary;
  readonly updatedAt?: number;
  /** How many updates were ever appended here (compaction keeps it): the document's local age. */
  readonly stored?: number;
  /** The `stored` count the summary was computed at: behind `stored`, the summary is stale. */
  readonly summarized?: number;
}

/** Is the summary older than the document it summarizes (derived data to heal)? */
export function summaryStale(meta: DocMeta): boolean {
  return meta.summarized === undefined || meta.summarized !== (meta.stored ?? 0);
}

export interface AppendEntry {
  readonly doc: string;
  readonly update: Uint8Array;
  readonly change?: (old: DocMeta) => DocMeta;
}

export interface StoredDoc {
  readonly updates: Uint8Array[];
  readonly meta?: DocMeta;
}

export interface DocStorage {
  /** Every stored update of `doc`, oldest first (a compacted snapshot counts as one). */
  loadUpdates(doc: string): Promise<Uint8Array[]>;
  /**
   * Appends one update and counts it in the metadata (`stored`); with `change`, also changes the
   * metadata (a summary never lags its update). The update is committed first, with an in-flight
   * mark, and needs nothing more from the page; the metadata follows and clears the mark, so a
   * page closing in between leaves the mark for `interrupted` (DERIVE2). Idempotent in effect:
   * Yjs ignores updates it already holds. Writes are issued at once and keep the order of calls.
   */
  appendUpdate(
    doc: string,
    update: Uint8Array,
    change?: (old: DocMeta) => DocMeta,
  ): Promise<DocMeta>;
  /**
   * Many appends in one transaction (a catch-up batch): the same as `appendUpdate` for each entry,
   * in order, all committed together. Answers the new metadata of each entry.
   */
  appendMany(entries: readonly AppendEntry[]): Promise<DocMeta[]>;
  /** The stored updates and metadata of many documents, read in one transaction. */
  readMany(docs: readonly string[]): Promise<Map<string, StoredDoc>>;
  /** Number of stored log entries of `doc`. */
  countUpdates(doc: string): Promise<number>;
  /**
   * Replaces all log entries of `doc` by `merge(entries)`, atomically: entries appended
   * concurrently (another tab) are either merged or kept, never lost.
   */
  compact(doc: string, merge: (updates: Uint8Array[]) => Uint8Array): Promise<void>;
  /** Names of documents with stored updates or metadata, optionally only those starting with `prefix`. */
  listDocs(prefix?: string): Promise<string[]>;
  getMeta(doc: string): Promise<DocMeta | undefined>;
  /** Atomic read-modify-write of a document's metadata (safe across tabs). */
  updateMeta(doc: string, change: (old: DocMeta) => DocMeta): Promise<DocMeta>;
  /** All metadata records (catalog list, pending edits). */
  allMeta(prefix?: string): Promise<DocMeta[]>;
  /**
   * Documents whose last append stored its update but not its metadata (the page closed in
   * between): their summary and pending edits must be derived again from the updates (DERIVE2).
   */
  interrupted(): Promise<string[]>;
  /** Metadata derived again after an interrupted append; clears the mark in the same write. */
  repaired(doc: string, change: (old: DocMeta) => DocMeta): Promise<DocMeta>;
  close(): void;
}

export function emptyMeta(doc: string): DocMeta {
  return { doc, ack: [], pending: [] };
}

/** Thrown (wrapped) when the browser refuses to store more data. */
export class StorageFullError extends Error {
  override readonly name = 'StorageFullError';
  constructor(cause?: unknown) {
    super(
      'This device is out of storage space for Concord. Your saved work is safe, but new edits cannot be stored offline until space is freed.',
      { cause },
    );
  }
}

export function isQuotaError(error: unknown): boolean {
  return (
    typeof error === 'object' &&
    error !== null &&
    'name' in error &&
    (error as { name: unknown }).name === 'QuotaExceededError'
  );
}

/** Log length at which a document's updates are compacted into one snapshot. */
export const COMPACT_THRESHOLD = 50;
