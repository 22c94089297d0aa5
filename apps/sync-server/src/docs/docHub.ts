/**
 * The documents loaded on this instance: loads them on demand (log, snapshot and client-id
 * owners), shares one LiveDoc among its connections and HTTP requests, unloads idle ones, drops
 * one whose memory ran ahead of its log and publishes change events. Owns the write pipeline,
 * the compactor (compactor.ts) and the follower that keeps loaded copies in step with other
 * instances. A document loading from a snapshot answers its fresh clients from it first
 * (storedAnswer.ts).
 */
import * as Y from 'yjs';
import {
  CloseCode,
  ReasonCode,
  documentKinds,
  parseDocName,
  schemaVersionOf,
} from '@concord/shared';
import type { Logger } from 'pino';
import type { ChangeFeed } from '../events/changeEvents.js';
import { changeEventOf } from '../events/changeEvents.js';
import type { FanOut } from '../fanout/fanOut.js';
import type { Metrics } from '../metrics.js';
import { closeReason } from '../protocol/closeReason.js';
import { writeAwareness } from '../protocol/messages.js';
import { WritePipeline } from '../pipeline/writePipeline.js';
import type { EventStore, LogEntry } from '../store/eventStore.js';
import { AckPolicy } from './acks.js';
import { Broadcaster } from './broadcaster.js';
import { Follower } from './follower.js';
import { GroupCommitter } from './groupCommitter.js';
import { LiveDoc } from './liveDoc.js';
import { Compactor } from './compactor.js';
import { docFromLog, mergeUpdates } from './manyUpdates.js';
import { SnapshotProgress } from './snapshotPolicy.js';
import { StoredOffer, storedStateOf } from './storedAnswer.js';
import { nextTurn } from '../yielder.js';

/** Logs up to this many parts are served merged as stored (`updateAt`). */
const MERGE_AS_STORED = 8;

export interface DocHubOptions {
  readonly idleUnloadMs: number;
  /** Called once a document has left memory (the memory trimmer counts them). */
  readonly unloaded?: () => void;
  readonly snapshotEvery: number;
  readonly maxSkewMs: number;
  readonly maxDocBytes: number;
  /** Minimum interval between saved-acks to peers that did not write. */
  readonly ackIntervalMs?: number;
  /** Broadcasts of one document at most this often (ms); 0: at the end of every turn. */
  readonly broadcastWindowMs?: number;
  /** A group commit waits this long (ms) for more appends; 0: the end of the turn. */
  readonly commitWindowMs?: number;
  /** A load offering its stored state waits at most this long for its clients' sync step 1. */
  readonly storedAskWaitMs?: number;
  readonly gapGraceMs?: number;
  readonly sweepMs?: number;
}

const NOTHING_STORED = Promise.resolve(undefined);

interface Slot {
  live: Promise<LiveDoc>;
  /** While it loads: the stored state fresh clients may be given (storedAnswer.ts), if any. */
  stored: Promise<StoredOffer | undefined>;
  refs: number;
  idle: NodeJS.Timeout | undefined;
}

export class DocHub {
  private readonly slots = new Map<string, Slot>();
  readonly committer: GroupCommitter;
  readonly acks: AckPolicy;
  readonly broadcaster: Broadcaster;
  readonly pipeline: WritePipeline;
  readonly follower: Follower;
  private readonly compactor: Compactor;
  private readonly awarenessSweep: NodeJS.Timeout;

  constructor(
    readonly store: EventStore,
    private readonly feed: ChangeFeed,
    readonly fanOut: FanOut,
    readonly metrics: Metrics,
    private readonly logger: Logger,
    private readonly options: DocHubOptions,
  ) {
    this.compactor = new Compactor(store, metrics, logger, options.snapshotEvery);
    this.committer = new GroupCommitter(
      store,
      (entries, seconds) => {
        metrics.appendSeconds.observe(seconds);
        metrics.appendedEntries.inc(entries);
      },
      options.commitWindowMs ?? 0,
    );
    this.acks = new AckPolicy(options.ackIntervalMs ?? 1_000);
    this.broadcaster = new Broadcaster(this.acks, metrics, options.broadcastWindowMs ?? 0);
    this.pipeline = new WritePipeline(
      {
        committer: this.committer,
        broadcaster: this.broadcaster,
        fanOut,
        metrics,
        logger,
        now: () => Date.now(),
        committed: (live, entries) => this.committed(live, entries),
        evict: (live, why) => this.evict(live, why),
      },
      { maxSkewMs: options.maxSkewMs, maxDocBytes: options.maxDocBytes },
    );
    this.follower = new Follower(this, store, this.pipeline, metrics, logger, {
      ...(options.gapGraceMs !== undefined ? { gapGraceMs: options.gapGraceMs } : {}),
      ...(options.sweepMs !== undefined ? { sweepMs: options.sweepMs } : {}),
    });
    this.awarenessSweep = setInterval(() => void this.sweepAwareness(), 10_000);
    this.awarenessSweep.unref();
  }

