/**
 * Compaction (SPEC SNAP1, BLAME1): a loaded document's log gets a snapshot once one is due
 * (snapshotPolicy.ts), rebuilt from the store so that it is exactly seq-aligned, and its blame
 * index is brought up to date with it. A snapshot records the document's schema version at its
 * seq, which lets a later load answer fresh clients from it (storedAnswer.ts).
 */
import * as Y from 'yjs';
import { schemaVersionOf } from '@concord/shared';
import type { Logger } from 'pino';
import type { Metrics } from '../metrics.js';
import type { EventStore, Snapshot } from '../store/eventStore.js';
import { blameOf } from './blame.js';
import type { LiveDoc } from './liveDoc.js';
import { docFromLog } from './manyUpdates.js';
import type { LogAmount } from './snapshotPolicy.js';

export class Compactor {
  private readonly compacting = new Set<string>();

  constructor(
    private readonly store: EventStore,
    private readonly metrics: Metrics,
    private readonly logger: Logger,
    private readonly snapshotEvery: number,
  ) {}

  /** Is a snapshot due for `live`'s log (counted since load)? */
  due(live: LiveDoc): boolean {
    return live.snapshots.due(this.snapshotEvery);
  }

  /** After a commit: compact if a snapshot is due (one at a time per document). */
  committed(live: LiveDoc): void {
    if (this.due(live)) void this.compact(live);
  }

  /** Save the snapshot a load built (the document exactly as its log held it, before any write). */
  async saveLoaded(live: LiveDoc, covers: LogAmount, snapshot: Snapshot): Promise<void> {
    try {
      await this.store.saveSnapshot(live.name, snapshot);
      live.snapshots.taken(covers, snapshot.seq, snapshot.state.byteLength);
      this.metrics.compactions.inc();
    } catch (error) {
      this.logger.error({ err: error, doc: live.name }, 'snapshot on load failed');
    }
  }

  private async compact(live: LiveDoc): Promise<void> {
    const name = live.name;
    if (this.compacting.has(name)) return;
    this.compacting.add(name);
    // Everything counted so far is in the log the snapshot is built from.
    const covers = live.snapshots.mark();
    try {
      const { snapshot, tail } = await this.store.load(name);
      const last = tail.at(-1);
      if (!last) return;
      // Applied, not merged: a document garbage-collects deleted content, a merge keeps it.
      const doc = await docFromLog(name, [
        ...(snapshot ? [snapshot.state] : []),
        ...tail.map((e) => e.update),
      ]);
      const state = Y.encodeStateAsUpdate(doc);
      const schemaVersion = schemaVersionOf(doc, live.kind);
      await this.store.saveSnapshot(name, { seq: last.seq, state, schemaVersion });
      doc.destroy();
      // The blame index keeps pace too, so a question reads at most one snapshot's tail (BLAME1).
      await blameOf(this.store, name);
      live.snapshots.taken(covers, last.seq, state.byteLength);
      this.metrics.compactions.inc();
    } catch (error) {
      this.logger.error({ err: error, doc: name }, 'compaction failed');
      return;
    } finally {
      this.compacting.delete(name);
    }
    // Commits while it ran could not start another: one may be due already.
    if (!live.destroyed) this.committed(live);
  }
}
