/**
 * Scale-out change events, read cache, catalog projection, metrics and Redis outages, with two
 * in-process instances over the real PostgreSQL and Redis (unique schema and prefix per run).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { materialize, productKind } from '@concord/shared';
import { readCatalog } from '../src/scale/catalogProjection.js';
import type { ScaleOutServer } from '../src/scale/scaleOut.js';
import { api, connect, synced, token, waitFor } from './helpers.js';
import { dropRedisPrefix, dropSchema, startInstance, uniqueName } from './scaleHelpers.js';

const schema = uniqueName('concord_test');
const prefix = `${uniqueName('concord_test')}:`;
const CACHE_TTL_MS = 1_500;
let a: ScaleOutServer;
let b: ScaleOutServer;

const start = (runConsumers = true) =>
  startInstance(schema, prefix, {
    cacheTtlMs: CACHE_TTL_MS,
    runConsumers,
    consumers: { blockMs: 200, claimIdleMs: 1_000 },
    outbox: { intervalMs: 600_000 }, // OB1 runs the relay by hand
  });

beforeAll(async () => {
  a = await start();
  b = await start();
});
afterAll(async () => {
  await Promise.all([a.close(), b.close()]);
  await dropSchema(schema);
  await dropRedisPrefix(prefix);
});

const tok = token('ann', 'editor');
const patch = (s: ScaleOutServer, doc: string, body: unknown) =>
  api(s, 'PATCH', `/api/docs/${doc}`, { token: tok, body });
const get = (s: ScaleOutServer, doc: string) => api(s, 'GET', `/api/docs/${doc}`, { token: tok });

describe('change events and consumers across instances', () => {
  it('EV1: every committed entry yields exactly one event {id: "<doc>:<seq>", ...} on the stream', async () => {
    for (let i = 1; i <= 3; i++)
      expect((await patch(i % 2 ? a : b, 'product:ev1', { stock: { delta: 1 } })).status).toBe(200);
    await waitFor(
      async () => (await a.redis.xlen(a.changeFeed.streamKey)) >= 3,
      'events published',
    );
    const entries = await a.redis.xrange(a.changeFeed.streamKey, '-', '+');
    const ids = entries
      .map(([, f]) => f[f.indexOf('id') + 1])
      .filter((id) => id?.startsWith('product:ev1:'));
    expect(ids).toEqual(['product:ev1:1', 'product:ev1:2', 'product:ev1:3']);
    const log = await a.store.readLog('product:ev1', 0, 100);
    expect(log.map((e) => `${e.doc}:${e.seq}`)).toEqual(ids);
  });

  it('EV2: the catalog projection follows writes made on any instance', async () => {
    await patch(a, 'product:cat', { name: 'Desk', priceCents: 9900, stock: { delta: 4 } });
    await patch(b, 'product:cat', { priceCents: 8900 });
    await waitFor(
      async () =>
        (await readCatalog(a.redis, prefix, 'product:cat'))['product:cat']?.priceCents === 8900,
      'projection updated',
    );
    expect((await readCatalog(b.redis, prefix))['product:cat']).toMatchObject({
      name: 'Desk',
      priceCents: 8900,
      stock: 4,
      version: 2,
    });
  });
});

describe('read cache', () => {
  it('RC1: GET is served from the cache, and a read after a write on another instance reflects it within the bound', async () => {
    const doc = 'product:rc1';
    await patch(a, doc, { name: 'v1' });
    expect((await get(b, doc)).json.name).toBe('v1'); // miss → populated
    const hitsBefore =
      (await b.scaleMetrics.cacheRequests.get()).values.find((v) => v.labels.result === 'hit')
        ?.value ?? 0;
    const second = await get(b, doc);
    expect(second.json.name).toBe('v1');
    const hitsAfter =
      (await b.scaleMetrics.cacheRequests.get()).values.find((v) => v.labels.result === 'hit')
        ?.value ?? 0;
    expect(hitsAfter).toBe(hitsBefore + 1);
    expect(await b.redis.get(b.readCache.key(doc))).toMatch(/^1\|/);
    // write on a, read on b until it shows: invalidation, not the TTL, makes it visible
    const lags: number[] = [];
    for (let i = 2; i <= 6; i++) {
      const w = await patch(a, doc, { name: `v${i}` });
      const written = Date.now();
      await waitFor(
        async () => (await get(b, doc)).json.name === `v${i}`,
        `v${i} visible on b`,
        2_000,
      );
      lags.push(Date.now() - written);
      expect((await get(b, doc)).headers.get('etag')).toBe(w.headers.get('etag'));
    }
    expect(Math.max(...lags)).toBeLessThan(CACHE_TTL_MS);
    console.log(`read-after-write on another instance: max ${Math.max(...lags)} ms`, lags);
  });

  it('RC2: with the invalidation consumers stopped, no read is staler than the cache TTL', async () => {
    const doc = 'product:rc2';
    await patch(a, doc, { name: 'old' });
    expect((await get(b, doc)).json.name).toBe('old'); // cached
    for (const s of [a, b]) for (const c of s.consumers) await c.close();
    const cachedBefore = Date.now(); // the cached entry was written before this
    await patch(a, doc, { name: 'new' });
    // Without invalidation the stale entry may be served, but never once the TTL has run out.
    await waitFor(
      () => Date.now() >= cachedBefore + CACHE_TTL_MS,
      'the TTL has run out',
      CACHE_TTL_MS + 2_000,
    );
    expect((await get(b, doc)).json.name).toBe('new');
  });
});

describe('Redis outages', () => {
  it('RO1: connections killed (CLIENT KILL) mid-edit: instances reconnect, catch up, and no acknowledged edit is lost', async () => {
    const doc = 'product:ro1';
    const ca = connect(a, doc, token('ann', 'editor'), { extensions: true });
    const cb = connect(b, doc, token('ben', 'editor'), { extensions: true });
    await Promise.all([synced(ca), synced(cb)]);
    // edits through HTTP on both sides while every Redis connection of a is killed repeatedly
    const writes: Promise<unknown>[] = [];
    for (let i = 0; i < 20; i++) {
      writes.push(patch(i % 2 ? a : b, doc, { stock: { delta: 1 } }));
      if (i % 5 === 2) {
        for (const conn of a.redisConnections) {
          const id = await conn.client('ID').catch(() => undefined);
          if (id !== undefined)
            await b.redis.client('KILL', 'ID', String(id)).catch(() => undefined);
        }
      }
      await new Promise((r) => setTimeout(r, 30));
    }
    await Promise.all(writes);
    await waitFor(
      () =>
        materialize(ca.doc, productKind, 'ro1').stock === 20 &&
        materialize(cb.doc, productKind, 'ro1').stock === 20,
      'both instances caught up',
      15_000,
    );
    await waitFor(() => ca.saved() && cb.saved(), 'acknowledged');
    const ready = await api(a, 'GET', '/readyz');
    expect(ready.status).toBe(200);
    expect(ready.json).toMatchObject({ ready: true, checks: { redis: true, postgres: true } });
    ca.destroy();
    cb.destroy();
  });

  it('RO2: /readyz reports Redis unreachable, and /metrics carries the scale-out series', async () => {
    const pause = b.redis.duplicate();
    await pause.client('PAUSE', 2_500, 'ALL');
    const during = await api(a, 'GET', '/readyz');
    await pause.quit();
    expect(during.status).toBe(503);
    expect(during.json).toMatchObject({ ready: false, checks: { redis: false, postgres: true } });
    await waitFor(
      async () => (await api(a, 'GET', '/readyz')).status === 200,
      'ready again',
      10_000,
    );
    const text = await (await fetch(`${a.url}/metrics`)).text();
    for (const series of [
      'concord_replication_lag_seconds_bucket',
      'concord_stream_length{stream="events"}',
      'concord_stream_length{stream="fanout"}',
      'concord_consumer_group_pending{group="catalog"}',
      'concord_consumer_group_lag{group="catalog"}',
      'concord_read_cache_hit_ratio',
      'concord_redis_up',
    ])
      expect(text).toContain(series);
  });
});

describe('outbox', () => {
  it('OB1: entries committed by an instance that died before publishing get their events from the relay, once', async () => {
    const doc = 'product:ob1';
    await patch(a, doc, { name: 'published normally' });
    // an instance crashing between its commit and its XADD: the entry is in the log only
    const ts = Date.now() - 10_000;
    await a.store.append([
      {
        doc,
        entries: [
          {
            update: new Uint8Array([0, 0]),
            user: 'ghost',
            ts,
            kind: 'patch',
            changes: [{ field: 'priceCents', from: null, to: 4200 }],
          },
        ],
      },
    ]);
    expect(await a.outboxRelay.runOnce()).toBe(1);
    expect(await b.outboxRelay.runOnce()).toBe(0); // already published: nothing twice
    const ids = (await a.redis.xrange(a.changeFeed.streamKey, '-', '+'))
      .map(([, f]) => f[f.indexOf('id') + 1])
      .filter((id) => id?.startsWith(`${doc}:`));
    expect(ids).toEqual([`${doc}:1`, `${doc}:2`]);
  });
});
