/**
 * Bulk edits from the catalog table: one change applied to many products as ordinary local edits
 * (BULK1), offline too. Each product is read from this device, patched as an editor would patch
 * it, and its update, pending edit and new summary stored together — a batch of products in one
 * IndexedDB transaction. Open editors (any tab) receive the update over the tab channel; the
 * workspace pushes the pending edits to the server like any other.
 */
import * as Y from 'yjs';
import {
  applyPatch,
  bulkPatch,
  Origin,
  parseDocName,
  productKind,
  readField,
  type BulkChange,
  type HybridClock,
} from '@concord/shared';
import type { AppendEntry, DocMeta, DocStorage } from '../storage/docStorage';
import { summarize } from './summary';
import { publishToTabs } from './tabChannel';

const BULK_BATCH = 250;
const SLICE_MS = 8;

export interface BulkResult {
  /** Products changed. */
  readonly changed: number;
  /** Products that already were as asked. */
  readonly unchanged: number;
  /** Products the change could not be made to, and why. */
  readonly refused: readonly { readonly doc: string; readonly reason: string }[];
}

export interface BulkDeps {
  readonly storage: DocStorage;
  readonly clock: HybridClock;
  readonly writer: string;
  readonly onMetas: (metas: DocMeta[]) => void;
}

export async function bulkEdit(
  deps: BulkDeps,
  docs: readonly string[],
  change: BulkChange,
  onProgress?: (done: number) => void,
): Promise<BulkResult> {
  let changed = 0;
  let unchanged = 0;
  const refused: { doc: string; reason: string }[] = [];
  let slice = performance.now();
  for (let i = 0; i < docs.length; i += BULK_BATCH) {
    const batch = docs.slice(i, i + BULK_BATCH);
    const stored = await deps.storage.readMany(batch);
    const entries: AppendEntry[] = [];
    for (const doc of batch) {
      if (performance.now() - slice > SLICE_MS) {
        await new Promise((resolve) => setTimeout(resolve, 0));
        slice = performance.now();
      }
      const name = parseDocName(doc);
      const local = stored.get(doc);
      if (!name.ok || name.name.kind !== 'product' || !local || local.updates.length === 0) {
        refused.push({ doc, reason: 'not on this device' });
        continue;
      }
      const ydoc = new Y.Doc({ guid: doc });
      ydoc.transact(() => {
        for (const u of local.updates) Y.applyUpdate(ydoc, u, Origin.storage);
      }, Origin.storage);
      const field = (f: string) => readField(ydoc, productKind, f);
      const result = bulkPatch(
        productKind,
        {
          priceCents: Number(field('priceCents')),
          status: String(field('status')),
          tags: field('tags') as string[],
        },
        change,
      );
      if (!result.ok || !result.patch) {
        if (result.ok) unchanged++;
        else refused.push({ doc, reason: result.reason });
        ydoc.destroy();
        continue;
      }
      let update: Uint8Array | undefined;
      ydoc.on('update', (u: Uint8Array) => (update = u));
      applyPatch(ydoc, productKind, result.patch, { clock: deps.clock, writer: deps.writer });
      const edit = [ydoc.clientID, Y.getState(ydoc.store, ydoc.clientID)] as const;
      const summary = summarize(ydoc, name.name);
      ydoc.destroy();
      if (!update) continue;
      const count = local.meta?.stored;
      entries.push({
        doc,
        update,
        change: (m) => ({
          ...m,
          pending: [...m.pending, edit],
          // Another tab appended meanwhile: the summary stays marked stale and is derived again.
          ...(m.stored === count ? { summary, summarized: (m.stored ?? 0) + 1 } : {}),
          updatedAt: Date.now(),
        }),
      });
    }
    const metas = await deps.storage.appendMany(entries);
    for (const { doc, update } of entries) publishToTabs(doc, update);
    changed += entries.length;
    deps.onMetas(metas);
    onProgress?.(Math.min(i + BULK_BATCH, docs.length));
  }
  return { changed, unchanged, refused };
}
