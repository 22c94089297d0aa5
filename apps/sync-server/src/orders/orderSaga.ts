/**
 * The order saga (SPEC SAGA1–SAGA4): reserved → payment requested → paid → stock committed, or a
 * compensation (declined, timed out, cancelled, expired) that releases the reservation. The ledger
 * holds where each order is and moves it only by conditional transitions; the order document's
 * status mirrors it (written by the server, so every step is in the order's history with its
 * cause) and its change events drive the next step. Every step is idempotent on (order, step):
 * a duplicate or replayed event finds the order already past that step and does nothing; a
 * restart resumes every order still in progress from the ledger.
 */
import type { Logger } from 'pino';
import type { ChangeEvent, ChangeFeed } from '../events/changeEvents.js';
import type { OrderDocs } from './orderDocs.js';
import { crashPoint } from '../faults/crashPoint.js';
import type { SagaMetrics } from './sagaMetrics.js';
import type { OrderRecord, ReservationStore } from './reservationStore.js';

export interface OrderSagaOptions {
  /** How often reservations that ran out of time are looked for (ms). */
  readonly sweepIntervalMs: number;
  /** An order in one step for longer than this counts as stuck (metrics, alert). */
  readonly stuckAfterMs: number;
  readonly now: () => number;
}

const RESUME_BATCH = 500;

export class OrderSaga {
  /** One chain per order: its steps never run concurrently in this process. */
  private readonly chains = new Map<string, Promise<void>>();
  private unsubscribe: (() => void) | undefined;
  private sweeper: NodeJS.Timeout | undefined;
  private closed = false;

  constructor(
    private readonly ledger: ReservationStore,
    private readonly docs: OrderDocs,
    private readonly feed: ChangeFeed,
    private readonly logger: Logger,
    readonly metrics: SagaMetrics,
    private readonly options: OrderSagaOptions,
  ) {}

  /**
   * Starts the sweep and the resume. `subscribe`: react to this process's change feed (alone, and
   * in scale-out without consumers); false when a Redis consumer group hands this instance its
   * share of the events through `handle` (each event to one instance).
   */
  start(subscribe = true): void {
    if (subscribe) this.unsubscribe = this.feed.subscribe((event) => this.handle(event));
    this.sweeper = setInterval(() => void this.sweep(), this.options.sweepIntervalMs);
    this.sweeper.unref();
    void this.resume();
  }

  async close(): Promise<void> {
    this.closed = true;
    this.unsubscribe?.();
    clearInterval(this.sweeper);
    await Promise.allSettled([...this.chains.values()]);
  }

  /** Takes an order as far as it can go now (after a command, an event, or a restart). */
  drive(order: string): Promise<void> {
    const previous = this.chains.get(order) ?? Promise.resolve();
    const next = previous
      .then(() => this.run(order))
      .catch((error: unknown) =>
        this.logger.warn(
          { err: error, order },
          'order step failed; it runs again on the next event, sweep or restart',
        ),
      )
      .finally(() => {
        if (this.chains.get(order) === next) this.chains.delete(order);
      });
    this.chains.set(order, next);
    return next;
  }

  /** Every order still in progress, or whose document lags the ledger, from the ledger (SAGA3). */
  async resume(): Promise<void> {
    const [running, lagging] = await Promise.all([
      this.ledger.inProgress(RESUME_BATCH).catch(() => []),
      this.ledger.unprojected(RESUME_BATCH).catch(() => []),
    ]);
    await Promise.all([...new Set([...running, ...lagging])].map((o) => this.drive(o)));
  }

  /** The order document shows what the ledger decided; the ledger notes that it does. */
  async project(record: OrderRecord): Promise<void> {
    await this.docs.project(record);
    await this.ledger.projected(record.order, record.state);
  }

  /** Releases reservations that ran out of time (RES5) and retries stalled orders. */
  async sweep(): Promise<void> {
    if (this.closed) return;
    try {
      for (const order of await this.ledger.expired(this.options.now(), 100)) {
        const released = await this.ledger.transition(
          order,
          ['placed', 'payment_requested'],
          'released',
          'Reservation expired',
          this.options.now(),
        );
        if (released) {
          this.metrics.compensated('Reservation expired');
          await this.project(released);
        }
      }
      await this.resume();
      await this.metrics.refresh(this.ledger, this.options.now(), this.options.stuckAfterMs);
    } catch (error) {
      this.logger.warn({ err: error }, 'order sweep failed; it runs again');
    }
  }

  /** A change event: an order whose status changed takes its next step. */
  handle(event: ChangeEvent): void {
    if (this.closed || !event.doc.startsWith('order:')) return;
    if (event.changes.some((c) => c.field === 'status')) void this.drive(event.doc.slice(6));
  }

  private async run(order: string): Promise<void> {
    let record = await this.ledger.record(order);
    while (record && !this.closed) {
      await this.project(record);
      const next = await this.step(record);
      if (!next) return;
      this.metrics.moved(record, next, this.options.now());
      record = next;
    }
  }

  /**
   * The one step an order in this state takes; undefined when it has nothing to do here. An order
   * in `payment_requested` waits for the payment consumer (paymentConsumer.ts), which says when it
   * moved it.
   */
  private async step(record: OrderRecord): Promise<OrderRecord | undefined> {
    const now = this.options.now();
    switch (record.state) {
      case 'placed': {
        const requested = await this.ledger.transition(
          record.order,
          ['placed'],
          'payment_requested',
          undefined,
          now,
        );
        crashPoint('saga:payment-requested');
        return requested;
      }
      case 'paid': {
        const committed = await this.ledger.commit(record.order, now, async (lines) => {
          for (const l of lines) await this.docs.settle(record.order, l.product, l.quantity);
          crashPoint('saga:stock-settled');
        });
        crashPoint('saga:stock-committed');
        return committed;
      }
      default:
        return undefined;
    }
  }
}
