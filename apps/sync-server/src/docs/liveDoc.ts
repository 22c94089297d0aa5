/**
 * A document loaded in memory: its Y.Doc and awareness, its connections, its last valid JSON and
 * its committed position in the log. All writes — WebSocket updates, HTTP patches, restores — go
 * through `submit`: apply, validate, compensate if needed, broadcast, append, acknowledge.
 */
import * as Y from 'yjs';
import * as awarenessProtocol from 'y-protocols/awareness';
import * as encoding from 'lib0/encoding';
import * as syncProtocol from 'y-protocols/sync';
import {
  HybridClock,
  MessageType,
  Origin,
  ReasonCode,
  describeIssues,
  META_MAP,
  encodeMessage,
  fieldsByType,
  materialize,
  readField,
  validateDocument,
  writeErrorEvent,
  writeSavedAck,
  type DocName,
  type DocumentKind,
  type ErrorEvent,
} from '@concord/shared';
import type { EntryKind, LogEntry, NewEntry } from '../store/eventStore.js';
import { diffFields } from './changes.js';
import { compensate, fieldsOf, mergeUpdates, skewedFields, type Violation } from './compensate.js';

/** What LiveDoc needs of a connection. */
export interface Peer {
  readonly id: number;
  readonly wantsExtensions: boolean;
  send(message: Uint8Array): void;
  close(code: number, reason: string): void;
  /** Awareness client ids this peer added or removed (cleared when it disconnects). */
  noteAwareness?(added: number[], removed: number[]): void;
}

export interface LiveDocDeps {
  readonly commit: (doc: string, entries: readonly NewEntry[]) => Promise<LogEntry[]>;
  /** `writer`: the peer whose update this commit holds, to be acknowledged at once. */
  readonly onCommitted: (
    doc: LiveDoc,
    entries: readonly LogEntry[],
    writer: Peer | undefined,
  ) => void;
  readonly onCommitFailed: (doc: LiveDoc, error: unknown) => void;
  /** Metrics hook: `updates` merged into one message sent to `peers` peers. */
  readonly onBroadcast?: (updates: number, peers: number) => void;
  readonly maxSkewMs: number;
  readonly maxDocBytes: number;
  readonly now: () => number;
}

export type SubmitResult =
  | { status: 'applied'; entries: LogEntry[]; compensation: Violation | undefined }
  | { status: 'unchanged' }
  | { status: 'malformed'; message: string }
  | { status: 'too_large'; message: string };

export class LiveDoc {
  readonly doc = new Y.Doc();
  readonly awareness: awarenessProtocol.Awareness;
  readonly peers = new Set<Peer>();
  /** Last valid materialized JSON (the target of compensations). */
  private lastValid: Record<string, unknown>;
  /** Highest committed log sequence number, and the state vector the committed log contains. */
  headSeq: number;
  /** Per Yjs client, the end clock of what the committed log holds (for durable-save acks). */
  private readonly saved: Map<number, number>;
  private savedEncoded: Uint8Array | undefined;
  /** Entries appended since the last snapshot. */
  sinceSnapshot: number;
  /** Upper bound of the encoded size: the loaded bytes plus every update since (deletions not subtracted). */
  approxBytes: number;
  /** Which field each top-level shared type holds. */
  private readonly typeFields: Map<object, string>;
  /** Updates to send to every peer at the end of this turn, merged into one message. */
  private outbox: Uint8Array[] = [];
  private readonly clock: HybridClock;
  private tail: Promise<unknown> = Promise.resolve();

  constructor(
    readonly name: string,
    readonly docName: DocName,
    readonly kind: DocumentKind<object>,
    loaded: { state: Uint8Array[]; headSeq: number; sinceSnapshot: number },
    private readonly deps: LiveDocDeps,
  ) {
    this.doc.gc = true;
    this.doc.transact(() => {
      for (const u of loaded.state) Y.applyUpdate(this.doc, u, Origin.storage);
    }, Origin.storage);
    this.awareness = new awarenessProtocol.Awareness(this.doc);
    this.awareness.setLocalState(null);
    this.awareness.on('update', this.relayAwareness);
    this.headSeq = loaded.headSeq;
    this.saved = Y.decodeStateVector(Y.encodeStateVector(this.doc));
    this.sinceSnapshot = loaded.sinceSnapshot;
    this.approxBytes = loaded.state.reduce((n, u) => n + u.byteLength, 0);
    this.typeFields = fieldsByType(this.doc, kind);
    this.clock = new HybridClock({
      replicaId: 'server',
      physicalNow: deps.now,
      maxSkewMs: deps.maxSkewMs,
    });
    this.lastValid = this.json();
  }

  json(): Record<string, unknown> {
    return materialize(this.doc, this.kind, this.docName.id);
  }

