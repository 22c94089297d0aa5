/**
 * Counter on Yjs (SPEC: CTR1–CTR3). A top-level Y.Map holds one slot per writing Yjs client: the sum
 * of all deltas that client made. A client only sets its own slot, so concurrent adjustments from
 * different replicas never overwrite each other; the value is the sum of all slots.
 */
import type * as Y from 'yjs';

export type CounterMap = Y.Map<unknown>;

/**
 * The sum of all well-formed slots, computed exactly: a sum beyond the safe integers is returned as
 * the nearest number (not a safe integer), which the schema then refuses and compensation repairs.
 */
export function readCounter(map: CounterMap): number {
  let total = 0;
  let exact = true;
  map.forEach((raw) => {
    if (typeof raw !== 'number' || !Number.isSafeInteger(raw)) return;
    total += raw;
    if (!Number.isSafeInteger(total)) exact = false;
  });
  if (exact) return total;
  let big = 0n;
  map.forEach((raw) => {
    if (typeof raw === 'number' && Number.isSafeInteger(raw)) big += BigInt(raw);
  });
  return Number(big);
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
