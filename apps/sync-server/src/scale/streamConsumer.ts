/**
 * A durable change-event consumer: a Redis consumer group on the events stream. Copy this pattern
 * (see catalogProjection.ts for a complete consumer) for any service that reacts to changes.
 *
 * - Delivery: XREADGROUP; several processes with the same `group` share the work, each event goes
 *   to one of them. On start a consumer first finishes its own pending entries (a restart under
 *   the same name), and periodically reclaims entries another consumer took but did not
 *   acknowledge for `claimIdleMs` (XAUTOCLAIM: that consumer crashed or hangs).
 * - Exactly-once effects on Redis: the handler queues its writes on a MULTI that also records the
 *   event id as done (`<prefix>cg:<group>:done:<id>`, with a TTL) and XACKs it, under WATCH of the
 *   done key. An event already done (a duplicate XADD, a replay, a reclaim after the first
 *   consumer committed) is acknowledged and skipped; a consumer killed before EXEC left no effect,
 *   so the reclaimer applies it once.
 * - Effects outside Redis (HTTP webhooks, another database) cannot join the MULTI: make them
 *   idempotent on `event.id` and do them in the handler before queuing; they are at least once.
 * - Events for one document may be handled out of order after a reclaim; handlers compare
 *   `event.seq` with what they stored (catalogProjection keeps a sequence per field).
 */
import type { ChainableCommander, Redis } from 'ioredis';
import type { Logger } from 'pino';
import { parseEvent, type ReceivedEvent } from './redisChangeFeed.js';
import type { ScaleMetrics } from './scaleMetrics.js';

export type EventHandler = (event: ReceivedEvent, tx: ChainableCommander) => Promise<void> | void;

export interface StreamConsumerOptions {
  readonly prefix: string;
  /** Consumer group: one per kind of consumer (e.g. `read-cache`, `catalog`). */
  readonly group: string;
  /** This consumer's name within the group (an instance id). */
  readonly consumer: string;
  /** Where a new group starts: `0` (the whole retained stream) or `$` (new events only). */
  readonly startId?: '0' | '$';
  readonly batch?: number;
  readonly blockMs?: number;
  /** Reclaim entries pending this long on another consumer (default 30 s). */
  readonly claimIdleMs?: number;
  /** How long processed ids are remembered (default 7 days; keep above the stream's retention). */
  readonly doneTtlSeconds?: number;
}

export class StreamConsumer {
  readonly streamKey: string;
  private readonly reader: Redis;
  private readonly worker: Redis;
  private closed = false;
  private loop: Promise<void> | undefined;
  private lastClaim = 0;

  constructor(
    redis: Redis,
    private readonly handler: EventHandler,
    private readonly metrics: ScaleMetrics,
    private readonly logger: Logger,
    readonly options: StreamConsumerOptions,
  ) {
    this.streamKey = `${options.prefix}events`;
    // Blocking reads and WATCH/MULTI each need a connection of their own.
    this.reader = redis.duplicate({ maxRetriesPerRequest: null });
    this.worker = redis.duplicate();
    for (const c of [this.reader, this.worker]) c.on('error', () => {});
  }

  get connections(): readonly Redis[] {
    return [this.reader, this.worker];
  }

  async start(): Promise<void> {
    await this.ensureGroup();
    this.loop = this.run();
  }

  /** Create the group (and stream) unless it exists; also after a Redis restart lost them. */
  private async ensureGroup(): Promise<void> {
    try {
      await this.worker.xgroup(
        'CREATE',
        this.streamKey,
        this.options.group,
        this.options.startId ?? '0',
        'MKSTREAM',
      );
    } catch (error) {
      if (!String(error).includes('BUSYGROUP')) throw error;
    }
  }