  /** Is the committed log empty (a document never written)? */
  get isNew(): boolean {
    return this.headSeq === 0;
  }

  /**
   * Apply `update` from `user` (origin: the peer, or an HTTP marker), keep the document valid,
   * broadcast, and append to the log. Returns once committed.
   */
  submit(
    update: Uint8Array,
    user: string,
    origin: Peer | string,
    kind: EntryKind,
  ): Promise<SubmitResult> {
    if (this.approxBytes + update.byteLength > this.deps.maxDocBytes) {
      // The bound over-counts (deleted content shrinks a document): measure before refusing.
      this.approxBytes = Y.encodeStateAsUpdate(this.doc).byteLength;
      if (this.approxBytes + update.byteLength > this.deps.maxDocBytes) {
        return Promise.resolve({
          status: 'too_large',
          message: `the document would exceed ${this.deps.maxDocBytes} bytes`,
        });
      }
    }
    // A malformed update throws while Yjs decodes it, before it changes anything; should part of
    // one apply before a later part throws, submitEdit logs what was applied.
    return this.submitEdit(
      (o) => {
        try {
          Y.applyUpdate(this.doc, update, o);
        } catch (error) {
          throw new Error(`not a Yjs update: ${(error as Error).message}`);
        }
      },
      user,
      origin,
      kind,
    );
  }

  /** Run a server-side edit (patch, restore) through the same pipeline. */
  submitEdit(
    edit: (origin: unknown) => void,
    user: string,
    origin: Peer | string,
    kind: EntryKind,
  ): Promise<SubmitResult> {
    const before = this.lastValid;
    const captured: Uint8Array[] = [];
    const capture = (u: Uint8Array) => captured.push(u);
    const changed = new Set<string>();
    const track = (tr: Y.Transaction) => {
      for (const type of tr.changed.keys()) {
        const field = this.typeFields.get(type);
        if (field) changed.add(field);
      }
    };
    this.doc.on('update', capture);
    this.doc.on('afterTransaction', track);
    let violation: Violation | undefined;
    let compensation: Uint8Array | undefined;
    let edited: Uint8Array | undefined;
    let after: Record<string, unknown>;
    let editError: Error | undefined;
    try {
      try {
        edit(origin);
      } catch (error) {
        // Whatever the failed edit did apply is now in the document, so it is logged all the same.
        editError = error as Error;
      }
      edited = mergeUpdates(captured.splice(0));
      if (!edited) {
        return Promise.resolve(
          editError ? { status: 'malformed', message: editError.message } : { status: 'unchanged' },
        );
      }
      after = this.reread(before, changed);
      violation = this.check(after, changed);
      if (violation) {
        const now = this.deps.now();
        compensate(
          this.doc,
          this.kind,
          before,
          violation.fields,
          this.clock,
          Origin.server,
          now,
          this.deps.maxSkewMs,
        );
        compensation = mergeUpdates(captured.splice(0));
      }
    } finally {
      this.doc.off('update', capture);
      this.doc.off('afterTransaction', track);
    }
    const final = compensation ? this.json() : after;
    this.lastValid = final;
    const ts = this.deps.now();
    const entries: NewEntry[] = [
      { update: edited, user, ts, kind, changes: diffFields(before, after, changed) },
    ];
    if (compensation && violation) {
      entries.push({
        update: compensation,
        user: 'server',
        ts,
        kind: 'compensation',
        reason: violation.reason,
        changes: diffFields(after, final),
      });
    }
    // Broadcast this turn; acknowledge when committed.
    this.broadcastUpdate(edited);
    if (compensation) this.broadcastUpdate(compensation);
    this.approxBytes += edited.byteLength + (compensation?.byteLength ?? 0);
    const committed = this.deps.commit(this.name, entries).then(
      (written) => {
        const last = written.at(-1);
        if (last && last.seq > this.headSeq) this.headSeq = last.seq;
        for (const e of written) this.markSaved(e.update);
        this.sinceSnapshot += written.length;
        this.deps.onCommitted(this, written, typeof origin === 'string' ? undefined : origin);
        return written;
      },
      (error: unknown) => {
        this.deps.onCommitFailed(this, error);
        throw error;
      },
    );
    this.tail = committed.catch(() => undefined);
    return committed.then((written): SubmitResult => {
      if (editError) return { status: 'malformed', message: editError.message };
      if (violation && typeof origin !== 'string') {
        this.sendError(origin, {
          code: violation.reason,
          message: violation.message,
          fields: violation.fields,
          ...(written[1] ? { compensationSeq: written[1].seq } : {}),
        });
      }
      return { status: 'applied', entries: written, compensation: violation };
    });
  }

