/**
 * The product document kind: one catalog item (docs/architecture.md §4).
 *
 * Schema versions: 1 — tags keyed by the tag; 2 — tags keyed by writer and tag, so an add always
 * wins over a concurrent remove (SET1). Version-1 tag entries stay readable and removable by
 * version-2 code, so the 1 → 2 migration rewrites nothing; it records the version, which tells
 * older apps that the document moved on (MIG1–MIG4).
 */
import { z } from 'zod';
import { ISO_4217_CODES } from './currencies.js';
import type { DocumentKind } from './documentKind.js';

export const PRODUCT_STATUSES = ['draft', 'active', 'archived'] as const;
export const PRODUCT_LIMITS = {
  nameMax: 200,
  descriptionMax: 20_000,
  maxTags: 50,
  tagMax: 40,
  maxPriceCents: 100_000_000_000,
} as const;

export const SKU_PATTERN = /^[A-Z0-9][A-Z0-9-]{1,31}$/;
export const TAG_PATTERN = /^[\p{L}\p{N}][\p{L}\p{N} _.-]*$/u;

const name = z.string().trim().min(1, 'name is required').max(PRODUCT_LIMITS.nameMax);
const sku = z.union([
  z.literal(''),
  z
    .string()
    .regex(
      SKU_PATTERN,
      'SKU must be 2-32 characters: A-Z, 0-9 and "-", starting with a letter or digit',
    ),
]);
const priceCents = z
  .number()
  .int('price must be a whole number of cents')
  .min(0, 'price must not be negative')
  .max(PRODUCT_LIMITS.maxPriceCents);
const currency = z
  .string()
  .refine((c) => ISO_4217_CODES.has(c), 'currency must be an ISO 4217 code such as EUR');
const status = z.enum(PRODUCT_STATUSES);
const description = z.string().max(PRODUCT_LIMITS.descriptionMax);
const tag = z
  .string()
  .min(1, 'a tag must not be empty')
  .max(PRODUCT_LIMITS.tagMax)
  .regex(
    TAG_PATTERN,
    'a tag starts with a letter or digit and holds letters, digits, spaces, "_", "." or "-"',
  );

export const productSchema = z
  .object({
    kind: z.literal('product'),
    id: z.string(),
    schemaVersion: z.number().int(),
    name,
    sku,
    priceCents,
    currency,
    status,
    description,
    tags: z.array(tag).max(PRODUCT_LIMITS.maxTags, `at most ${PRODUCT_LIMITS.maxTags} tags`),
    /** May go negative: offline sales of the last unit on two tablets both count (oversold). */
    stock: z.number().int().refine(Number.isSafeInteger, 'stock out of range'),
  })
  .strict();

export type Product = z.infer<typeof productSchema>;
export type ProductStatus = (typeof PRODUCT_STATUSES)[number];

/** A typed patch of a product: the fields a person edits, in their CRDT form. */
export interface ProductPatch {
  name?: string;
  sku?: string;
  priceCents?: number;
  currency?: string;
  status?: ProductStatus;
  description?: string;
  tags?: { add?: string[]; remove?: string[] };
  stock?: { delta: number };
}

export const productKind: DocumentKind<Product> = {
  kind: 'product',
  schemaVersion: 2,
  fields: {
    name: { kind: 'register', default: 'Untitled product', value: name },
    sku: { kind: 'register', default: '', value: sku },
    priceCents: { kind: 'register', default: 0, value: priceCents },
    currency: { kind: 'register', default: 'EUR', value: currency },
    status: { kind: 'register', default: 'draft', value: status },
    description: { kind: 'text', value: description },
    tags: { kind: 'set', element: tag, max: PRODUCT_LIMITS.maxTags },
    stock: { kind: 'counter' },
  },
  schema: productSchema,
  migrations: {
    // v1 tag entries are read and removed as they are (tagSet.ts): nothing to rewrite.
    1: () => undefined,
  },
};
