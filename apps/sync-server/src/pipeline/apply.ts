/**
 * Apply stage: run an edit on a loaded document and capture exactly what it integrated — the
 * update (what other replicas need), the fields it touched and the clocks it advanced (what an
 * acknowledgement may claim once it is committed). Nothing that could not be integrated stays
 * behind: Yjs' pending structs and deletions are dropped (SPEC MEM2).
 */
import type * as Y from 'yjs';
import { fieldOfType, type TxOrigin } from '@concord/shared';
import type { LiveDoc } from '../docs/liveDoc.js';
import { mergeUpdates } from '../docs/manyUpdates.js';

export interface Applied {
  /** What the edit integrated, as one update. */
  readonly update: Uint8Array;
  /** Fields (or `meta`) whose top-level type changed. */
  readonly changed: ReadonlySet<string>;
  /** [client, end clock] for every client the edit advanced. */
  readonly clocks: readonly (readonly [number, number])[];
}

export interface ApplyResult {
  /** What was integrated; undefined when nothing changed. */
  readonly applied: Applied | undefined;
  /** The edit threw (after applying `applied`, if anything). */
  readonly error: Error | undefined;
}

/**
 * Run `edit` (which applies with the given origin) and capture its effect. Should the edit throw
 * part-way, what it did integrate is returned with the error, so that it is logged all the same.
 */
export function applyCaptured(
  live: LiveDoc,
  edit: (origin: TxOrigin) => void,
  origin: TxOrigin,
): ApplyResult {
  const updates: Uint8Array[] = [];
  const changed = new Set<string>();
  const clocks = new Map<number, number>();
  const onUpdate = (u: Uint8Array) => updates.push(u);
  const onTransaction = (tr: Y.Transaction) => {
    for (const type of tr.changed.keys()) {
      const field = fieldOfType(live.doc, live.kind, type);
      if (field) changed.add(field);
    }
    for (const [client, clock] of tr.afterState) {
      if ((tr.beforeState.get(client) ?? 0) < clock) clocks.set(client, clock);
    }
  };
  const doc = live.doc;
  doc.on('update', onUpdate);
  doc.on('afterTransaction', onTransaction);
  let error: Error | undefined;
  try {
    edit(origin);
  } catch (e) {
    error = e instanceof Error ? e : new Error(String(e));
  } finally {
    doc.off('update', onUpdate);
    doc.off('afterTransaction', onTransaction);
    // Whatever Yjs could not integrate is not kept: the sender is told, nothing is buffered.
    doc.store.pendingStructs = null;
    doc.store.pendingDs = null;
  }
  if (updates.length === 0) return { applied: undefined, error };
  live.contentChanged();
  return {
    applied: {
      update: mergeUpdates(updates),
      changed,
      clocks: [...clocks],
    },
    error,
  };
}
