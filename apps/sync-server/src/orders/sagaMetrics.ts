/**
 * What the order saga tells Prometheus (SAGA4): orders in each step and how many are stuck there
 * (from the ledger, refreshed at every sweep), how long each step took, and compensations by
 * reason. The alert rule `ConcordOrdersStuck` (alerts/concord-rules.yml) watches the stuck count.
 */
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import type { OrderRecord, ReservationStore } from './reservationStore.js';

export class SagaMetrics {
  private readonly inStep: Gauge;
  private readonly stuck: Gauge;
  private readonly stepSeconds: Histogram;
  private readonly compensations: Counter;

  constructor(registry: Registry) {
    const registers = [registry];
    this.inStep = new Gauge({
      name: 'concord_orders_in_step',
      help: 'Placed orders in each step of the saga (placed, payment_requested, paid)',
      labelNames: ['step'],
      registers,
    });
    this.stuck = new Gauge({
      name: 'concord_orders_stuck',
      help: 'Orders in a step of the saga for longer than ORDER_STUCK_AFTER_MS',
      labelNames: ['step'],
      registers,
    });
    this.stepSeconds = new Histogram({
      name: 'concord_order_step_seconds',
      help: 'How long an order stayed in a step of the saga',
      labelNames: ['step'],
      buckets: [0.05, 0.25, 1, 5, 30, 120, 600, 3600],
      registers,
    });
    this.compensations = new Counter({
      name: 'concord_order_compensations_total',
      help: 'Orders compensated (reservation released), by reason',
      labelNames: ['reason'],
      registers,
    });
  }

  /** An order moved from `from` to `to` at `now`. */
  moved(from: OrderRecord, to: OrderRecord, now: number): void {
    this.stepSeconds.observe({ step: from.state }, Math.max(0, now - from.updatedAt) / 1000);
    if (to.state === 'released' || to.state === 'cancelled')
      this.compensated(to.reason ?? to.state);
  }

  compensated(reason: string): void {
    this.compensations.inc({ reason });
  }

  async refresh(ledger: ReservationStore, now: number, stuckAfterMs: number): Promise<void> {
    const progress = await ledger.progress(now - stuckAfterMs);
    for (const step of ['placed', 'payment_requested', 'paid']) {
      const p = progress.find((x) => x.state === step);
      this.inStep.set({ step }, p?.count ?? 0);
      this.stuck.set({ step }, p?.stuck ?? 0);
    }
  }
}
