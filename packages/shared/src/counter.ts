/**
 * Counter on Yjs (SPEC: CTR1–CTR3). A top-level Y.Map holds one slot per writing Yjs client: the sum
 * of all deltas that client made. A client only sets its own slot, so concurrent adjustments from
 * different replicas never overwrite each other; the value is the sum of all slots.
 */
import type * as Y from 'yjs';

export type CounterMap = Y.Map<unknown>;

export function readCounter(map: CounterMap): number {
  let total = 0;
  map.forEach((raw) => {
    if (typeof raw === 'number' && Number.isSafeInteger(raw)) total += raw;
  });
  return total;
}

/** Add `delta` (a safe integer, may be negative) to this client's slot. */
export function adjustCounter(map: CounterMap, delta: number): void {
  if (!Number.isSafeInteger(delta))
    throw new RangeError(`adjustCounter: delta must be a safe integer, got ${delta}`);
  const doc = map.doc;
  if (!doc) throw new Error('adjustCounter: the counter map is not attached to a Y.Doc');
  if (delta === 0) return;
  const key = String(doc.clientID);
  const own = map.get(key);
  map.set(key, (typeof own === 'number' && Number.isSafeInteger(own) ? own : 0) + delta);
}
