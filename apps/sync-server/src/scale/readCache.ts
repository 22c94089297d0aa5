/**
 * Read cache for `GET /api/docs/<doc>`: the materialized JSON and its version in Redis
 * (`<prefix>doc:<doc>` = `<version>|<json>`), with a TTL.
 *
 * - Populated on a miss by the instance that served it, but only if nothing newer is known: a
 *   compare-and-set refuses to store a version older than what is cached or invalidated.
 * - Invalidated by a change-event consumer (group `read-cache`): an event for seq s writes the
 *   tombstone `<s>|`, meaning "versions below s are stale"; a read of a tombstone is a miss.
 * - Staleness bound: a read reflects every write committed longer ago than the event pipeline's
 *   lag (publish after commit + consumer; milliseconds, `concord_event_consumer_lag_seconds`).
 *   If the consumers are down, entries still expire after the TTL: no read is staler than `ttlMs`.
 */
import type { ChainableCommander, Redis } from 'ioredis';
import type { ScaleMetrics } from './scaleMetrics.js';
import type { EventHandler } from './streamConsumer.js';

export interface ReadCacheOptions {
  readonly prefix: string;
  /** Default 30 s: the staleness bound when the invalidation consumer is down. */
  readonly ttlMs?: number;
}

export interface CachedDoc {
  readonly version: number;
  readonly json: unknown;
}

/** KEYS[1]; ARGV[1] version, ARGV[2] json, ARGV[3] ttl ms. Stores unless something newer is known. */
const PUT = `
local cur = redis.call('GET', KEYS[1])
local v = tonumber(ARGV[1])
if cur then
  local sep = string.find(cur, '|', 1, true)
  local cv = tonumber(string.sub(cur, 1, sep - 1))
  local tomb = sep == #cur
  if (tomb and cv > v) or ((not tomb) and cv >= v) then return 0 end
end
redis.call('SET', KEYS[1], ARGV[1] .. '|' .. ARGV[2], 'PX', ARGV[3])
return 1
`;

/** KEYS[1]; ARGV[1] seq, ARGV[2] ttl ms. Marks versions below seq stale. */
const INVALIDATE = `
local cur = redis.call('GET', KEYS[1])
local s = tonumber(ARGV[1])
if cur then
  local sep = string.find(cur, '|', 1, true)
  local cv = tonumber(string.sub(cur, 1, sep - 1))
  if cv >= s then return 0 end
end
redis.call('SET', KEYS[1], ARGV[1] .. '|', 'PX', ARGV[2])
return 1
`;

export class RedisReadCache {
  private hits = 0;
  private lookups = 0;

  constructor(
    private readonly redis: Redis,
    private readonly metrics: ScaleMetrics,
    readonly options: ReadCacheOptions,
  ) {}

  get ttlMs(): number {
    return this.options.ttlMs ?? 30_000;
  }

  key(doc: string): string {
    return `${this.options.prefix}doc:${doc}`;
  }

  private count(result: 'hit' | 'miss' | 'error'): void {
    this.lookups += 1;
    if (result === 'hit') this.hits += 1;
    this.metrics.cacheRequests.inc({ result });
    this.metrics.cacheHitRatio.set(this.hits / this.lookups);
  }

  async get(doc: string): Promise<CachedDoc | undefined> {
    let raw: string | null;
    try {
      raw = await this.redis.get(this.key(doc));
    } catch {
      this.count('error');
      return undefined;
    }
    const sep = raw?.indexOf('|') ?? -1;
    if (!raw || sep < 0 || sep === raw.length - 1) {
      this.count('miss');
      return undefined;
    }
    this.count('hit');
    return { version: Number(raw.slice(0, sep)), json: JSON.parse(raw.slice(sep + 1)) };
  }

  async put(doc: string, version: number, json: unknown): Promise<void> {
    await this.redis.eval(
      PUT,
      1,
      this.key(doc),
      String(version),
      JSON.stringify(json),
      String(this.ttlMs),
    );
  }

  invalidate(doc: string, seq: number, tx: ChainableCommander | Redis = this.redis): unknown {
    return tx.eval(INVALIDATE, 1, this.key(doc), String(seq), String(this.ttlMs));
  }

  /** The change-event handler of the `read-cache` consumer group. */
  handler(): EventHandler {
    return (event, tx) => {
      this.invalidate(event.doc, event.seq, tx);
    };
  }
}
