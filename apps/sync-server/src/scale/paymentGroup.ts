/**
 * Payments in scale-out: the `order-payment` consumer group on the change-event stream hands each
 * order status change to one payment consumer (in a server, or in a payment process of its own),
 * and a payment process tells the servers which order it moved on a Redis channel.
 */
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import type { PaymentConsumer } from '../orders/paymentConsumer.js';
import type { ScaleMetrics } from './scaleMetrics.js';
import { StreamConsumer, type StreamConsumerOptions } from './streamConsumer.js';

export const orderMovesChannel = (prefix: string) => `${prefix}orders:moved`;

export function paymentGroup(
  redis: Redis,
  payments: PaymentConsumer,
  metrics: ScaleMetrics,
  logger: Logger,
  options: Omit<StreamConsumerOptions, 'group'>,
): StreamConsumer {
  return new StreamConsumer(redis, (event) => payments.handle(event), metrics, logger, {
    ...options,
    group: 'order-payment',
    startId: '$',
  });
}