  /** Apply an update committed by another instance (already validated and logged there). */
  applyRemote(update: Uint8Array, seq: number): void {
    const captured: Uint8Array[] = [];
    const capture = (u: Uint8Array) => captured.push(u);
    this.doc.on('update', capture);
    try {
      Y.applyUpdate(this.doc, update, 'remote');
    } finally {
      this.doc.off('update', capture);
    }
    const applied = mergeUpdates(captured);
    if (applied) {
      this.broadcastUpdate(applied);
      this.lastValid = this.json();
      this.approxBytes += applied.byteLength;
    }
    if (seq > this.headSeq) this.headSeq = seq;
    this.markSaved(update);
  }

  /** Wait until every write submitted so far is committed. */
  async settled(): Promise<void> {
    let seen: Promise<unknown> | undefined;
    while (seen !== this.tail) {
      seen = this.tail;
      await seen;
    }
  }

  /** `before` with the changed fields read again from the document. */
  private reread(
    before: Record<string, unknown>,
    changed: ReadonlySet<string>,
  ): Record<string, unknown> {
    if (changed.has(META_MAP)) return this.json();
    const after = { ...before };
    for (const field of changed) after[field] = readField(this.doc, this.kind, field);
    return after;
  }

  private check(
    json: Record<string, unknown>,
    changed: ReadonlySet<string>,
  ): Violation | undefined {
    const skewed = skewedFields(this.doc, this.kind, this.deps.now(), this.deps.maxSkewMs, changed);
    if (skewed.length > 0) {
      return {
        reason: ReasonCode.clockSkew,
        fields: skewed,
        message: `timestamps of ${skewed.join(', ')} are more than ${this.deps.maxSkewMs} ms ahead of the server's clock; check this device's clock`,
      };
    }
    const result = validateDocument(this.kind, json);
    if (result.ok) return undefined;
    return {
      reason: ReasonCode.invalidDocument,
      fields: fieldsOf(result.issues),
      message: describeIssues(result.issues),
    };
  }

  private readonly relayAwareness = (
    change: { added: number[]; updated: number[]; removed: number[] },
    origin: unknown,
  ): void => {
    if (origin && typeof origin === 'object' && 'noteAwareness' in origin) {
      (origin as Peer).noteAwareness?.(change.added, change.removed);
    }
    const changed = [...change.added, ...change.updated, ...change.removed];
    if (changed.length === 0 || this.peers.size === 0) return;
    const message = encodeMessage((e) => {
      encoding.writeVarUint(e, MessageType.awareness);
      encoding.writeVarUint8Array(
        e,
        awarenessProtocol.encodeAwarenessUpdate(this.awareness, changed),
      );
    });
    for (const peer of this.peers) peer.send(message);
  };

  /**
   * Queue `update` for every peer. All updates of one event-loop turn go out as one merged message
   * per peer (the writer gets its own back, which Yjs ignores), so a turn with k updates and n
   * peers costs n sends, not k × n.
   */
  broadcastUpdate(update: Uint8Array): void {
    if (this.peers.size === 0) return;
    this.outbox.push(update);
    if (this.outbox.length === 1) setImmediate(this.flushOutbox);
  }

  private readonly flushOutbox = (): void => {
    const updates = this.outbox;
    this.outbox = [];
    if (updates.length === 0 || this.peers.size === 0) return;
    const merged = updates.length === 1 ? updates[0]! : Y.mergeUpdates(updates);
    const message = encodeMessage((e) => {
      encoding.writeVarUint(e, MessageType.sync);
      syncProtocol.writeUpdate(e, merged);
    });
    for (const peer of this.peers) peer.send(message);
    this.deps.onBroadcast?.(updates.length, this.peers.size);
  };

  /**
   * The state vector of the committed log: merged from each committed update's end clocks, never
   * the document's own vector, which may hold writes still in flight (here or, with several
   * instances, elsewhere). A document only integrates a client's clocks after the ones before
   * them, and local commits resolve in order, so the merged vector never claims a gap.
   */
  get savedStateVector(): Uint8Array {
    this.savedEncoded ??= Y.encodeStateVector(this.saved);
    return this.savedEncoded;
  }

  private markSaved(update: Uint8Array): void {
    for (const [client, clock] of Y.parseUpdateMeta(update).to) {
      if ((this.saved.get(client) ?? 0) < clock) {
        this.saved.set(client, clock);
        this.savedEncoded = undefined;
      }
    }
  }

  sendSavedAck(peer: Peer): void {
    if (peer.wantsExtensions)
      peer.send(encodeMessage((e) => writeSavedAck(e, this.savedStateVector, this.headSeq)));
  }

  sendError(peer: Peer, event: ErrorEvent): void {
    if (peer.wantsExtensions) peer.send(encodeMessage((e) => writeErrorEvent(e, event)));
  }

  destroy(): void {
    this.awareness.destroy();
    this.doc.destroy();
  }
}
