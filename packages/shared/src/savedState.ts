/**
 * Which local changes are durably saved (SPEC: ACK1–ACK2), for the server (which acknowledges)
 * and the app (which counts). The server acknowledges with the state vector of its committed log;
 * a change made by client c up to clock k is saved once that vector holds c ≥ k. Pure arithmetic
 * over Yjs state vectors and lists of pending edits.
 */
import * as Y from 'yjs';

export type StateVector = Map<number, number>;

/** A local edit: Yjs client `client` wrote up to clock `clock`. Saved once ack[client] ≥ clock. */
export type PendingEdit = readonly [client: number, clock: number];

export function decodeStateVector(bytes: Uint8Array): StateVector {
  return Y.decodeStateVector(bytes);
}

/** Number of operations (Yjs clock ticks) in `local` that `saved` does not yet hold, per client. */
export function unsavedClocks(local: StateVector, saved: StateVector): Map<number, number> {
  const out = new Map<number, number>();
  for (const [client, clock] of local) {
    const have = saved.get(client) ?? 0;
    if (clock > have) out.set(client, clock - have);
  }
  return out;
}

/** True when every operation in `local` is contained in `saved`. */
export function isFullySaved(local: StateVector, saved: StateVector): boolean {
  return unsavedClocks(local, saved).size === 0;
}

/**
 * Acknowledgements only grow: raise `into` to `clocks` where they are higher. Returns whether
 * anything changed.
 */
export function raiseVector(
  into: StateVector,
  clocks: Iterable<readonly [number, number]>,
): boolean {
  let changed = false;
  for (const [client, clock] of clocks) {
    if ((into.get(client) ?? 0) < clock) {
      into.set(client, clock);
      changed = true;
    }
  }
  return changed;
}

/** `a` and `b` merged by the larger clock per client (a new vector). */
export function mergeVectors(a: StateVector, b: StateVector): StateVector {
  const out = new Map(a);
  raiseVector(out, b);
  return out;
}

/** A vector as `[client, clock]` pairs (to store it as JSON), and back. */
export function toPairs(v: StateVector): [number, number][] {
  return [...v.entries()];
}

export function fromPairs(pairs: readonly (readonly [number, number])[]): StateVector {
  return new Map(pairs.map(([c, k]) => [c, k]));
}

/** Pending edits the acknowledged vector does not yet contain. */
export function stillPending(pending: readonly PendingEdit[], ack: StateVector): PendingEdit[] {
  return pending.filter(([client, clock]) => (ack.get(client) ?? 0) < clock);
}
