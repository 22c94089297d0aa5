/**
 * The example consumer to copy: a catalog summary projection. It keeps, in one Redis hash
 * (`<prefix>catalog`), product document name → JSON `{name, priceCents, status, stock, version}`,
 * for services that list products without loading CRDT documents.
 *
 * How it is built (the pattern):
 * 1. A `StreamConsumer` in its own group (`catalog`), one consumer per instance; each event is
 *    handled by exactly one of them.
 * 2. The handler derives its effect from the event alone (`changes[].to` is the field's new
 *    value), so it needs no access to the log or the live document.
 * 3. The effect is queued on the consumer's MULTI, so the write, the "done" mark for `event.id`
 *    and the XACK commit together: duplicates and replays change nothing.
 * 4. Events of one document may arrive out of order (a reclaimed event after a newer one); the
 *    Lua script keeps, per field, the sequence number that last set it and ignores older ones.
 */
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import type { ScaleMetrics } from './scaleMetrics.js';
import { StreamConsumer, type EventHandler, type StreamConsumerOptions } from './streamConsumer.js';

const CATALOG_FIELDS = ['name', 'priceCents', 'status', 'stock'] as const;

export interface CatalogSummary {
  readonly name?: string;
  readonly priceCents?: number;
  readonly status?: string;
  readonly stock?: number;
  /** Highest sequence number applied. */
  readonly version: number;
}

/** KEYS[1] hash, ARGV[1] doc, ARGV[2] seq, ARGV[3] JSON {field: value}; returns fields applied. */
const APPLY = `
local cur = redis.call('HGET', KEYS[1], ARGV[1])
local obj = cur and cjson.decode(cur) or {}
local seqs = obj['_seq'] or {}
local seq = tonumber(ARGV[2])
local applied = 0
for f, v in pairs(cjson.decode(ARGV[3])) do
  if (tonumber(seqs[f]) or 0) < seq then
    obj[f] = v
    seqs[f] = seq
    applied = applied + 1
  end
end
obj['_seq'] = seqs
if (tonumber(obj['version']) or 0) < seq then obj['version'] = seq end
redis.call('HSET', KEYS[1], ARGV[1], cjson.encode(obj))
return applied
`;

const catalogKey = (prefix: string) => `${prefix}catalog`;

export function catalogHandler(prefix: string): EventHandler {
  return (event, tx) => {
    if (!event.doc.startsWith('product:')) return;
    const fields: Record<string, unknown> = {};
    for (const change of event.changes)
      if ((CATALOG_FIELDS as readonly string[]).includes(change.field))
        fields[change.field] = change.to;
    tx.eval(APPLY, 1, catalogKey(prefix), event.doc, String(event.seq), JSON.stringify(fields));
  };
}

export function startCatalogProjection(
  redis: Redis,
  metrics: ScaleMetrics,
  logger: Logger,
  options: Omit<StreamConsumerOptions, 'group'> & { group?: string },
): StreamConsumer {
  return new StreamConsumer(redis, catalogHandler(options.prefix), metrics, logger, {
    group: 'catalog',
    ...options,
  });
}

/** Read the projection (what another service would do). */
export async function readCatalog(
  redis: Redis,
  prefix: string,
  doc?: string,
): Promise<Record<string, CatalogSummary>> {
  const raw = doc
    ? { [doc]: (await redis.hget(catalogKey(prefix), doc)) ?? undefined }
    : await redis.hgetall(catalogKey(prefix));
  const out: Record<string, CatalogSummary> = {};
  for (const [name, json] of Object.entries(raw)) {
    if (!json) continue;
    const { _seq: _ignored, ...summary } = JSON.parse(json) as CatalogSummary & { _seq?: unknown };
    out[name] = summary;
  }
  return out;
}
