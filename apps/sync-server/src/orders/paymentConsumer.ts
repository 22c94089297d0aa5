/**
 * The payment consumer (SAGA2): a consumer of its own that takes every order in
 * `payment_requested` through the payment step. It hears of them from the orders' status change
 * events — the in-process feed when the server runs alone, the `order-payment` consumer group in
 * scale-out, in the server or in a process of its own (paymentMain.ts) — and, so that it misses
 * none (a lost event, a crash), from the ledger when it starts and at every sweep. Once an outcome
 * is in the ledger it says so (`moved`): the saga projects it into the order document and takes
 * the next step. Killed at any point, it leaves the order in `payment_requested` or past it; run
 * again, it asks the provider again under the same key and gets the first answer (SAGA3).
 */
import type { Logger } from 'pino';
import type { ServerConfig } from '../config.js';
import type { ChangeEvent } from '../events/changeEvents.js';
import { crashPoint } from '../faults/crashPoint.js';
import type { ChargeBook } from './chargeBook.js';
import { SimulatedPaymentProvider, type PaymentProvider } from './paymentProvider.js';
import { PaymentStep } from './paymentStep.js';
import type { OrderRecord, ReservationStore } from './reservationStore.js';
import type { SagaMetrics } from './sagaMetrics.js';

export type PaymentMoved = (from: OrderRecord, to: OrderRecord) => void;

const RESUME_BATCH = 500;

export class PaymentConsumer {
  /** One payment step per order at a time in this process. */
  private readonly running = new Map<string, Promise<void>>();
  private readonly stopping = new AbortController();
  private sweeper: NodeJS.Timeout | undefined;
  private closed = false;

  constructor(
    private readonly ledger: ReservationStore,
    private readonly step: PaymentStep,
    private readonly moved: PaymentMoved,
    private readonly logger: Logger,
    private readonly sweepIntervalMs: number,
  ) {}

  start(): void {
    this.sweeper = setInterval(() => void this.resume(), this.sweepIntervalMs);
    this.sweeper.unref();
    void this.resume();
  }

  /** A change event: an order whose status changed may be waiting for its payment. */
  handle(event: ChangeEvent): void {
    if (this.closed || !event.doc.startsWith('order:')) return;
    if (event.changes.some((c) => c.field === 'status')) void this.consider(event.doc.slice(6));
  }

  /** Charges the order if the ledger says it waits for its payment; otherwise does nothing. */
  consider(order: string): Promise<void> {
    const known = this.running.get(order);
    if (known) return known;
    const run = this.run(order)
      .catch((error: unknown) =>
        this.logger.warn(
          { err: error, order },
          'payment step failed; it runs again on the next event, sweep or restart',
        ),
      )
      .finally(() => this.running.delete(order));
    this.running.set(order, run);
    return run;
  }

  /** Every order the ledger has in progress (those waiting for a payment are charged). */
  async resume(): Promise<void> {
    if (this.closed) return;
    const orders = await this.ledger.inProgress(RESUME_BATCH).catch((error: unknown) => {
      this.logger.warn({ err: error }, 'payment sweep could not read the ledger; it runs again');
      return [];
    });
    await Promise.all(orders.map((o) => this.consider(o)));
  }

  async close(): Promise<void> {
    this.closed = true;
    this.stopping.abort();
    clearInterval(this.sweeper);
    await Promise.allSettled([...this.running.values()]);
  }

  private async run(order: string): Promise<void> {
    const record = await this.ledger.record(order);
    if (this.closed || record?.state !== 'payment_requested') return;
    const next = await this.step.run(record, this.stopping.signal);
    if (!next) return;
    crashPoint('payment:recorded');
    this.moved(record, next);
  }
}

export interface PaymentConsumerParts {
  readonly ledger: ReservationStore;
  /** The simulated provider's books (used unless `provider` is given). */
  readonly book: ChargeBook;
  readonly provider?: PaymentProvider;
  readonly config: Pick<
    ServerConfig,
    'paymentLatencyMs' | 'paymentDeclineRate' | 'paymentTimeoutMs' | 'orderSweepMs'
  >;
  readonly metrics: SagaMetrics;
  readonly logger: Logger;
  /** An order moved past its payment (recorded in the ledger): the saga takes it on. */
  readonly moved: (order: string) => void;
}

/** The payment consumer as configured, in a server or in a payment process of its own. */
export function configuredPaymentConsumer(parts: PaymentConsumerParts): PaymentConsumer {
  const { ledger, config } = parts;
  const now = () => Date.now();
  const provider =
    parts.provider ??
    new SimulatedPaymentProvider(parts.book, {
      latencyMs: config.paymentLatencyMs,
      declineRate: config.paymentDeclineRate,
    });
  return new PaymentConsumer(
    ledger,
    new PaymentStep(ledger, provider, config.paymentTimeoutMs, now),
    (from, to) => {
      parts.metrics.moved(from, to, now());
      parts.moved(to.order);
    },
    parts.logger,
    config.orderSweepMs,
  );
}
