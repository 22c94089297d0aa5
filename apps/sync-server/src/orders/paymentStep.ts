/**
 * The payment step of the order saga (run by the payment consumer, paymentConsumer.ts): an order
 * in `payment_requested` is charged the terms captured when it was placed, under a key of that
 * placement, with a timeout. Paid: the ledger moves it to `paid`. Declined or timed out: the
 * ledger releases the reservation with the reason. SAGA2.
 *
 * Several consumers may charge one order at once (instances sweeping the ledger, a redelivered
 * event): the provider answers each the same, and one transition wins. A charge is refunded only
 * when the order ended without being paid — released or cancelled (a late payment after an expiry
 * or a cancellation, a timed-out charge that went through after all) — never because another
 * consumer recorded the same payment first.
 */
import { crashPoint } from '../faults/crashPoint.js';
import type { PaymentProvider } from './paymentProvider.js';
import { RELEASING, type OrderRecord, type ReservationStore } from './reservationStore.js';

/** One charge per placement: a released order placed again is charged afresh (SAGA2). */
function chargeKey(record: OrderRecord): string {
  return `order:${record.order}:${record.reservations[0]?.createdAt ?? 0}`;
}

export class PaymentStep {
  constructor(
    private readonly ledger: ReservationStore,
    private readonly payments: PaymentProvider,
    private readonly timeoutMs: number,
    private readonly now: () => number,
  ) {}

  /**
   * Runs the step for an order in `payment_requested`; answers its new record, if it moved. When
   * `stop` fires (the server is shutting down) it stops waiting and changes nothing: the order is
   * still `payment_requested`, and the next start charges it again under the same key (SAGA3).
   */
  async run(record: OrderRecord, stop: AbortSignal): Promise<OrderRecord | undefined> {
    const { amountCents, currency, customer } = record.terms ?? {
      amountCents: 0,
      currency: 'EUR',
      customer: '',
    };
    const key = chargeKey(record);
    const outcome = await withTimeout(
      this.payments.charge({ key, amountCents, currency, customer }),
      this.timeoutMs,
      stop,
    );
    if (outcome === 'stopped') return undefined;
    crashPoint('payment:answered');
    const from = ['payment_requested'] as const;
    const moved =
      outcome === 'paid'
        ? await this.ledger.transition(record.order, from, 'paid', undefined, this.now())
        : await this.ledger.transition(
            record.order,
            from,
            'released',
            outcome === 'declined' ? 'Payment declined' : 'Payment timed out',
            this.now(),
          );
    await this.refundUnlessPaid(record.order, key, moved);
    return moved;
  }

  /** Gives the money back if the order ended unpaid (idempotent; a no-op for a declined charge). */
  private async refundUnlessPaid(
    order: string,
    key: string,
    moved: OrderRecord | undefined,
  ): Promise<void> {
    const now = moved ?? (await this.ledger.record(order));
    if (now && RELEASING.includes(now.state)) await this.payments.refund(key);
  }
}

function withTimeout<T>(
  promise: Promise<T>,
  ms: number,
  stop: AbortSignal,
): Promise<T | 'timeout' | 'stopped'> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => resolve('timeout'), ms);
    timer.unref();
    if (stop.aborted) resolve('stopped');
    stop.addEventListener('abort', () => {
      clearTimeout(timer);
      resolve('stopped');
    });
    promise.then(
      (value) => {
        clearTimeout(timer);
        resolve(value);
      },
      (error: unknown) => {
        clearTimeout(timer);
        reject(error instanceof Error ? error : new Error(String(error)));
      },
    );
  });
}
