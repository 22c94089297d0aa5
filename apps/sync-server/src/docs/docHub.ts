/**
 * Loads documents on demand, shares one LiveDoc per document among its connections and HTTP
 * requests, unloads idle ones, acknowledges commits, compacts logs into snapshots and publishes
 * change events.
 */
import * as Y from 'yjs';
import { CloseCode, ReasonCode, documentKinds, parseDocName } from '@concord/shared';
import type { Logger } from 'pino';
import type { ChangeFeed } from '../events/changeEvents.js';
import { changeEventOf } from '../events/changeEvents.js';
import type { Metrics } from '../metrics.js';
import type { EventStore, LogEntry } from '../store/eventStore.js';
import { GroupCommitter } from './groupCommitter.js';
import { LiveDoc, type Peer } from './liveDoc.js';

export interface DocHubOptions {
  readonly idleUnloadMs: number;
  readonly snapshotEvery: number;
  readonly maxSkewMs: number;
  readonly maxDocBytes: number;
  /** Minimum interval between saved-acks to peers that did not write. */
  readonly ackIntervalMs?: number;
}

interface Slot {
  live: Promise<LiveDoc>;
  refs: number;
  idle: NodeJS.Timeout | undefined;
}

export class DocHub {
  private readonly slots = new Map<string, Slot>();
  readonly committer: GroupCommitter;
  private readonly compacting = new Set<string>();
  /** Peers that wrote since their last ack, per document. */
  private readonly awaitingAck = new Map<LiveDoc, Set<Peer>>();
  private readonly broadcastTimers = new Map<LiveDoc, NodeJS.Timeout>();
  private ackScheduled = false;
  /** Hook for scale-out fan-out: called with every committed entry of this instance. */
  onCommittedEntries: (entries: readonly LogEntry[]) => void = () => {};
  /** Hook for scale-out fan-out: called when a document is loaded, before any edit of it. */
  onLoaded: (live: LiveDoc) => void = () => {};

  constructor(
    readonly store: EventStore,
    private readonly feed: ChangeFeed,
    private readonly metrics: Metrics,
    private readonly logger: Logger,
    private readonly options: DocHubOptions,
  ) {
    this.committer = new GroupCommitter(store, (entries, seconds) => {
      metrics.appendSeconds.observe(seconds);
      metrics.appendedEntries.inc(entries);
    });
  }

  /** Load (or share) the document; pair with `release`. */
  acquire(name: string): Promise<LiveDoc> {
    let slot = this.slots.get(name);
    if (!slot) {
      slot = { live: this.load(name), refs: 0, idle: undefined };
      this.slots.set(name, slot);
      const s = slot;
      s.live.catch(() => {
        if (this.slots.get(name) === s) this.slots.delete(name);
      });
    }
    slot.refs += 1;
    if (slot.idle) {
      clearTimeout(slot.idle);
      slot.idle = undefined;
    }
    return slot.live;
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

  loadedCount(): number {
    return this.slots.size;
  }

  /** The document if it is loaded (or loading) on this instance; does not load it. */
  loaded(name: string): Promise<LiveDoc> | undefined {
    return this.slots.get(name)?.live;
  }

  loadedNames(): string[] {
    return [...this.slots.keys()];
  }

  private async load(name: string): Promise<LiveDoc> {
    const parsed = parseDocName(name);
    if (!parsed.ok) throw new Error(parsed.error);
    const { snapshot, tail } = await this.store.load(name);
    const state = [...(snapshot ? [snapshot.state] : []), ...tail.map((e) => e.update)];
    const live = new LiveDoc(
      name,
      parsed.name,
      documentKinds[parsed.name.kind],
      { state, headSeq: tail.at(-1)?.seq ?? snapshot?.seq ?? 0, sinceSnapshot: tail.length },
      {
        commit: (doc, entries) => this.committer.enqueue(doc, entries),
        onCommitted: (l, entries, writer) => this.committed(l, entries, writer),
        onCommitFailed: (l, error) => {
          this.logger.error(
            { err: error, doc: l.name },
            'append failed; reloading the document from the log',
          );
          this.evict(l);
        },
        maxSkewMs: this.options.maxSkewMs,
        maxDocBytes: this.options.maxDocBytes,
        now: () => Date.now(),
      },
    );
    this.onLoaded(live);
    this.metrics.loadedDocs.set(this.slots.size);
    if (tail.length >= this.options.snapshotEvery) void this.compact(name);
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
    } catch (error) {
      if (this.slots.get(name) === slot) this.slots.delete(name);
      this.logger.warn({ err: error, doc: name }, 'unload failed');
    }
    this.metrics.loadedDocs.set(this.slots.size);
  }

