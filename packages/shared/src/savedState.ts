/**
 * Which local changes are durably saved (SPEC: ACK1–ACK2). The server acknowledges with the state
 * vector of its committed log; a change made by client c up to clock k is saved once that vector
 * holds c ≥ k. Pure comparison of Yjs state vectors.
 */
import * as Y from 'yjs';

export type StateVector = Map<number, number>;

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
