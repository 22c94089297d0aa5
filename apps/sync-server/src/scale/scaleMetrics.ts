/**
 * Scale-out metrics. Created unregistered, then added to the server's registry (`register`), so
 * they appear on the same `/metrics` as the core's.
 */
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';

export function createScaleMetrics() {
  let collectStreams: (() => Promise<void>) | undefined;
  let collecting: Promise<void> | undefined;
  // prom-client collects metrics concurrently: the three stream gauges share one refresh.
  const refresh = () =>
    (collecting ??= (collectStreams?.() ?? Promise.resolve())
      .catch(() => undefined)
      .finally(() => (collecting = undefined)));
  const m = {
    fanOutPublishFailures: new Counter({
      name: 'concord_fanout_publish_failures_total',
      help: 'Fan-out XADDs that failed (other instances catch up from the log)',
      registers: [],
    }),
    streamLength: new Gauge({
      name: 'concord_stream_length',
      help: 'Entries in a Redis stream (XLEN), by stream',
      labelNames: ['stream'],
      registers: [],
      // refreshed from Redis at scrape time (XLEN, XINFO GROUPS)
      collect: refresh,
    }),
    consumerLag: new Gauge({
      name: 'concord_consumer_group_lag',
      help: 'Entries in the stream not yet delivered to a consumer group (XINFO GROUPS lag)',
      labelNames: ['group'],
      registers: [],
      collect: refresh,
    }),
    consumerPending: new Gauge({
      name: 'concord_consumer_group_pending',
      help: 'Entries delivered to a consumer group but not yet acknowledged',
      labelNames: ['group'],
      registers: [],
      collect: refresh,
    }),
    consumerProcessed: new Counter({
      name: 'concord_consumer_events_total',
      help: 'Change events handled by a consumer group, by outcome (applied, duplicate, failed, reclaimed)',
      labelNames: ['group', 'outcome'],
      registers: [],
    }),
    eventLag: new Histogram({
      name: 'concord_event_consumer_lag_seconds',
      help: 'From an entry committed to its change event processed by a consumer',
      labelNames: ['group'],
      buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
      registers: [],
    }),
    eventPublishFailures: new Counter({
      name: 'concord_event_publish_failures_total',
      help: 'Change-event XADDs that failed (the outbox relay republishes them)',
      registers: [],
    }),
    outboxRepublished: new Counter({
      name: 'concord_outbox_republished_total',
      help: 'Change events the outbox relay published for entries committed but never published',
      registers: [],
    }),
    cacheRequests: new Counter({
      name: 'concord_read_cache_requests_total',
      help: 'Read-cache lookups by result (hit, miss, error)',
      labelNames: ['result'],
      registers: [],
    }),
    cacheHitRatio: new Gauge({
      name: 'concord_read_cache_hit_ratio',
      help: 'Read-cache hits / lookups since start',
      registers: [],
    }),
    redisUp: new Gauge({
      name: 'concord_redis_up',
      help: '1 when the last Redis health check succeeded',
      registers: [],
    }),
  };
  return {
    ...m,
    /** What to run at scrape time to refresh stream length and consumer-group gauges. */
    onCollect(fn: () => Promise<void>): void {
      collectStreams = fn;
    },
    register(registry: Registry): void {
      for (const metric of Object.values(m)) registry.registerMetric(metric);
    },
  };
}

export type ScaleMetrics = ReturnType<typeof createScaleMetrics>;
