/**
 * A document loaded in memory: its Y.Doc, who owns which Yjs client id, its connections and their
 * awareness, its last valid JSON, the log position it contains and the state vector the committed
 * log holds. State and small queries only: every change goes through the write pipeline
 * (pipeline/writePipeline.ts), which is the one place that mutates it.
 */
import * as Y from 'yjs';
import {
  HybridClock,
  SERVER_IDENTITY,
  type Principal,
  materialize,
  raiseVector,
  schemaVersionOf,
  type DocName,
  type DocumentKind,
} from '@concord/shared';
import type { ClientClaim } from '../store/eventStore.js';
import { ClientOwners } from '../pipeline/identity.js';
import { AwarenessRoom } from './awarenessRoom.js';
import { SeqTracker } from './seqTracker.js';
import type { SnapshotProgress } from './snapshotPolicy.js';

/** What the pipeline needs of a connection. */
export interface Peer {
  readonly id: number;
  readonly user: Principal & { readonly name: string };
  readonly wantsExtensions: boolean;
  send(message: Uint8Array): void;
  close(code: number, reason: string): void;
}

export interface LoadedState {
  /** The document built from the log (`docFromLog`). */
  readonly doc: Y.Doc;
  /** The size of the log it was built from (snapshot and tail), in bytes. */
  readonly bytes: number;
  readonly headSeq: number;
  /** The log after its last snapshot, and that snapshot (snapshotPolicy.ts). */
  readonly snapshots: SnapshotProgress;
  readonly owners: readonly ClientClaim[];
  /**
   * The document as one update, when loading had it at hand: a snapshot with no tail after it,
   * or the state built from a long tail (for its snapshot).
   */
  readonly whole?: Uint8Array;
  /**
   * The state vector of the stored state fresh clients were given while it loaded
   * (storedAnswer.ts): what such a client holds when its sync step 1 is answered.
   */
  readonly storedVector?: Uint8Array;
}

/**
 * A document whose whole state encodes to at least this many bytes keeps that encoding while it
 * does not change: every fresh client of it (sync step 1 with an empty state vector) is answered
 * with the same bytes. Below this, encoding costs less than keeping the copy.
 */
export const KEEP_WHOLE_FROM = 16 * 1024;

export class LiveDoc {
  readonly doc: Y.Doc;
  readonly owners: ClientOwners;
  readonly peers = new Set<Peer>();
  readonly awareness: AwarenessRoom;
  /** This document's own server clock (HTTP patches, compensations): no other document moves it. */
  readonly clock: HybridClock;
  /** Log entries this copy contains; `committed.through` is its version. */
  readonly committed: SeqTracker;
  /** Per Yjs client, the end clock of what the committed log holds (durable-save acks). */
  readonly saved: Map<number, number>;
  private savedEncoded: Uint8Array | undefined;
  /** The whole document as one update, while it has not changed since (`encodeWhole`). */
  private whole: Uint8Array | undefined;
  /** The last materialized JSON that passed validation (the target of compensations). */
  lastValid: Record<string, unknown>;
  /**
   * Has `lastValid` passed validation? Not yet for a document just loaded (a log written behind
   * the server's back may hold invalid fields): its first edit is validated whole.
   */
  lastValidChecked = false;
  /** Upper bound of everything held for this document, in bytes (SPEC MEM1). */
  bytes: number;
  /** What was committed here since the last snapshot (snapshotPolicy.ts). */
  readonly snapshots: SnapshotProgress;
  /** The highest sequence number this instance itself committed (scale-out compensation rule). */
  ownHighestSeq = 0;
  /** Settles when every write submitted so far has been committed or failed. */
  tail: Promise<void> = Promise.resolve();
  /** Writes applied but not yet committed. */
  inFlight = 0;
  /** When committed updates were last broadcast (performance.now(); broadcaster.ts). */
  lastBroadcastAt = -Infinity;
  /** Set once the document was dropped from memory (evicted or unloaded). */
  destroyed = false;
  /** See `LoadedState.storedVector`. */
  readonly storedVector: Uint8Array | undefined;

  constructor(
    readonly name: string,
    readonly docName: DocName,
    readonly kind: DocumentKind<object>,
    loaded: LoadedState,
    maxSkewMs: number,
    now: () => number,
  ) {
    this.doc = loaded.doc;
    // The server writes under its own client id; never one a client has used.
    this.owners = new ClientOwners(loaded.owners);
    while (
      Y.getState(this.doc.store, this.doc.clientID) > 0 ||
      this.owners.ownerOf(this.doc.clientID)
    )
      this.doc.clientID = Math.floor(Math.random() * 0xffffffff);
    this.owners.claim([this.doc.clientID], SERVER_IDENTITY);
    this.awareness = new AwarenessRoom(this.owners, now);
    this.clock = new HybridClock({ replicaId: 'server', physicalNow: now, maxSkewMs });
    this.committed = new SeqTracker(loaded.headSeq);
    this.saved = Y.decodeStateVector(Y.encodeStateVector(this.doc));
    this.snapshots = loaded.snapshots;
    this.bytes = loaded.bytes;
    this.lastValid = this.json();
    this.keepWhole(loaded.whole);
    this.storedVector = loaded.storedVector;
  }

  /** The document's schema version (from its meta). */
  get schemaVersion(): number {
    return schemaVersionOf(this.doc, this.kind);
  }

  /** Written by a newer server than this one: no writes until this server is upgraded (MIG2). */
  get tooNew(): boolean {
    return this.schemaVersion > this.kind.schemaVersion;
  }

  json(): Record<string, unknown> {
    return materialize(this.doc, this.kind, this.docName.id);
  }

  /** The log version this copy contains completely. */
  get version(): number {
    return this.committed.through;
  }

  /** Is the committed log empty (a document never written)? */
  get isNew(): boolean {
    return this.committed.highest === 0;
  }

  /** The state vector of the committed log (never the document's own, which may run ahead). */
  get savedStateVector(): Uint8Array {
    this.savedEncoded ??= Y.encodeStateVector(this.saved);
    return this.savedEncoded;
  }

  /** Record that the log now holds `clocks` ([client, end clock] of a committed update). */
  markSaved(clocks: Iterable<readonly [number, number]>): void {
    if (raiseVector(this.saved, clocks)) this.savedEncoded = undefined;
  }

  /**
   * Everything the document holds, as one update: what a client with an empty state vector
   * lacks. A large document encodes it once and keeps it until its content changes.
   */
  encodeWhole(): Uint8Array {
    if (this.whole) return this.whole;
    const update = Y.encodeStateAsUpdate(this.doc);
    this.keepWhole(update);
    return update;
  }

  /** The content changed (the apply stage says so): what was kept of it is stale. */
  contentChanged(): void {
    this.whole = undefined;
  }

  private keepWhole(update: Uint8Array | undefined): void {
    if (update && update.byteLength >= KEEP_WHOLE_FROM) this.whole = update;
  }

  /** Wait until every write submitted so far is committed (or failed). */
  async settled(): Promise<void> {
    let seen: Promise<unknown> | undefined;
    while (seen !== this.tail) {
      seen = this.tail;
      await seen;
    }
  }

  destroy(): void {
    this.destroyed = true;
    this.whole = undefined;
    this.doc.destroy();
  }
}
