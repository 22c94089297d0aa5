/**
 * What the order saga reads from and writes to documents, as the server: an order or a product as
 * it is now, an order's status projected from the ledger, and a stock settlement (CTR5). Every
 * write goes through the write pipeline as `@server`, so it is logged, validated, broadcast and
 * published as a change event like any edit.
 */
import {
  SERVER_IDENTITY,
  fieldTypeName,
  orderKind,
  productKind,
  settleCounter,
  type DocumentKind,
  type Order,
  type Patch,
  type PatchValue,
  type Product,
} from '@concord/shared';
import type { User } from '../auth/tokens.js';
import type { DocHub } from '../docs/docHub.js';
import { serverEdit } from '../docs/serverEdit.js';
import type { OrderRecord } from './reservationStore.js';

const SERVER_USER: User = {
  id: SERVER_IDENTITY,
  role: 'admin',
  name: 'Concord',
  expiresAt: Number.MAX_SAFE_INTEGER,
};

/** Whether an order in `status` has editable lines (the model's lock rule, ORD5). */
const editable = (status: string) => (orderKind.locked?.({ status }) ?? []).length === 0;

export class OrderDocs {
  constructor(private readonly hub: DocHub) {}

  order(id: string): Promise<Order | undefined> {
    return this.hub.withExisting(`order:${id}`, async (live) => {
      await live.settled();
      return live.json() as unknown as Order;
    });
  }

  product(id: string): Promise<Product | undefined> {
    return this.hub.withExisting(`product:${id}`, async (live) => {
      await live.settled();
      return live.json() as unknown as Product;
    });
  }

  /** On-hand stock of products (0 for a product nobody wrote). */
  async onHand(products: readonly string[]): Promise<Map<string, number>> {
    const out = new Map<string, number>();
    for (const p of products) out.set(p, (await this.product(p))?.stock ?? 0);
    return out;
  }

  /** Writes `patch` into the order as the server; throws when it could not be saved. */
  async editOrder(id: string, patch: (order: Order) => Patch): Promise<void> {
    const result = await serverEdit(
      this.hub,
      SERVER_USER,
      `order:${id}`,
      orderKind as DocumentKind<object>,
      id,
      undefined,
      'patch',
      async (live) => patch(live.json() as unknown as Order),
    );
    if (result.status !== 200) throw new Error(`order ${id} not updated: ${result.body}`);
  }

  /**
   * The order document says what the ledger decided (and heals a projection a crash cut short).
   * When the ledger's state locks the lines and the document's does not yet, the lines become
   * exactly those placed, at their captured prices, in the same edit as the status: a line added
   * meanwhile goes, as it was never reserved (ORD5).
   */
  project(record: OrderRecord): Promise<void> {
    return this.editOrder(record.order, (order) => {
      const patch: Record<string, PatchValue> = {};
      const placed = record.terms?.lines;
      if (placed && editable(order.status) && !editable(record.state)) {
        const ids = new Set(placed.map((l) => l.id));
        patch.lines = {
          set: Object.fromEntries(placed.map(({ id, ...line }) => [id, line])),
          remove: order.lines.filter((l) => !ids.has(l.id)).map((l) => l.id),
        };
      }
      if (order.status !== record.state) patch.status = record.state;
      if (order.statusReason !== (record.reason ?? '')) patch.statusReason = record.reason ?? '';
      return patch;
    });
  }

  /** Takes an order's units off a product's stock, once however often it runs (CTR5). */
  async settle(order: string, product: string, quantity: number): Promise<void> {
    const typeName = fieldTypeName(productKind.fields.stock!, 'stock');
    const result = await this.hub.with(`product:${product}`, (live) =>
      this.hub.pipeline.submitEdit(
        live,
        (origin) =>
          live.doc.transact(
            () => settleCounter(live.doc.getMap<unknown>(typeName), `order-${order}`, -quantity),
            origin,
          ),
        SERVER_USER,
        'patch',
      ),
    );
    if (result.status !== 'applied' && result.status !== 'unchanged')
      throw new Error(`stock of ${product} not settled for order ${order}: ${result.status}`);
  }
}
