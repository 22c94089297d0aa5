/**
 * The payment consumer as a process of its own, for a scale-out deployment (DATABASE_URL and
 * REDIS_URL; the servers run with PAYMENT_CONSUMER=external). It takes the order status changes of
 * the `order-payment` consumer group and the ledger's orders waiting for a payment, charges them
 * through the simulated provider (its books in PostgreSQL), records each outcome in the ledger and
 * tells the servers on `<prefix>orders:moved`. Killed at any moment and started again, it finishes
 * what it had in hand exactly once (SPEC SAGA3). `/healthz` and `/metrics` on PAYMENT_PORT.
 */
import { createServer } from 'node:http';
import { hostname } from 'node:os';
import { Redis } from 'ioredis';
import pino from 'pino';
import { Registry } from 'prom-client';
import { configFromEnv } from './config.js';
import { configuredPaymentConsumer } from './orders/paymentConsumer.js';
import { PostgresChargeBook } from './orders/postgresChargeBook.js';
import { PostgresReservationStore } from './orders/postgresReservationStore.js';
import { SagaMetrics } from './orders/sagaMetrics.js';
import { orderMovesChannel, paymentGroup } from './scale/paymentGroup.js';
import { createScaleMetrics } from './scale/scaleMetrics.js';

const config = configFromEnv();
const logger = pino({ level: config.logLevel });
if (!config.databaseUrl || !config.redisUrl) {
  logger.fatal('the payment process needs DATABASE_URL and REDIS_URL (the scale-out ledger)');
  process.exit(1);
}
const pg = {
  connectionString: config.databaseUrl,
  ...(process.env.DATABASE_SCHEMA ? { schema: process.env.DATABASE_SCHEMA } : {}),
};
const prefix = process.env.REDIS_PREFIX || 'concord:';
const ledger = await PostgresReservationStore.connect(pg);
const book = await PostgresChargeBook.connect(pg);
const redis = new Redis(config.redisUrl, {
  connectionName: 'concord:payments',
  retryStrategy: (times) => Math.min(50 * times, 1_000),
});
redis.on('error', (error: Error) => logger.debug({ err: error }, 'redis error'));

const registry = new Registry();
const scaleMetrics = createScaleMetrics();
scaleMetrics.register(registry);
const consumer = configuredPaymentConsumer({
  ledger,
  book,
  config,
  metrics: new SagaMetrics(registry),
  logger,
  moved: (order) => void redis.publish(orderMovesChannel(prefix), order).catch(() => undefined),
});
const group = paymentGroup(redis, consumer, scaleMetrics, logger, {
  prefix,
  // The same name after a restart: the group hands this consumer back what it had pending.
  consumer: process.env.PAYMENT_CONSUMER_NAME || `payments-${hostname()}`,
});
await group.start();
consumer.start();

const http = createServer((req, res) => {
  if (req.url === '/healthz') return void res.end('ok');
  if (req.url === '/metrics')
    return void registry.metrics().then((text) => {
      res.setHeader('content-type', registry.contentType);
      res.end(text);
    });
  res.statusCode = 404;
  res.end();
});
const port = Number(process.env.PAYMENT_PORT ?? 8081);
http.on('error', (error) => {
  logger.fatal({ err: error, port }, 'the payment process cannot listen on PAYMENT_PORT');
  process.exit(1);
});
http.listen(port, config.host === '0.0.0.0' ? undefined : config.host);
logger.info({ port }, 'payment consumer running');

let stopping = false;
for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  process.on(signal, () => {
    if (stopping) return;
    stopping = true;
    void (async () => {
      http.close();
      await group.close();
      await consumer.close();
      await redis.quit().catch(() => redis.disconnect());
      await ledger.close();
      await book.close();
      process.exit(0);
    })();
  });
}
