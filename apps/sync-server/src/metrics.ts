/** Prometheus metrics (prom-client), one registry per server instance. */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

export function createMetrics(defaults = false) {
  const registry = new Registry();
  if (defaults) collectDefaultMetrics({ register: registry });
  const r = [registry];
  return {
    registry,
    connections: new Gauge({
      name: 'concord_connections',
      help: 'Open WebSocket connections',
      registers: r,
    }),
    loadedDocs: new Gauge({
      name: 'concord_loaded_docs',
      help: 'Documents loaded in memory',
      registers: r,
    }),
    updatesIn: new Counter({
      name: 'concord_updates_in_total',
      help: 'Document updates received from clients and HTTP',
      registers: r,
    }),
    updatesOut: new Counter({
      name: 'concord_updates_out_total',
      help: 'Document updates sent to clients',
      registers: r,
    }),
    bytesIn: new Counter({
      name: 'concord_bytes_in_total',
      help: 'WebSocket bytes received',
      registers: r,
    }),
    bytesOut: new Counter({
      name: 'concord_bytes_out_total',
      help: 'WebSocket bytes sent',
      registers: r,
    }),
    appendSeconds: new Histogram({
      name: 'concord_append_seconds',
      help: 'Duration of one group commit to the event store',
      buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1],
      registers: r,
    }),
    appendedEntries: new Counter({
      name: 'concord_appended_entries_total',
      help: 'Log entries appended',
      registers: r,
    }),
    ackSeconds: new Histogram({
      name: 'concord_ack_seconds',
      help: 'From receiving an update to its durable-save acknowledgement',
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1],
      registers: r,
    }),
    compactions: new Counter({
      name: 'concord_compactions_total',
      help: 'Snapshots written',
      registers: r,
    }),
    rejected: new Counter({
      name: 'concord_rejected_changes_total',
      help: 'Changes refused, by reason',
      labelNames: ['reason'],
      registers: r,
    }),
    compensated: new Counter({
      name: 'concord_compensated_changes_total',
      help: 'Changes compensated, by reason',
      labelNames: ['reason'],
      registers: r,
    }),
    replicationLag: new Histogram({
      name: 'concord_replication_lag_seconds',
      help: 'From an entry committed on one instance to its update applied on another',
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers: r,
    }),
    fanOutReceived: new Counter({
      name: 'concord_fanout_received_total',
      help: 'Entries committed by other instances, by outcome (applied, duplicate, not_loaded)',
      labelNames: ['outcome'],
      registers: r,
    }),
    catchUps: new Counter({
      name: 'concord_catchup_total',
      help: 'Catch-ups from the log, by reason (gap, reconnect, sweep, read)',
      labelNames: ['reason'],
      registers: r,
    }),
    catchUpEntries: new Counter({
      name: 'concord_catchup_entries_total',
      help: 'Log entries applied by catch-up (missed by the fan-out)',
      registers: r,
    }),
    throttled: new Counter({
      name: 'concord_throttled_total',
      help: 'Times a connection spent its message budget and was not read until it refilled',
      registers: r,
    }),
    refusedAwareness: new Counter({
      name: 'concord_refused_awareness_total',
      help: 'Awareness frames with refused entries',
      registers: r,
    }),
    closes: new Counter({
      name: 'concord_closed_connections_total',
      help: 'Connections closed by the server, by code',
      labelNames: ['code'],
      registers: r,
    }),
  };
}

export type Metrics = ReturnType<typeof createMetrics>;
