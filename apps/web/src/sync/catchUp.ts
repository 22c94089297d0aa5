/**
 * Batched catch-up of many documents without a WebSocket each: ask the server which documents of
 * a kind exist and at which version, then `POST /api/sync` the local state vectors of the ones that
 * changed (in batches) and store the returned updates. After one run every document is available
 * offline. Pure TypeScript over DocStorage and ApiClient.
 */
import * as Y from 'yjs';
import { fromBase64, toBase64 } from 'lib0/buffer';
import { parseDocName, Origin } from '@concord/shared';
import type { ApiClient } from '../api/client';
import { COMPACT_THRESHOLD, type DocMeta, type DocStorage } from '../storage/docStorage';
import { summarize } from './summary';

export const CATCH_UP_BATCH = 200;

export interface CatchUpResult {
  readonly changed: string[];
  readonly checked: number;
}

async function stateVectorOf(storage: DocStorage, doc: string): Promise<Uint8Array | undefined> {
  const updates = await storage.loadUpdates(doc);
  if (updates.length === 0) return undefined;
  return Y.encodeStateVectorFromUpdate(
    updates.length === 1 ? updates[0]! : Y.mergeUpdates(updates),
  );
}

/** How far a catch-up is: documents brought up to date of those that were behind. */
export interface CatchUpProgress {
  readonly done: number;
  readonly total: number;
}

/**
 * Brings every document of `kind` up to the server's version. Resumable: a document counts as
 * caught up once its new version is stored, so a run cut short (offline, closed tab) goes on with
 * the documents still behind. Metadata is reported a batch at a time (`onMetas`), so a first sync
 * of thousands of products re-renders the list in chunks.
 */
export async function catchUp(
  api: ApiClient,
  storage: DocStorage,
  kind: 'product' | 'profile',
  onMetas?: (metas: DocMeta[]) => void,
  onProgress?: (progress: CatchUpProgress) => void,
): Promise<CatchUpResult> {
  const listed = await api.listDocs(kind);
  const metas = new Map((await storage.allMeta(`${kind}:`)).map((m) => [m.doc, m]));
  const stale = listed.filter((entry) => metas.get(entry.doc)?.version !== entry.version);
  const changed: string[] = [];
  onProgress?.({ done: 0, total: stale.length });
  for (let i = 0; i < stale.length; i += CATCH_UP_BATCH) {
    const batchMetas: DocMeta[] = [];
    const batch = stale.slice(i, i + CATCH_UP_BATCH);
    const request: Record<string, string> = {};
    for (const entry of batch) {
      const sv = await stateVectorOf(storage, entry.doc);
      request[entry.doc] = sv ? toBase64(sv) : '';
    }
    const answer = await api.sync(request);
    for (const [doc, { update, version }] of Object.entries(answer.docs ?? {})) {
      const name = parseDocName(doc);
      if (!name.ok) continue;
      const bytes = fromBase64(update);
      const stored = await storage.loadUpdates(doc);
      const merged = new Y.Doc();
      for (const u of [...stored, bytes]) Y.applyUpdate(merged, u, Origin.storage);
      const summary = summarize(merged, name.name);
      merged.destroy();
      const count = (await storage.getMeta(doc))?.stored;
      // The update and its summary in one transaction; if another tab appended in between, the
      // summary may miss that: it is left marked stale and healed from the whole log (DERIVE1).
      const caughtUp = (m: DocMeta): DocMeta => ({
        ...m,
        version: Math.max(version, m.version ?? 0),
        ...(m.stored === count ? { summary, summarized: (m.stored ?? 0) + 1 } : {}),
        updatedAt: Date.now(),
      });
      const meta =
        bytes.length > 2
          ? await storage.appendUpdate(doc, bytes, caughtUp)
          : await storage.updateMeta(doc, (m) => ({
              ...caughtUp(m),
              ...(m.stored === count ? { summarized: m.stored ?? 0 } : {}),
            }));
      if (stored.length + 1 > COMPACT_THRESHOLD) await storage.compact(doc, Y.mergeUpdates);
      batchMetas.push(meta);
      changed.push(doc);
    }
    onMetas?.(batchMetas);
    onProgress?.({ done: Math.min(i + CATCH_UP_BATCH, stale.length), total: stale.length });
  }
  return { changed, checked: listed.length };
}
