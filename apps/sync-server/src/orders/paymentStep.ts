/**
 * The payment step of the order saga (run by the payment consumer, paymentConsumer.ts): an order
 * in `payment_requested` is charged the terms captured when it was placed (idempotent on the
 * order), with a timeout. Paid: the ledger moves it to `paid` — unless
 * a cancellation or an expiry got there first, in which case the charge is refunded. Declined or
 * timed out: the ledger releases the reservation with the reason (a timed-out charge is refunded
 * too, should it have gone through after all). SAGA2.
 */
import { crashPoint } from '../faults/crashPoint.js';
import type { PaymentProvider } from './paymentProvider.js';
import type { OrderRecord, ReservationStore } from './reservationStore.js';

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
    const key = `order:${record.order}`;
    const outcome = await withTimeout(
      this.payments.charge({ key, amountCents, currency, customer }),
      this.timeoutMs,
      stop,
    );
    if (outcome === 'stopped') return undefined;
    crashPoint('payment:answered');
    const from = ['payment_requested'] as const;
    if (outcome === 'paid') {
      const paid = await this.ledger.transition(record.order, from, 'paid', undefined, this.now());
      if (!paid) await this.payments.refund(key);
      return paid;
    }
    if (outcome === 'timeout') await this.payments.refund(key);
    const reason = outcome === 'declined' ? 'Payment declined' : 'Payment timed out';
    return this.ledger.transition(record.order, from, 'released', reason, this.now());
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
