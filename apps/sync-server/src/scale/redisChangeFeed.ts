/**
 * Change events on a Redis stream (`<prefix>events`): the scale-out `ChangeFeed`.
 *
 * The log is the outbox: an event is derived from an entry only after the entry is committed, so
 * the two cannot disagree. Publishing is at least once — a failed XADD is retried with backoff,
 * and `OutboxRelay` republishes entries a crashed instance committed but never published — and
 * consumers are idempotent on `id` (see `StreamConsumer`).
 *
 * `subscribe` has the in-process meaning (every event from every instance, published after
 * subscribing, no acknowledgement); durable processing uses consumer groups (`StreamConsumer`).
 */
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import type { ChangeEvent, ChangeFeed } from '../events/changeEvents.js';
import type { ScaleMetrics } from './scaleMetrics.js';

/** Bitmap of the sequence numbers of `doc` whose events were published. */
export const publishedKey = (prefix: string, doc: string) => `${prefix}outbox:published:${doc}`;
const PUBLISHED_TTL_MS = 7 * 86_400_000;

export interface RedisChangeFeedOptions {
  readonly prefix: string;
  /** Approximate stream length kept (default 100000). */
  readonly maxLen?: number;
}

/** Stream fields of one event: id, doc, seq, user, ts, kind, changes (JSON), t (publish ms). */
function eventFields(event: ChangeEvent, t: number): string[] {
  return [
    'id',
    event.id,
    'doc',
    event.doc,
    'seq',
    String(event.seq),
    'user',
    event.user,
    'ts',
    String(event.ts),
    'kind',
    event.kind,
    'changes',
    JSON.stringify(event.changes),
    't',
    String(t),
  ];
}

export interface ReceivedEvent extends ChangeEvent {
  /** When the event was published (ms). */
  readonly publishedAt: number;
}

export function parseEvent(fields: readonly string[]): ReceivedEvent | undefined {
  const f = new Map<string, string>();
  for (let i = 0; i + 1 < fields.length; i += 2) f.set(fields[i]!, fields[i + 1]!);
  const id = f.get('id');
  const doc = f.get('doc');
  const seq = Number(f.get('seq'));
  if (!id || !doc || !Number.isSafeInteger(seq)) return undefined;
  let changes: ChangeEvent['changes'] = [];
  try {
    changes = JSON.parse(f.get('changes') ?? '[]') as ChangeEvent['changes'];
  } catch {
    // keep the event; its changes are unreadable
  }
  return {
    id,
    doc,
    seq,
    user: f.get('user') ?? '',
    ts: Number(f.get('ts')),
    kind: (f.get('kind') ?? 'edit') as ChangeEvent['kind'],
    changes,
    publishedAt: Number(f.get('t')),
  };
}

export class RedisChangeFeed implements ChangeFeed {
  readonly streamKey: string;
  private readonly handlers = new Set<(event: ChangeEvent) => void>();
  private reader: Redis | undefined;
  private readLoop: Promise<void> | undefined;
  private retry: ChangeEvent[] = [];
  private retryTimer: NodeJS.Timeout | undefined;
  private retryDelay = 100;
  private readonly inflight = new Set<Promise<void>>();
  private closed = false;

  constructor(
    private readonly redis: Redis,
    private readonly metrics: ScaleMetrics,
    private readonly logger: Logger,
    private readonly options: RedisChangeFeedOptions,
  ) {
    this.streamKey = `${options.prefix}events`;
  }

  publish(events: readonly ChangeEvent[]): void {
    if (events.length === 0 || this.closed) return;
    const p = this.xadd(events);
    this.inflight.add(p);
    void p.finally(() => this.inflight.delete(p));
  }

  /** XADD events (pipelined); failures go to the retry queue. Resolves when settled. */
  async xadd(events: readonly ChangeEvent[]): Promise<void> {
    const t = Date.now();
    const maxLen = this.options.maxLen ?? 100_000;
    // One MULTI: the events and the outbox's "published" bits (see outboxRelay.ts) go together.
    const tx = this.redis.multi();
    for (const e of events) {
      tx.xadd(this.streamKey, 'MAXLEN', '~', maxLen, '*', ...eventFields(e, t));
      tx.setbit(publishedKey(this.options.prefix, e.doc), e.seq, 1);
      tx.pexpire(publishedKey(this.options.prefix, e.doc), PUBLISHED_TTL_MS);
    }
    let failed: ChangeEvent[];
    try {
      const results = await tx.exec();
      failed = !results || results.some(([error]) => error) ? [...events] : [];
    } catch {
      failed = [...events];
    }
    if (failed.length === 0) {
      this.retryDelay = 100;
      return;
    }
    this.metrics.eventPublishFailures.inc(failed.length);
    this.logger.warn({ events: failed.length }, 'change-event publish failed; retrying');
    this.retry.push(...failed);
    this.scheduleRetry();
  }

  private scheduleRetry(): void {
    if (this.retryTimer || this.closed) return;
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined;
      const batch = this.retry;
      this.retry = [];
      this.retryDelay = Math.min(this.retryDelay * 2, 5_000);
      this.publish(batch);
    }, this.retryDelay);
    this.retryTimer.unref();
  }

  subscribe(handler: (event: ChangeEvent) => void): () => void {
    this.handlers.add(handler);
    this.readLoop ??= this.startReader();
    return () => this.handlers.delete(handler);
  }

  private async startReader(): Promise<void> {
    const reader = (this.reader = this.redis.duplicate({ maxRetriesPerRequest: null }));
    reader.on('error', () => {});
    const last = await reader.xrevrange(this.streamKey, '+', '-', 'COUNT', 1).catch(() => []);
    let lastId = last[0]?.[0] ?? '0-0';
    while (!this.closed) {
      try {
        const result = await reader.xread(
          'COUNT',
          500,
          'BLOCK',
          1_000,
          'STREAMS',
          this.streamKey,
          lastId,
        );
        for (const [, messages] of result ?? []) {
          for (const [id, fields] of messages) {
            lastId = id;
            const event = parseEvent(fields);
            if (!event) continue;
            for (const handler of this.handlers) {
              try {
                handler(event);
              } catch {
                // a subscriber's failure is its own
              }
            }
          }
        }
      } catch {
        if (this.closed) return;
        await new Promise((r) => setTimeout(r, 250));
      }
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    await Promise.all([...this.inflight]);
    this.closed = true;
    clearTimeout(this.retryTimer);
    this.handlers.clear();
    this.reader?.disconnect();
    await this.readLoop;
  }
}
