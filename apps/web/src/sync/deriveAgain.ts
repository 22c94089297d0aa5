/**
 * Derives again what a document's metadata says of it, from its stored updates (DERIVE1–2): a
 * summary older than the document, and after an append the page did not finish (`interrupted`),
 * also its pending edits (everything the server has not acknowledged). Used by the workspace's
 * heal pass, so the list heals by itself after a crash, a closed tab or an older app version.
 */
import * as Y from 'yjs';
import { fromPairs, Origin, stillPending, type DocName } from '@concord/shared';
import type { DocMeta, DocStorage } from '../storage/docStorage';
import { summarize } from './summary';

export async function deriveAgain(
  storage: DocStorage,
  name: string,
  docName: DocName,
  interrupted: boolean,
): Promise<DocMeta> {
  const before = await storage.getMeta(name);
  const updates = await storage.loadUpdates(name);
  const doc = new Y.Doc({ guid: name });
  doc.transact(() => {
    for (const u of updates) Y.applyUpdate(doc, u, Origin.storage);
  }, Origin.storage);
  const summary = updates.length > 0 ? summarize(doc, docName) : undefined;
  const local = [...Y.decodeStateVector(Y.encodeStateVector(doc))];
  doc.destroy();
  const derive = (m: DocMeta): DocMeta =>
    // Appended to meanwhile: that append wrote its own summary.
    m.stored !== before?.stored
      ? m
      : {
          ...m,
          ...(summary ? { summary } : {}),
          summarized: m.stored ?? 0,
          ...(interrupted
            ? { pending: stillPending([...m.pending, ...local], fromPairs(m.ack)) }
            : {}),
        };
  return interrupted ? storage.repaired(name, derive) : storage.updateMeta(name, derive);
}
