/**
 * The outbox relay: the log is the outbox, and this makes sure every committed entry's change
 * event reaches the stream even if the instance that committed it died before publishing.
 *
 * Publishing sets bit `seq` of `<prefix>outbox:published:<doc>` in the same MULTI as the XADD.
 * Every `intervalMs`, the instance holding a short Redis lock scans the documents written within
 * `windowMs` (PostgreSQL), finds sequence numbers (among the newest `maxScan`) older than `graceMs`
 * whose bit is unset, reads them from the log and publishes them. Consumers are idempotent on the
 * event id, so the rare double publish (an XADD that succeeded but whose reply was lost) is harmless.
 */
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { changeEventOf } from '../events/changeEvents.js';
import type { PostgresEventStore } from '../store/postgresEventStore.js';
import { publishedKey, type RedisChangeFeed } from './redisChangeFeed.js';
import type { ScaleMetrics } from './scaleMetrics.js';

export interface OutboxRelayOptions {
  readonly prefix: string;
  readonly instanceId: string;
  readonly intervalMs?: number;
  /** Entries younger than this are left to the normal publish path (default 2 s). */
  readonly graceMs?: number;
  /** Only documents written this recently are scanned (default 15 min). */
  readonly windowMs?: number;
  /** Only the newest this many sequence numbers per document are checked (default 1000). */
  readonly maxScan?: number;
}

function bitSet(bits: Buffer | null, seq: number): boolean {
  if (!bits) return false;
  const byte = bits[seq >> 3];
  return byte !== undefined && (byte & (0x80 >> (seq & 7))) !== 0;
}

export class OutboxRelay {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<number> | undefined;

  constructor(
    private readonly store: PostgresEventStore,
    private readonly redis: Redis,
    private readonly feed: RedisChangeFeed,
    private readonly metrics: ScaleMetrics,
    private readonly logger: Logger,
    private readonly options: OutboxRelayOptions,
  ) {}

  start(): void {
    const interval = this.options.intervalMs ?? 5_000;
    this.timer = setInterval(() => {
      this.running ??= this.runIfLeader(interval)
        .catch((error: unknown) => {
          this.logger.warn({ err: error }, 'outbox relay failed');
          return 0;
        })
        .finally(() => (this.running = undefined));
    }, interval);
    this.timer.unref();
  }

  private async runIfLeader(interval: number): Promise<number> {
    const lock = `${this.options.prefix}outbox:lock`;
    const got = await this.redis.set(lock, this.options.instanceId, 'PX', interval * 2, 'NX');
    if (got !== 'OK' && (await this.redis.get(lock)) !== this.options.instanceId) return 0;
    await this.redis.pexpire(lock, interval * 2);
    return this.runOnce();
  }

  /** One scan; returns how many events were republished. */
  async runOnce(): Promise<number> {
    const now = Date.now();
    const grace = this.options.graceMs ?? 2_000;
    const maxScan = this.options.maxScan ?? 1_000;
    const heads = await this.store.headsUpdatedSince(now - (this.options.windowMs ?? 15 * 60_000));
    let republished = 0;
    for (const head of heads) {
      const bits = await this.redis.getBuffer(publishedKey(this.options.prefix, head.doc));
      const from = Math.max(0, head.seq - maxScan);
      let missingFrom: number | undefined;
      for (let seq = from + 1; seq <= head.seq; seq++) {
        if (!bitSet(bits, seq)) {
          missingFrom = seq;
          break;
        }
      }
      if (missingFrom === undefined) continue;
      const entries = (await this.store.readLog(head.doc, missingFrom - 1, maxScan)).filter(
        (e) => !bitSet(bits, e.seq) && e.ts <= now - grace,
      );
      if (entries.length === 0) continue;
      await this.feed.xadd(entries.map(changeEventOf));
      republished += entries.length;
    }
    if (republished > 0) {
      this.metrics.outboxRepublished.inc(republished);
      this.logger.info({ republished }, 'outbox relay republished unpublished change events');
    }
    return republished;
  }

  async close(): Promise<void> {
    clearInterval(this.timer);
    await this.running;
  }
}
