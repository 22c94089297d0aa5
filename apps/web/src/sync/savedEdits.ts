/**
 * Which local edits the server has durably saved. Pure functions over state vectors and the
 * persisted list of pending edits (see storage/docStorage.ts `PendingEdit`).
 */
import type { PendingEdit } from '../storage/docStorage';

export type Vector = Map<number, number>;

export function toPairs(v: Vector): [number, number][] {
  return [...v.entries()];
}

export function fromPairs(pairs: readonly (readonly [number, number])[]): Vector {
  return new Map(pairs.map(([c, k]) => [c, k]));
}

/** Acknowledgements only grow: merge by taking the larger clock per client. */
export function mergeVectors(a: Vector, b: Vector): Vector {
  const out = new Map(a);
  for (const [c, k] of b) out.set(c, Math.max(out.get(c) ?? 0, k));
  return out;
}

/** Pending edits the acknowledged vector does not yet contain. */
export function stillPending(pending: readonly PendingEdit[], ack: Vector): PendingEdit[] {
  return pending.filter(([client, clock]) => !((ack.get(client) ?? 0) >= clock));
}

/** Adds an edit (client reached `clock`), keeping one entry per client (the latest). */
export function addPending(pending: readonly PendingEdit[], edit: PendingEdit): PendingEdit[] {
  return [...pending, edit];
}

/** Number of unsaved edits: pending edits not covered by the acknowledged vector. */
export function unsavedCount(pending: readonly PendingEdit[], ack: Vector): number {
  return stillPending(pending, ack).length;
}