  /** Start receiving other instances' entries. */
  async start(): Promise<void> {
    await this.fanOut.start(this.follower);
    if (this.fanOut.shared) this.follower.startSweeping();
  }

  /** Load (or share) the document; pair with `release`. */
  acquire(name: string): Promise<LiveDoc> {
    const slot = this.slots.get(name) ?? this.startLoading(name);
    slot.refs += 1;
    if (slot.idle) {
      clearTimeout(slot.idle);
      slot.idle = undefined;
    }
    return slot.live;
  }

  private startLoading(name: string): Slot {
    let offer!: (stored: StoredOffer | undefined) => void;
    const stored = new Promise<StoredOffer | undefined>((resolve) => (offer = resolve));
    const slot: Slot = { live: this.load(name, offer), stored, refs: 0, idle: undefined };
    this.slots.set(name, slot);
    // Once loaded (or failed), nobody is answered from the stored state: let go of it.
    const loaded = () => {
      offer(undefined);
      slot.stored = NOTHING_STORED;
    };
    slot.live.then(loaded, () => {
      loaded();
      if (this.slots.get(name) === slot) this.slots.delete(name);
    });
    return slot;
  }

  release(name: string): void {
    const slot = this.slots.get(name);
    if (!slot) return;
    slot.refs -= 1;
    if (slot.refs > 0) return;
    slot.idle = setTimeout(() => void this.unload(name, slot), this.options.idleUnloadMs);
    slot.idle.unref();
  }

  async with<T>(name: string, fn: (live: LiveDoc) => Promise<T>): Promise<T> {
    const live = await this.acquire(name);
    try {
      return await fn(live);
    } finally {
      this.release(name);
    }
  }

  /**
   * As `with`, for a document that exists: a document never written is not loaded (so reads of
   * names nobody wrote cost no memory, SPEC MEM3) and `fn` is not called (undefined).
   */
  async withExisting<T>(name: string, fn: (live: LiveDoc) => Promise<T>): Promise<T | undefined> {
    if (!this.slots.has(name) && !(await this.store.head(name))) return undefined;
    return this.with(name, async (live) => {
      // A document is loaded on behalf of any caller; in scale-out it may lag the log.
      if (this.fanOut.shared) await this.follower.upToHead(live);
      return fn(live);
    });
  }

  loadedCount(): number {
    return this.slots.size;
  }

  /**
   * While `name` loads: resolves with the stored state its fresh clients may be given before it
   * is built (storedAnswer.ts), or undefined.
   */
  storedState(name: string): Promise<StoredOffer | undefined> | undefined {
    return this.slots.get(name)?.stored;
  }

  /** The document if it is loaded (or loading) on this instance; does not load it. */
  loaded(name: string): Promise<LiveDoc> | undefined {
    return this.slots.get(name)?.live;
  }

  loadedNames(): string[] {
    return [...this.slots.keys()];
  }

  private async load(
    name: string,
    offer: (stored: StoredOffer | undefined) => void,
  ): Promise<LiveDoc> {
    const parsed = parseDocName(name);
    if (!parsed.ok) throw new Error(parsed.error);
    const kind = documentKinds[parsed.name.kind];
    const [{ snapshot, tail }, owners] = await Promise.all([
      this.store.load(name),
      this.store.owners(name),
    ]);
    const stored = storedStateOf(kind, snapshot, tail.length);
    const offered = stored && new StoredOffer(stored);
    offer(offered);
    // Building from a large snapshot holds the event loop: first, the connections waiting for it
    // (told in the next turn) get their sync step 1 answered from the stored state.
    if (offered) {
      await nextTurn();
      await offered.asked(this.options.storedAskWaitMs ?? 100);
    }
    const parts = [...(snapshot ? [snapshot.state] : []), ...tail.map((e) => e.update)];
    const headSeq = tail.at(-1)?.seq ?? snapshot?.seq ?? 0;
    const doc = await docFromLog(name, parts);
    const bytes = parts.reduce((n, u) => n + u.byteLength, 0);
    const snapshots = new SnapshotProgress(
      { entries: tail.length, bytes: bytes - (snapshot?.state.byteLength ?? 0) },
      snapshot?.seq ?? 0,
      snapshot?.state.byteLength ?? 0,
    );
    // A long tail (a log never compacted): what was just built — exactly the log at headSeq,
    // before any write — is snapshotted once the clients waiting for it are answered.
    const built = snapshots.due(this.options.snapshotEvery)
      ? Y.encodeStateAsUpdate(doc)
      : undefined;
    // The whole document as one update, if at hand: answers fresh clients without encoding it.
    const whole = built ?? (tail.length === 0 ? snapshot?.state : undefined);
    const live = new LiveDoc(
      name,
      parsed.name,
      kind,
      {
        doc,
        bytes,
        headSeq,
        snapshots,
        owners,
        whole,
        ...(stored ? { storedVector: Y.encodeStateVector(doc) } : {}),
      },
      this.options.maxSkewMs,
      () => Date.now(),
    );
    this.metrics.loadedDocs.set(this.slots.size);
    if (built) {
      const covers = snapshots.mark();
      const taken = { seq: headSeq, state: built, schemaVersion: schemaVersionOf(doc, kind) };
      setImmediate(() => void this.compactor.saveLoaded(live, covers, taken));
    }
    // Stored at an older schema version: migrate before anyone sees it (MIG1). Applied at once;
    // committed like any write (a failure evicts the document and the next load retries).
    if (!live.isNew && live.schemaVersion < live.kind.schemaVersion)
      void this.pipeline.migrate(live);
    return live;
  }

