/**
 * Bulk edits of products (the catalog table): one change, many products, each applied as an
 * ordinary patch of that product — a status or price register written, a tag added to or removed
 * from the tag set — so bulk edits merge, sync and show in history like any other edit (BULK1).
 * A price change is computed from the price each product has when the edit is made; a change that
 * would make a price invalid (below zero, above the limit) is refused for that product alone.
 */
import type { DocumentKind } from './documentKind.js';
import { checkPatch, type Patch } from './documentKind.js';
import { PRODUCT_LIMITS, type ProductStatus } from './product.js';

export type BulkChange =
  | { readonly kind: 'status'; readonly status: ProductStatus }
  | { readonly kind: 'addTag'; readonly tag: string }
  | { readonly kind: 'removeTag'; readonly tag: string }
  /** `amount` in cents (may be negative), or `percent` (e.g. 10 or -15). */
  | { readonly kind: 'price'; readonly by: 'amount' | 'percent'; readonly value: number };

/** What the bulk change needs to know of one product as it is now. */
export interface BulkTarget {
  readonly priceCents: number;
  readonly status: string;
  readonly tags: readonly string[];
}

export type BulkPatch =
  | { readonly ok: true; readonly patch: Patch | undefined }
  | { readonly ok: false; readonly reason: string };

/** The price after a change by an amount (cents) or a percentage, rounded to a whole cent. */
export function changedPrice(cents: number, by: 'amount' | 'percent', value: number): number {
  return by === 'amount' ? Math.round(cents + value) : Math.round((cents * (100 + value)) / 100);
}

/**
 * The patch that makes `change` to a product, checked against the product kind. `patch` is
 * undefined when the product already is as asked (nothing to write).
 */
export function bulkPatch(
  kind: DocumentKind<object>,
  target: BulkTarget,
  change: BulkChange,
): BulkPatch {
  let patch: Patch | undefined;
  switch (change.kind) {
    case 'status':
      patch = target.status === change.status ? undefined : { status: change.status };
      break;
    case 'addTag':
      patch = target.tags.includes(change.tag) ? undefined : { tags: { add: [change.tag] } };
      if (patch && target.tags.length >= PRODUCT_LIMITS.maxTags)
        return { ok: false, reason: `already has ${PRODUCT_LIMITS.maxTags} tags` };
      break;
    case 'removeTag':
      patch = target.tags.includes(change.tag) ? { tags: { remove: [change.tag] } } : undefined;
      break;
    case 'price': {
      if (!Number.isFinite(change.value)) return { ok: false, reason: 'not a number' };
      const next = changedPrice(target.priceCents, change.by, change.value);
      if (next < 0) return { ok: false, reason: 'the price would be below zero' };
      patch = next === target.priceCents ? undefined : { priceCents: next };
      break;
    }
  }
  if (!patch) return { ok: true, patch };
  const checked = checkPatch(kind, patch);
  if (!checked.ok) return { ok: false, reason: checked.issues.map((i) => i.message).join('; ') };
  return { ok: true, patch };
}
