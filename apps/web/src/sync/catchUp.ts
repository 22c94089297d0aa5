/**
 * Batched catch-up of many documents without a WebSocket each: ask the server which documents of
 * a kind exist and at which version, then `POST /api/sync` the local state vectors of the ones that
 * changed (in batches) and store the returned updates. After one run every document is available
 * offline. Pure TypeScript over DocStorage and ApiClient.
 */
import * as Y from 'yjs';
import { fromBase64, toBase64 } from 'lib0/buffer';
import { parseDocName, Origin, type DocumentKindName } from '@concord/shared';
import type { ApiClient } from '../api/client';
import {
  COMPACT_THRESHOLD,
  type AppendEntry,
  type DocMeta,
  type DocStorage,
  type StoredDoc,
} from '../storage/docStorage';
import { summarize } from './summary';

export const CATCH_UP_BATCH = 250;
/** Main-thread work runs in slices of about this long, so typing never waits for a batch. */
const SLICE_MS = 8;
/** Documents stored per IndexedDB transaction. */
const STORE_SLICE = 50;

export interface CatchUpResult {
  readonly changed: string[];
  readonly checked: number;
}

/** How far a catch-up is: documents brought up to date of those that were behind. */
export interface CatchUpProgress {
  readonly done: number;
  readonly total: number;
}

/** A pause for the page (input, paint) once the current slice has used its time. */
function slicer(): () => Promise<void> {
  let start = performance.now();
  return async () => {
    if (performance.now() - start < SLICE_MS) return;
    await new Promise((resolve) => setTimeout(resolve, 0));
    start = performance.now();
  };
}

/**
 * What this browser holds of a batch, and the request for what it lacks. Only documents it has
 * metadata for are read: one it never stored is asked for whole (a first sync reads nothing).
 */
async function requestFor(
  storage: DocStorage,
  docs: readonly string[],
  known: (doc: string) => boolean,
): Promise<{ stored: Map<string, StoredDoc>; request: Record<string, string> }> {
  const held = docs.filter(known);
  const stored = held.length > 0 ? await storage.readMany(held) : new Map<string, StoredDoc>();
  const request: Record<string, string> = {};
  for (const doc of docs) {
    const updates = stored.get(doc)?.updates ?? [];
    request[doc] =
      updates.length === 0
        ? ''
        : toBase64(
            Y.encodeStateVectorFromUpdate(
              updates.length === 1 ? updates[0]! : Y.mergeUpdates(updates),
            ),
          );
  }
  return { stored, request };
}

/**
 * Brings every document of `kind` up to the server's version. Resumable: a document counts as
 * caught up once its new version is stored, so a run cut short (offline, closed tab) goes on with
 * the documents still behind. Each batch is read in one IndexedDB transaction and stored in one,
 * the next batch is downloaded while this one is stored, and decoding yields to the page every
 * few milliseconds. Metadata is reported a batch at a time (`onMetas`), so a first sync of
 * thousands of products re-renders the list in chunks.
 */
export async function catchUp(
  api: ApiClient,
  storage: DocStorage,
  kind: DocumentKindName,
  onMetas?: (metas: DocMeta[]) => void,
  onProgress?: (progress: CatchUpProgress) => void,
  /** This tab's copy of the stored metadata (the catalog's), instead of reading all of it. */
  knownMetas?: () => ReadonlyMap<string, DocMeta> | undefined,
): Promise<CatchUpResult> {
  const listed = await api.listDocs(kind);
  const metas: ReadonlyMap<string, DocMeta> =
    knownMetas?.() ?? new Map((await storage.allMeta(`${kind}:`)).map((m) => [m.doc, m]));
  const stale = listed.filter((entry) => metas.get(entry.doc)?.version !== entry.version);
  const changedAt = new Map(stale.map((e) => [e.doc, e.updatedAt]));
  const batches: string[][] = [];
  for (let i = 0; i < stale.length; i += CATCH_UP_BATCH)
    batches.push(stale.slice(i, i + CATCH_UP_BATCH).map((e) => e.doc));
  const fetchBatch = async (docs: readonly string[]) => {
    const { stored, request } = await requestFor(storage, docs, (doc) => metas.has(doc));
    return { stored, answer: await api.sync(request) };
  };
  const changed: string[] = [];
  const pause = slicer();
  onProgress?.({ done: 0, total: stale.length });
  let next = batches.length > 0 ? fetchBatch(batches[0]!) : undefined;
  for (let b = 0; b < batches.length; b++) {
    const { stored, answer } = await next!;
    // Downloading the next batch while this one is decoded and stored.
    next = b + 1 < batches.length ? fetchBatch(batches[b + 1]!) : undefined;
    next?.catch(() => undefined);
    const entries: AppendEntry[] = [];
    const metaOnly: { doc: string; change: (m: DocMeta) => DocMeta }[] = [];
    for (const [doc, { update, version }] of Object.entries(answer.docs ?? {})) {
      await pause();
      const name = parseDocName(doc);
      if (!name.ok) continue;
      const bytes = fromBase64(update);
      const local = stored.get(doc);
      const merged = new Y.Doc({ guid: doc }); // a guid of its own would cost 31 random numbers;
      merged.transact(() => {
        for (const u of [...(local?.updates ?? []), bytes])
          Y.applyUpdate(merged, u, Origin.storage);
      }, Origin.storage);
      const summary = summarize(merged, name.name);
      merged.destroy();
      const count = local?.meta?.stored;
      // The update and its summary in one transaction; if another tab appended in between, the
      // summary may miss that: it is left marked stale and healed from the whole log (DERIVE1).
      const caughtUp = (m: DocMeta): DocMeta => ({
        ...m,
        version: Math.max(version, m.version ?? 0),
        ...(m.stored === count ? { summary, summarized: (m.stored ?? 0) + 1 } : {}),
        // When the server last changed it (the table's "Updated" column).
        updatedAt: changedAt.get(doc) ?? Date.now(),
      });
      if (bytes.length > 2) entries.push({ doc, update: bytes, change: caughtUp });
      else
        metaOnly.push({
          doc,
          change: (m) => ({
            ...caughtUp(m),
            ...(m.stored === count ? { summarized: m.stored ?? 0 } : {}),
          }),
        });
    }
    // Stored a slice at a time: IndexedDB copies each value on the main thread when it is
    // requested, so one transaction for 250 documents would be one long task.
    const batchMetas: DocMeta[] = [];
    for (let i = 0; i < entries.length; i += STORE_SLICE) {
      batchMetas.push(...(await storage.appendMany(entries.slice(i, i + STORE_SLICE))));
      await pause();
    }
    for (const { doc, change } of metaOnly) batchMetas.push(await storage.updateMeta(doc, change));
    for (const { doc } of entries)
      if ((stored.get(doc)?.updates.length ?? 0) + 1 > COMPACT_THRESHOLD)
        await storage.compact(doc, Y.mergeUpdates);
    changed.push(...batchMetas.map((m) => m.doc));
    onMetas?.(batchMetas);
    onProgress?.({
      done: Math.min((b + 1) * CATCH_UP_BATCH, stale.length),
      total: stale.length,
    });
  }
  return { changed, checked: listed.length };
}