  private forget(live: LiveDoc): void {
    this.awaitingAck.delete(live);
    clearTimeout(this.broadcastTimers.get(live));
    this.broadcastTimers.delete(live);
  }

  /**
   * A commit failed (disk full, database down): the in-memory document now holds changes the log
   * lacks. Drop it and disconnect its clients, so they reconnect to a copy rebuilt from the log
   * and resend what it lacks. No acknowledgement ever covers the lost append.
   */
  private evict(live: LiveDoc): void {
    const slot = this.slots.get(live.name);
    if (slot) {
      if (slot.idle) clearTimeout(slot.idle);
      this.slots.delete(live.name);
    }
    this.forget(live);
    for (const peer of [...live.peers]) {
      live.sendError(peer, {
        code: ReasonCode.storageFailure,
        message: 'the server could not save recent changes; they will be sent again on reconnect',
      });
      peer.close(CloseCode.tryAgainLater, 'the server could not save changes; reconnect');
    }
    live.destroy();
    this.metrics.loadedDocs.set(this.slots.size);
  }

  /** After a commit: publish, maybe compact, and acknowledge to the writer at once. */
  private committed(live: LiveDoc, entries: readonly LogEntry[], writer: Peer | undefined): void {
    if (entries.length === 0) return;
    this.feed.publish(entries.map(changeEventOf));
    this.onCommittedEntries(entries);
    if (live.sinceSnapshot >= this.options.snapshotEvery) void this.compact(live.name);
    let writers = this.awaitingAck.get(live);
    if (!writers) this.awaitingAck.set(live, (writers = new Set()));
    if (writer) writers.add(writer);
    this.scheduleAcks();
  }

  /** Writers get their ack right after the commit; every other peer within ackIntervalMs. */
  private scheduleAcks(): void {
    if (this.ackScheduled) return;
    this.ackScheduled = true;
    setImmediate(() => {
      this.ackScheduled = false;
      for (const [live, writers] of this.awaitingAck) {
        for (const peer of writers) if (live.peers.has(peer)) live.sendSavedAck(peer);
        if (!this.broadcastTimers.has(live)) {
          const timer = setTimeout(() => {
            this.broadcastTimers.delete(live);
            for (const peer of live.peers) live.sendSavedAck(peer);
          }, this.options.ackIntervalMs ?? 50);
          timer.unref();
          this.broadcastTimers.set(live, timer);
        }
      }
      this.awaitingAck.clear();
    });
  }

  /** Write a snapshot of the committed log (rebuilt from the store, so it is exactly seq-aligned). */
  async compact(name: string): Promise<void> {
    if (this.compacting.has(name)) return;
    this.compacting.add(name);
    try {
      const { snapshot, tail } = await this.store.load(name);
      const last = tail.at(-1);
      if (!last) return;
      const doc = new Y.Doc();
      doc.transact(() => {
        if (snapshot) Y.applyUpdate(doc, snapshot.state);
        for (const e of tail) Y.applyUpdate(doc, e.update);
      });
      await this.store.saveSnapshot(name, { seq: last.seq, state: Y.encodeStateAsUpdate(doc) });
      doc.destroy();
      const slot = this.slots.get(name);
      if (slot) (await slot.live).sinceSnapshot = 0;
      this.metrics.compactions.inc();
    } catch (error) {
      this.logger.error({ err: error, doc: name }, 'compaction failed');
    } finally {
      this.compacting.delete(name);
    }
  }

  /** The document as it was at `seq` (snapshot at or before it, plus the entries up to it). */
  async docAt(name: string, seq: number): Promise<Y.Doc> {
    const { snapshot, tail } = await this.store.load(name, seq);
    const doc = new Y.Doc();
    doc.transact(() => {
      if (snapshot) Y.applyUpdate(doc, snapshot.state);
      for (const e of tail) Y.applyUpdate(doc, e.update);
    });
    return doc;
  }

  async close(): Promise<void> {
    for (const [name, slot] of this.slots) {
      if (slot.idle) clearTimeout(slot.idle);
      try {
        const live = await slot.live;
        await live.settled();
        live.destroy();
      } catch {
        // a document that failed to load has nothing to flush
      }
      this.slots.delete(name);
    }
    await this.committer.drain();
  }
}
