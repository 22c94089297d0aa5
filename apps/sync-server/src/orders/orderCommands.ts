/**
 * The commands people give an order (SPEC ORD2–ORD3): place it — capture the unit prices and
 * reserve every line, all or nothing, strongly — and cancel it. Answers are HTTP responses, stored
 * with the request's Idempotency-Key by the route.
 */
import { orderTotals } from '@concord/shared';
import { crashPoint } from '../faults/crashPoint.js';
import type { StoredResponse } from '../store/eventStore.js';
import type { OrderDocs } from './orderDocs.js';
import type { OrderSaga } from './orderSaga.js';
import type { ReservationStore } from './reservationStore.js';

export interface Availability {
  readonly product: string;
  readonly onHand: number;
  readonly reserved: number;
  readonly available: number;
}

const json = (status: number, body: unknown): StoredResponse => ({
  status,
  body: JSON.stringify(body),
  headers: {},
});

export class OrderCommands {
  constructor(
    private readonly ledger: ReservationStore,
    private readonly docs: OrderDocs,
    private readonly saga: OrderSaga,
    private readonly reservationTtlMs: number,
    private readonly now: () => number,
  ) {}

  async place(id: string): Promise<StoredResponse> {
    const order = await this.docs.order(id);
    if (!order) return json(404, { error: `order:${id} has never been written` });
    if (order.lines.length === 0)
      return json(400, { error: 'add at least one line before placing the order' });
    const known = await this.ledger.record(id);
    if (known && known.state !== 'released')
      return this.answer(id, known.state === 'cancelled' ? 409 : 200);
    // Unit prices as the catalog says now; a product gone or archived cannot be ordered.
    const prices = new Map<string, { unitPriceCents: number; currency: string }>();
    for (const line of order.lines) {
      const product = await this.docs.product(line.product);
      if (!product || product.status === 'archived')
        return json(409, {
          error: `${line.product} cannot be ordered: ${product ? 'it is archived' : 'no such product'}`,
          product: line.product,
        });
      prices.set(line.product, { unitPriceCents: product.priceCents, currency: product.currency });
    }
    const currencies = new Set([...prices.values()].map((p) => p.currency));
    if (currencies.size > 1)
      return json(409, {
        error: `one order is paid in one currency; these products are priced in ${[...currencies].join(', ')}`,
      });
    // What was placed: the lines at the captured prices, and what paying will ask (one currency,
    // checked above). Kept with the reservation; projecting it shows the lines placed, the status
    // in the same edit (ORD5: from then on the lines are locked).
    const lines = order.lines.map((l) => ({ ...l, ...prices.get(l.product)! }));
    const [currency, amountCents] = [...orderTotals(lines)][0] ?? ['EUR', 0];
    const reserved = await this.ledger.reserve(
      id,
      lines.map((l) => ({ product: l.product, quantity: l.quantity })),
      (products) => this.docs.onHand(products),
      this.now(),
      this.reservationTtlMs,
      { amountCents, currency, customer: order.customer, lines },
    );
    if (!reserved.ok)
      return json(409, { error: 'not enough stock for this order', lines: reserved.lines });
    crashPoint('place:reserved');
    await this.saga.project(reserved.record);
    // The answer says where the order is now; the saga then takes it on.
    const answer = await this.answer(id, reserved.replayed ? 200 : 202);
    void this.saga.drive(id);
    return answer;
  }

  async cancel(id: string): Promise<StoredResponse> {
    const cancelled = await this.ledger.transition(
      id,
      ['placed', 'payment_requested'],
      'cancelled',
      'Cancelled',
      this.now(),
    );
    if (cancelled) {
      this.saga.metrics.compensated('Cancelled');
      await this.saga.project(cancelled);
      return this.answer(id, 200);
    }
    const known = await this.ledger.record(id);
    if (!known)
      return json(409, { error: 'this order was never placed: there is nothing to cancel' });
    if (known.state === 'cancelled') return this.answer(id, 200);
    return json(409, {
      error: `an order that is ${known.state.replace('_', ' ')} cannot be cancelled`,
      state: known.state,
    });
  }

  /** An order whose stock left is handed over: `stock_committed` → `fulfilled` (ORD3). */
  async fulfil(id: string): Promise<StoredResponse> {
    const done = await this.ledger.transition(
      id,
      ['stock_committed'],
      'fulfilled',
      undefined,
      this.now(),
    );
    if (done) {
      await this.saga.project(done);
      return this.answer(id, 200);
    }
    const known = await this.ledger.record(id);
    if (known?.state === 'fulfilled') return this.answer(id, 200);
    return json(409, {
      error: known
        ? `an order that is ${known.state.replace('_', ' ')} cannot be fulfilled: its stock must be committed first`
        : 'this order was never placed',
      ...(known ? { state: known.state } : {}),
    });
  }

  async availability(products: readonly string[]): Promise<Availability[]> {
    const [onHand, reserved] = await Promise.all([
      this.docs.onHand(products),
      this.ledger.reserved(products),
    ]);
    return products.map((product) => {
      const hand = onHand.get(product) ?? 0;
      const held = reserved.get(product) ?? 0;
      return { product, onHand: hand, reserved: held, available: Math.max(0, hand - held) };
    });
  }

  /** The order and its ledger record. */
  async answer(id: string, status: number): Promise<StoredResponse> {
    const [order, record] = await Promise.all([this.docs.order(id), this.ledger.record(id)]);
    return json(status, { order, placement: record ?? null });
  }
}
