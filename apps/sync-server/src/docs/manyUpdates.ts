/**
 * Many Yjs updates at once: merged into one (broadcasts), or applied to a document (loading a log).
 *
 * `Y.mergeUpdates` re-sorts all its inputs for every struct it writes, so its cost grows with the
 * square of their number: merging in rounds of a few keeps it linear in their size.
 *
 * A log is applied in transactions of LOG_CHUNK updates: one transaction per update pays Yjs'
 * cleanup each time, one for everything integrates into ever longer unmerged struct lists; a
 * thousand at a time loads a 100,000-entry log 2–3× faster than either. Between transactions it
 * takes turns with other work (SPEC LIM6): such a log, never compacted, takes about a second to
 * apply, and every other document would wait for it.
 */
import * as Y from 'yjs';
import { nextTurn, yielder } from '../yielder.js';

const FAN_IN = 16;
const LOG_CHUNK = 1_000;

/** The document a stored log (its snapshot first) makes, named `name`. */
export async function docFromLog(name: string, updates: readonly Uint8Array[]): Promise<Y.Doc> {
  // The name as guid: Yjs would otherwise draw a random uuid, 31 random numbers, per document.
  const doc = new Y.Doc({ gc: true, guid: name });
  await applyLog(doc, updates);
  return doc;
}

async function applyLog(doc: Y.Doc, updates: readonly Uint8Array[]): Promise<void> {
  const pause = yielder();
  // A long log was one long read: its apply starts in the next turn.
  if (updates.length > LOG_CHUNK) await nextTurn();
  for (let i = 0; i < updates.length; i += LOG_CHUNK) {
    if (i > 0) await pause();
    doc.transact(() => {
      const end = Math.min(i + LOG_CHUNK, updates.length);
      for (let j = i; j < end; j++) Y.applyUpdate(doc, updates[j]!);
    });
  }
}

export function mergeUpdates(updates: readonly Uint8Array[]): Uint8Array {
  let round = updates;
  while (round.length > 1) {
    const next: Uint8Array[] = [];
    for (let i = 0; i < round.length; i += FAN_IN) {
      const group = round.slice(i, i + FAN_IN);
      next.push(group.length === 1 ? group[0]! : Y.mergeUpdates(group));
    }
    round = next;
  }
  return round[0] ?? Y.encodeStateAsUpdate(new Y.Doc());
}
