/**
 * Cold-load material: a product document with a long history (small real Yjs updates from a
 * Y.Doc edited with `applyPatch`: stock deltas, price writes, description typing, tag
 * adds/removes), written straight into a Concord SQLite event store, and the same document as
 * Hocuspocus's SQLite extension stores it (one merged state). Then: time from a fresh provider
 * client's construction to its initial sync, and a check that it holds exactly the generated
 * document (state vector and materialized JSON).
 */
import Database from 'better-sqlite3';
import { schema as hocuspocusSchema, upsertQuery } from '@hocuspocus/extension-sqlite';
import * as Y from 'yjs';
import { HybridClock, applyPatch, materialize, productKind, type Patch } from '@concord/shared';
import type { NewEntry } from '../src/store/eventStore.js';
import { SqliteEventStore } from '../src/store/sqliteEventStore.js';
import { yClient } from './clients.js';
import { round, stableJson, stateVectorsEqual, type ServerProcess } from './harness.js';

export interface History {
  readonly docName: string;
  readonly updates: number;
  readonly logBytes: number;
  readonly stateBytes: number;
  readonly stateVector: Uint8Array;
  /** The whole document as one update (what Hocuspocus stores). */
  readonly state: Uint8Array;
  readonly json: string;
  readonly generateMs: number;
}

function patchFor(i: number, text: { s: string }): Patch {
  switch (i % 4) {
    case 0:
      return { stock: { delta: i % 8 === 0 ? 1 : -1 } };
    case 1:
      return { priceCents: 100 + (i % 100_000) };
    case 2: {
      text.s += String.fromCharCode(97 + (i % 26));
      if (text.s.length > 1500) text.s = text.s.slice(1);
      return { description: text.s };
    }
    default:
      return i % 8 === 3
        ? { tags: { add: [`tag${i % 37}`] } }
        : { tags: { remove: [`tag${(i - 4) % 37}`] } };
  }
}

/** Generate `count` updates and append them to the store at `dbPath` (1,000 per transaction). */
export async function writeHistory(
  dbPath: string,
  docName: string,
  count: number,
): Promise<History> {
  const started = performance.now();
  const doc = new Y.Doc();
  const clock = new HybridClock({ replicaId: 'bench-history' });
  const store = new SqliteEventStore(dbPath);
  let batch: NewEntry[] = [];
  let updates = 0;
  let logBytes = 0;
  doc.on('update', (update: Uint8Array) => {
    batch.push({ update, user: 'bench', ts: Date.now(), kind: 'edit', changes: [] });
    updates += 1;
    logBytes += update.byteLength;
  });
  const text = { s: '' };
  const nameUpdate = {
    name: 'Cold-load benchmark product',
    sku: 'BENCH-1',
    status: 'active',
  } as const;
  applyPatch(doc, productKind, nameUpdate, { clock, writer: 'bench' });
  for (let i = 0; updates < count && i < count * 2; i++) {
    applyPatch(doc, productKind, patchFor(i, text), { clock, writer: 'bench' });
    if (batch.length >= 1000) {
      await store.append([{ doc: docName, entries: batch }]);
      batch = [];
    }
  }
  if (batch.length > 0) await store.append([{ doc: docName, entries: batch }]);
  await store.close();
  const state = Y.encodeStateAsUpdate(doc);
  const result: History = {
    docName,
    updates,
    logBytes,
    stateBytes: state.byteLength,
    stateVector: Y.encodeStateVector(doc),
    state,
    json: stableJson(materialize(doc, productKind, docName.split(':')[1]!)),
    generateMs: round(performance.now() - started, 0)!,
  };
  doc.destroy();
  return result;
}

export interface SyncSample {
  ms: number;
  ok: boolean;
  problem?: string;
}

/**
 * Store the history's final state as Hocuspocus's SQLite extension does (its own schema and upsert
 * statement): what its server would have written after the same edits.
 */
export function writeHocuspocusState(dbPath: string, history: History): void {
  const db = new Database(dbPath);
  try {
    db.exec(hocuspocusSchema);
    db.prepare(upsertQuery).run({ name: history.docName, data: Buffer.from(history.state) });
  } finally {
    db.close();
  }
}

/** A fresh provider client: construction → initial sync done; then verify its content. */
export async function freshSync(server: ServerProcess, history: History): Promise<SyncSample> {
  const started = performance.now();
  const client = yClient(server, history.docName);
  try {
    let timer: NodeJS.Timeout | undefined;
    const ms = await Promise.race([
      client.whenSynced().then(() => performance.now() - started),
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error('fresh client did not sync in 30 s')), 30_000);
      }),
    ]).finally(() => clearTimeout(timer));
    if (!stateVectorsEqual(history.stateVector, Y.encodeStateVector(client.doc)))
      return { ms, ok: false, problem: 'state vector differs from the generated history' };
    const json = stableJson(materialize(client.doc, productKind, history.docName.split(':')[1]!));
    if (json !== history.json)
      return { ms, ok: false, problem: 'JSON differs from the generated history' };
    return { ms, ok: true };
  } finally {
    client.destroy();
  }
}

/** What the store holds for the document: the newest snapshot's seq and the tail length after it. */
export async function storedShape(
  dbPath: string,
  docName: string,
): Promise<{ snapshotSeq: number | null; tail: number; stateVector: Uint8Array }> {
  const store = new SqliteEventStore(dbPath);
  try {
    const { snapshot, tail } = await store.load(docName);
    const doc = new Y.Doc();
    if (snapshot) Y.applyUpdate(doc, snapshot.state);
    for (const e of tail) Y.applyUpdate(doc, e.update);
    const stateVector = Y.encodeStateVector(doc);
    doc.destroy();
    return { snapshotSeq: snapshot?.seq ?? null, tail: tail.length, stateVector };
  } finally {
    await store.close();
  }
}