  private async run(): Promise<void> {
    let ownPending = true;
    while (!this.closed) {
      try {
        if (Date.now() - this.lastClaim >= Math.min(this.options.claimIdleMs ?? 30_000, 5_000)) {
          this.lastClaim = Date.now();
          await this.reclaim();
        }
        // '0' re-reads this consumer's own pending entries (after a restart), '>' new ones.
        const result = (await this.reader.xreadgroup(
          'GROUP',
          this.options.group,
          this.options.consumer,
          'COUNT',
          this.options.batch ?? 100,
          'BLOCK',
          this.options.blockMs ?? 1_000,
          'STREAMS',
          this.streamKey,
          ownPending ? '0' : '>',
        )) as [string, [string, string[]][]][] | null;
        const messages = result?.[0]?.[1] ?? [];
        if (ownPending && messages.length === 0) ownPending = false;
        for (const [id, fields] of messages) {
          if (this.closed) return;
          await this.process(id, fields);
        }
      } catch (error) {
        if (this.closed) return;
        this.logger.warn({ err: error, group: this.options.group }, 'consumer read failed');
        if (String(error).includes('NOGROUP')) await this.ensureGroup().catch(() => undefined);
        await new Promise((r) => setTimeout(r, 250));
      }
    }
  }

  /** Take over entries another consumer left pending for longer than claimIdleMs. */
  async reclaim(): Promise<number> {
    let cursor = '0-0';
    let claimed = 0;
    do {
      const [next, messages] = (await this.worker.xautoclaim(
        this.streamKey,
        this.options.group,
        this.options.consumer,
        this.options.claimIdleMs ?? 30_000,
        cursor,
        'COUNT',
        100,
      )) as [string, [string, string[] | null][]];
      cursor = next;
      for (const [id, fields] of messages) {
        if (!fields) {
          // trimmed from the stream: nothing to process
          await this.worker.xack(this.streamKey, this.options.group, id);
          continue;
        }
        claimed += 1;
        this.metrics.consumerProcessed.inc({ group: this.options.group, outcome: 'reclaimed' });
        if (this.closed) return claimed;
        await this.process(id, fields);
      }
    } while (cursor !== '0-0' && !this.closed);
    return claimed;
  }

  private async process(streamId: string, fields: string[]): Promise<void> {
    const group = this.options.group;
    const event = parseEvent(fields);
    if (!event) {
      await this.worker.xack(this.streamKey, group, streamId);
      return;
    }
    const doneKey = `${this.options.prefix}cg:${group}:done:${event.id}`;
    for (let attempt = 0; attempt < 5; attempt++) {
      await this.worker.watch(doneKey);
      if (await this.worker.exists(doneKey)) {
        await this.worker.unwatch();
        await this.worker.xack(this.streamKey, group, streamId);
        this.metrics.consumerProcessed.inc({ group, outcome: 'duplicate' });
        return;
      }
      const tx = this.worker.multi();
      try {
        await this.handler(event, tx);
      } catch (error) {
        tx.discard();
        await this.worker.unwatch().catch(() => undefined);
        // left pending: retried by this consumer after a restart or reclaimed by another
        this.metrics.consumerProcessed.inc({ group, outcome: 'failed' });
        this.logger.warn({ err: error, group, id: event.id }, 'event handler failed');
        return;
      }
      tx.set(doneKey, '1', 'EX', this.options.doneTtlSeconds ?? 7 * 86_400);
      tx.xack(this.streamKey, group, streamId);
      const result = await tx.exec();
      if (result === null) continue; // another consumer finished it meanwhile: check again
      const failed = result.find(([error]) => error);
      if (failed) throw failed[0] as Error;
      this.metrics.consumerProcessed.inc({ group, outcome: 'applied' });
      if (Number.isFinite(event.publishedAt))
        this.metrics.eventLag.observe({ group }, (Date.now() - event.publishedAt) / 1000);
      return;
    }
  }

  /** Stop after the event in hand (its MULTI completes or never ran). */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.reader.disconnect();
    await this.loop;
    await this.worker.quit().catch(() => this.worker.disconnect());
  }

  /** Simulate a crash: drop the connections at once, whatever is in hand stays pending. */
  kill(): void {
    this.closed = true;
    this.reader.disconnect();
    this.worker.disconnect();
  }
}