  private async unload(name: string, slot: Slot): Promise<void> {
    if (this.slots.get(name) !== slot || slot.refs > 0) return;
    try {
      const live = await slot.live;
      await live.settled();
      // Re-acquired while its writes settled: keep it.
      if (this.slots.get(name) !== slot || slot.refs > 0) return;
      this.slots.delete(name);
      this.forget(live);
      live.destroy();
      this.options.unloaded?.();
    } catch (error) {
      if (this.slots.get(name) === slot) this.slots.delete(name);
      this.logger.warn({ err: error, doc: name }, 'unload failed');
    }
    this.metrics.loadedDocs.set(this.slots.size);
  }

  private forget(live: LiveDoc): void {
    this.acks.forget(live);
    this.broadcaster.forget(live);
    this.follower.forget(live);
  }

  /**
   * A commit failed or was refused: the document in memory holds changes the log lacks. Drop it
   * and disconnect its clients, so they reconnect to a copy rebuilt from the log and resend what
   * it lacks. No acknowledgement ever covers the lost append (SPEC STOR1).
   */
  private evict(live: LiveDoc, why: string): void {
    if (live.destroyed) return;
    this.logger.error(
      { doc: live.name, why },
      'append failed; reloading the document from the log',
    );
    const slot = this.slots.get(live.name);
    if (slot) {
      if (slot.idle) clearTimeout(slot.idle);
      this.slots.delete(live.name);
    }
    this.forget(live);
    for (const peer of [...live.peers]) {
      this.pipeline.sendError(peer, {
        code: ReasonCode.storageFailure,
        message: 'the server could not save recent changes; they will be sent again on reconnect',
      });
      peer.close(
        CloseCode.tryAgainLater,
        closeReason('the server could not save changes; reconnect'),
      );
    }
    live.destroy();
    this.metrics.loadedDocs.set(this.slots.size);
  }

  /** After a commit here: change events, maybe a snapshot. */
  private committed(live: LiveDoc, entries: readonly LogEntry[]): void {
    if (entries.length === 0) return;
    this.feed.publish(entries.map(changeEventOf));
    this.compactor.committed(live);
  }

  /** The document as it was at `seq` (snapshot at or before it, plus the entries up to it). */
  async docAt(name: string, seq: number): Promise<Y.Doc> {
    return docFromLog(name, await this.logAt(name, seq));
  }

  /** The updates that make the document at `seq`: its snapshot at or before it, then the entries. */
  private async logAt(name: string, seq: number): Promise<Uint8Array[]> {
    const { snapshot, tail } = await this.store.load(name, seq);
    return [...(snapshot ? [snapshot.state] : []), ...tail.map((e) => e.update)];
  }

  /**
   * The document as of `seq` as one update, with only what `stateVector` lacks. A short log is
   * merged as it stands (no Y.Doc built, the usual case of a catch-up); a longer one is loaded
   * into a document, whose encoding drops the content its deletions removed.
   */
  async updateAt(name: string, seq: number, stateVector?: Uint8Array): Promise<Uint8Array> {
    const parts = await this.logAt(name, seq);
    if (parts.length <= MERGE_AS_STORED) {
      const merged = mergeUpdates(parts);
      return stateVector ? Y.diffUpdate(merged, stateVector) : merged;
    }
    const doc = await docFromLog(name, parts);
    const update = Y.encodeStateAsUpdate(doc, stateVector);
    doc.destroy();
    return update;
  }

  /** Drop awareness states that were not renewed and tell the remaining connections. */
  private async sweepAwareness(): Promise<void> {
    for (const slot of this.slots.values()) {
      const live = await slot.live.catch(() => undefined);
      if (!live || live.destroyed) continue;
      const removed = live.awareness.sweep();
      if (removed.length === 0) continue;
      const message = writeAwareness(removed);
      for (const peer of live.peers) peer.send(message);
    }
  }

  async close(): Promise<void> {
    clearInterval(this.awarenessSweep);
    this.follower.close();
    for (const [name, slot] of this.slots) {
      if (slot.idle) clearTimeout(slot.idle);
      try {
        const live = await slot.live;
        await live.settled();
        this.forget(live);
        live.destroy();
      } catch {
        // a document that failed to load has nothing to flush
      }
      this.slots.delete(name);
    }
    await this.committer.drain();
    this.broadcaster.close();
    this.acks.close();
    await this.fanOut.close();
  }
}
