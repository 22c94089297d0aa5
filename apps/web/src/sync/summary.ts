import type * as Y from 'yjs';
import {
  orderKind,
  orderTotals,
  productKind,
  profileKind,
  readField,
  type DocName,
  type OrderLineValue,
} from '@concord/shared';
import type { DocMeta } from '../storage/docStorage';

/**
 * The small record the catalog list shows, so it renders without loading every document. Made on
 * every stored update (DERIVE1), so it reads only the fields it shows — never a long description.
 */
export function summarize(doc: Y.Doc, name: DocName): NonNullable<DocMeta['summary']> {
  if (name.kind === 'profile')
    return { displayName: String(readField(doc, profileKind, 'displayName')) };
  if (name.kind === 'order') {
    const lines = readField(doc, orderKind, 'lines') as OrderLineValue[];
    const [currency, totalCents] = [...orderTotals(lines)][0] ?? ['EUR', 0];
    return {
      customer: String(readField(doc, orderKind, 'customer')),
      status: String(readField(doc, orderKind, 'status')),
      lines: lines.length,
      totalCents,
      currency,
    };
  }
  const field = (f: string) => readField(doc, productKind, f);
  return {
    name: String(field('name')),
    sku: String(field('sku')),
    status: String(field('status')),
    priceCents: Number(field('priceCents')),
    currency: String(field('currency')),
    stock: Number(field('stock')),
    tags: field('tags') as string[],
  };
}
