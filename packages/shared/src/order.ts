/**
 * The order document kind: an order draft — customer reference, notes, lines — that people edit
 * like any document, offline too; and its status, which only the server writes (ORD1): placing,
 * paying, committing stock and cancelling are server commands (the reservation ledger and the
 * order saga in the sync server decide them).
 */
import { z } from 'zod';
import { ISO_4217_CODES } from './currencies.js';
import { DOC_ID_PATTERN } from './docName.js';
import type { DocumentKind } from './documentKind.js';
import { PRODUCT_LIMITS } from './product.js';

export const ORDER_STATUSES = [
  'draft',
  'placed',
  'payment_requested',
  'paid',
  'stock_committed',
  'fulfilled',
  'released',
  'cancelled',
] as const;
export type OrderStatus = (typeof ORDER_STATUSES)[number];

export const ORDER_LIMITS = {
  customerMax: 200,
  notesMax: 5_000,
  maxLines: 100,
  maxQuantity: 10_000,
} as const;

/** One line: a product, how many, and its unit price (the server captures it when placing). */
export const orderLineSchema = z
  .object({
    product: z.string().regex(DOC_ID_PATTERN, 'product must be a product id'),
    quantity: z
      .number()
      .int('quantity must be a whole number')
      .min(1, 'quantity must be at least 1')
      .max(ORDER_LIMITS.maxQuantity),
    unitPriceCents: z.number().int().min(0).max(PRODUCT_LIMITS.maxPriceCents),
    currency: z.string().refine((c) => ISO_4217_CODES.has(c), 'currency must be an ISO 4217 code'),
  })
  .strict();
export type OrderLineValue = z.infer<typeof orderLineSchema>;

const customer = z.string().trim().max(ORDER_LIMITS.customerMax);
const notes = z.string().max(ORDER_LIMITS.notesMax);
const status = z.enum(ORDER_STATUSES);
const statusReason = z.string().max(200);

export const orderSchema = z
  .object({
    kind: z.literal('order'),
    id: z.string(),
    schemaVersion: z.number().int(),
    customer,
    notes,
    lines: z
      .array(orderLineSchema.extend({ id: z.string() }))
      .max(ORDER_LIMITS.maxLines, `at most ${ORDER_LIMITS.maxLines} lines`),
    status,
    statusReason,
  })
  .strict();

export type Order = z.infer<typeof orderSchema>;

export const orderKind: DocumentKind<Order> = {
  kind: 'order',
  schemaVersion: 1,
  fields: {
    customer: { kind: 'register', default: '', value: customer },
    notes: { kind: 'text', value: notes },
    lines: { kind: 'lines', value: orderLineSchema, max: ORDER_LIMITS.maxLines },
    status: { kind: 'register', default: 'draft', value: status, serverOnly: true },
    /** Why the order is where it is ("Payment declined", "Reservation expired"), if it says. */
    statusReason: { kind: 'register', default: '', value: statusReason, serverOnly: true },
  },
  schema: orderSchema,
  migrations: {},
  // What was reserved is what is charged and shipped: lines are frozen once placed (ORD5).
  locked: (json) =>
    json.status === 'draft' || json.status === 'released'
      ? []
      : [
          {
            field: 'lines',
            code: 'locked',
            message: 'the order is placed: its lines are what was reserved and cannot change',
          },
        ],
};

/** Order total in cents per currency (lines of one order normally share one). */
export function orderTotals(lines: readonly OrderLineValue[]): Map<string, number> {
  const totals = new Map<string, number>();
  for (const l of lines)
    totals.set(l.currency, (totals.get(l.currency) ?? 0) + l.quantity * l.unitPriceCents);
  return totals;
}
