/** Convergence checks shared by the scenarios: compare replicas, never assume they agree. */
import * as Y from 'yjs';
import { materialize, productKind } from '@concord/shared';
import { yClient } from './clients.js';
import { stableJson, stateVectorsEqual, waitFor, type ServerProcess } from './harness.js';

export interface Verdict {
  ok: boolean;
  checks: string[];
  problems: string[];
}

export function verdict(): Verdict {
  const v: Verdict = {
    get ok() {
      return v.problems.length === 0;
    },
    checks: [],
    problems: [],
  };
  return v;
}

export interface DocState {
  readonly stateVector: Uint8Array;
  readonly json: string;
}

/** The state vector and materialized product of `doc` (the product id is the doc name's tail). */
export function docState(doc: Y.Doc, docName: string): DocState {
  return {
    stateVector: Y.encodeStateVector(doc),
    json: stableJson(materialize(doc, productKind, docName.split(':')[1]!)),
  };
}

/** Every replica holds the same state vector and JSON as the first; returns the first's state. */
export function compareReplicas(
  docs: readonly Y.Doc[],
  docName: string,
  v: Verdict,
  what: string,
): DocState {
  const first = docState(docs[0]!, docName);
  let differ = 0;
  for (const doc of docs.slice(1)) {
    const s = docState(doc, docName);
    if (!stateVectorsEqual(first.stateVector, s.stateVector) || s.json !== first.json) differ += 1;
  }
  if (differ > 0) v.problems.push(`${differ} of ${docs.length} ${what} differ from the first`);
  else v.checks.push(`${docs.length} ${what}: identical state vectors and JSON`);
  return first;
}

/** A fresh provider client syncs to exactly `expected` (the server's state = the replicas'). */
export async function freshMatches(
  server: ServerProcess,
  docName: string,
  expected: DocState,
  v: Verdict,
  user = 'observer',
): Promise<void> {
  const fresh = yClient(server, docName, user);
  try {
    // Synced, then every update the server still had in flight: wait for the expected state.
    const synced = await waitFor(() => fresh.synced(), `fresh client of ${docName} synced`, 30_000);
    if (!synced) {
      v.problems.push(`a fresh client of ${docName} did not sync`);
      return;
    }
    await waitFor(
      () => stateVectorsEqual(expected.stateVector, Y.encodeStateVector(fresh.doc)),
      `fresh client of ${docName} complete`,
      10_000,
      20,
    );
    const s = docState(fresh.doc, docName);
    if (!stateVectorsEqual(expected.stateVector, s.stateVector))
      v.problems.push(`a fresh client of ${docName}: state vector differs`);
    else if (s.json !== expected.json)
      v.problems.push(`a fresh client of ${docName}: JSON differs`);
    else v.checks.push(`a fresh client of ${docName} syncs to the same state`);
  } finally {
    fresh.destroy();
  }
}
