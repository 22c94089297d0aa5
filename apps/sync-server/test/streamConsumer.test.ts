/**
 * Change-event consumers on the real Redis: consumer groups, acknowledgement after processing,
 * idempotency on id, reclaiming a crashed consumer's pending events, the catalog projection.
 */
import { Redis } from 'ioredis';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ChangeEvent } from '../src/events/changeEvents.js';
import { catalogHandler, readCatalog } from '../src/scale/catalogProjection.js';
import { RedisChangeFeed } from '../src/scale/redisChangeFeed.js';
import { createScaleMetrics } from '../src/scale/scaleMetrics.js';
import { StreamConsumer, type EventHandler } from '../src/scale/streamConsumer.js';
import { waitFor } from './helpers.js';
import { REDIS_URL, dropRedisPrefix, uniqueName } from './scaleHelpers.js';

const logger = pino({ level: 'silent' });
const metrics = createScaleMetrics();
let redis: Redis;
const prefixes: string[] = [];
const newPrefix = () => {
  const p = `${uniqueName('concord_test')}:`;
  prefixes.push(p);
  return p;
};

beforeAll(() => {
  redis = new Redis(REDIS_URL);
});
afterAll(async () => {
  for (const p of prefixes) await dropRedisPrefix(p);
  redis.disconnect();
});

const event = (doc: string, seq: number, changes: ChangeEvent['changes'] = []): ChangeEvent => ({
  id: `${doc}:${seq}`,
  doc,
  seq,
  user: 'u',
  ts: Date.now(),
  kind: 'edit',
  changes,
});

/** A deliberately non-idempotent effect: count how often each id was applied. */
const counting =
  (prefix: string, before?: (id: string) => Promise<void>): EventHandler =>
  async (e, tx) => {
    await before?.(e.id);
    tx.hincrby(`${prefix}applied`, e.id, 1);
  };

const applied = async (prefix: string) =>
  Object.fromEntries(
    Object.entries(await redis.hgetall(`${prefix}applied`)).map(([k, v]) => [k, Number(v)]),
  );

describe('stream consumers', () => {
  it('CG1: duplicate and replayed events are applied once', async () => {
    const prefix = newPrefix();
    const feed = new RedisChangeFeed(redis, metrics, logger, { prefix });
    const events = [1, 2, 3, 4, 5].map((n) => event('product:a', n));
    await feed.xadd(events);
    await feed.xadd([events[1]!, events[3]!]); // duplicates (an at-least-once republish)
    const c = new StreamConsumer(redis, counting(prefix), metrics, logger, {
      prefix,
      group: 'g',
      consumer: 'c1',
      blockMs: 100,
    });
    await c.start();
    await waitFor(
      async () =>
        (await redis.xpending(feed.streamKey, 'g'))[0] === 0 &&
        Object.keys(await applied(prefix)).length === 5,
      'all processed',
    );
    // replay the whole stream to the group
    await redis.xgroup('SETID', feed.streamKey, 'g', '0');
    await waitFor(async () => {
      const info = (await redis.xinfo('GROUPS', feed.streamKey)) as unknown[][];
      const g = info[0]!;
      return g[g.indexOf('lag') + 1] === 0 && (await redis.xpending(feed.streamKey, 'g'))[0] === 0;
    }, 'replay processed');
    await c.close();
    expect(await applied(prefix)).toEqual(Object.fromEntries(events.map((e) => [e.id, 1])));
  });

  it('CG2: a consumer killed mid-batch: another reclaims its pending events, nothing lost or applied twice', async () => {
    const prefix = newPrefix();
    const feed = new RedisChangeFeed(redis, metrics, logger, { prefix });
    const events = Array.from({ length: 10 }, (_, i) => event('product:k', i + 1));
    await feed.xadd(events);
    let handled = 0;
    let hang: () => void = () => {};
    const stuck = new Promise<void>((r) => (hang = r));
    const a = new StreamConsumer(
      redis,
      counting(prefix, async () => {
        handled += 1;
        if (handled === 4) await stuck; // the 4th event of the batch never finishes
      }),
      metrics,
      logger,
      { prefix, group: 'g', consumer: 'a', batch: 10, blockMs: 100, claimIdleMs: 300 },
    );
    await a.start();
    await waitFor(() => handled === 4, 'consumer a is in the middle of its batch');
    a.kill(); // crash: connections dropped, 7 events pending on a
    hang();
    expect(Object.keys(await applied(prefix))).toHaveLength(3);
    expect((await redis.xpending(feed.streamKey, 'g'))[0]).toBe(7);
    const b = new StreamConsumer(redis, counting(prefix), metrics, logger, {
      prefix,
      group: 'g',
      consumer: 'b',
      blockMs: 100,
      claimIdleMs: 300,
    });
    await b.start();
    await waitFor(
      async () => (await redis.xpending(feed.streamKey, 'g'))[0] === 0,
      'b reclaimed and processed',
    );
    await b.close();
    expect(await applied(prefix)).toEqual(Object.fromEntries(events.map((e) => [e.id, 1])));
  });

  it('CG3: the catalog projection applies field values per field sequence, so late or repeated events change nothing', async () => {
    const prefix = newPrefix();
    const feed = new RedisChangeFeed(redis, metrics, logger, { prefix });
    const ch = (field: string, to: unknown) => ({ field, from: null, to });
    // seq 3 arrives before seq 2 (as after a reclaim); seq 2's price must not win
    await feed.xadd([
      event('product:p', 1, [ch('name', 'Lamp'), ch('priceCents', 100), ch('stock', 1)]),
      event('product:p', 3, [ch('priceCents', 300)]),
      event('product:p', 2, [ch('priceCents', 200), ch('status', 'active')]),
      event('profile:u', 1, [ch('name', 'not a product')]),
    ]);
    const c = new StreamConsumer(redis, catalogHandler(prefix), metrics, logger, {
      prefix,
      group: 'catalog',
      consumer: 'c',
      blockMs: 100,
    });
    await c.start();
    await waitFor(
      async () => (await readCatalog(redis, prefix))['product:p']?.version === 3,
      'projected',
    );
    await waitFor(async () => (await redis.xpending(feed.streamKey, 'catalog'))[0] === 0, 'acked');
    await c.close();
    expect(await readCatalog(redis, prefix)).toEqual({
      'product:p': { name: 'Lamp', priceCents: 300, status: 'active', stock: 1, version: 3 },
    });
  });

  it('CG4: a consumer whose group vanished (Redis restarted without persistence) recreates it and carries on', async () => {
    const prefix = newPrefix();
    const feed = new RedisChangeFeed(redis, metrics, logger, { prefix });
    await feed.xadd([event('product:r', 1)]);
    const c = new StreamConsumer(redis, counting(prefix), metrics, logger, {
      prefix,
      group: 'g',
      consumer: 'c',
      blockMs: 100,
    });
    await c.start();
    await waitFor(async () => (await applied(prefix))['product:r:1'] === 1, 'first event');
    await redis.del(feed.streamKey); // stream and its groups gone, as after a restart
    await waitFor(async () => (await redis.exists(feed.streamKey)) === 1, 'group recreated');
    await feed.xadd([event('product:r', 2)]);
    await waitFor(async () => (await applied(prefix))['product:r:2'] === 1, 'event after the loss');
    await c.close();
    expect(await applied(prefix)).toEqual({ 'product:r:1': 1, 'product:r:2': 1 });
  });
});
