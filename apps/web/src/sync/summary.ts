import type * as Y from 'yjs';
import { materialize, productKind, profileKind, type DocName } from '@concord/shared';
import type { DocMeta } from '../storage/docStorage';

/** The small record the catalog list shows, so it renders without loading every document. */
export function summarize(doc: Y.Doc, name: DocName): NonNullable<DocMeta['summary']> {
  if (name.kind === 'profile') {
    const p = materialize(doc, profileKind, name.id);
    return { displayName: String(p.displayName) };
  }
  const p = materialize(doc, productKind, name.id);
  return {
    name: String(p.name),
    sku: String(p.sku),
    status: String(p.status),
    priceCents: Number(p.priceCents),
    currency: String(p.currency),
    stock: Number(p.stock),
    tags: p.tags as string[],
  };
}
