/**
 * Scale-out against the machine's real PostgreSQL and Redis: three in-process instances sharing a
 * unique schema and key prefix (dropped afterwards), real y-websocket clients spread over them.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { HybridClock, applyPatch, materialize, productKind } from '@concord/shared';
import type { ScaleOutServer } from '../src/scale/scaleOut.js';
import { api, connect, synced, token, waitFor, type TestClient } from './helpers.js';
import { dropRedisPrefix, dropSchema, startInstance, uniqueName } from './scaleHelpers.js';

const schema = uniqueName('concord_test');
const prefix = `${uniqueName('concord_test')}:`;
let servers: ScaleOutServer[] = [];

const start = () => startInstance(schema, prefix);

beforeAll(async () => {
  servers = [await start(), await start(), await start()];
});
afterAll(async () => {
  await Promise.all(servers.map((s) => s.close()));
  await dropSchema(schema);
  await dropRedisPrefix(prefix);
});

const edit = (client: TestClient, writer: string, patch: Parameters<typeof applyPatch>[2]) =>
  applyPatch(client.doc, productKind, patch, {
    clock: new HybridClock({ replicaId: writer }),
    writer: client.user,
  });

const sameState = (docs: Y.Doc[]) => {
  const first = Buffer.from(Y.encodeStateVector(docs[0]!)).toString('hex');
  return docs.every((d) => Buffer.from(Y.encodeStateVector(d)).toString('hex') === first);
};

describe('three instances over PostgreSQL and Redis', () => {
  it('SO1: clients spread over three instances converge, live', async () => {
    const clients = ['ann', 'ben', 'cat', 'dan', 'eve', 'fay'].map((u, i) =>
      connect(servers[i % 3]!, 'product:so1', token(u, 'editor'), { extensions: true }),
    );
    await Promise.all(clients.map(synced));
    clients.forEach((c, i) =>
      edit(c, `u${i}`, { name: `Name ${i}`, tags: { add: [`t${i}`] }, stock: { delta: i + 1 } }),
    );
    await waitFor(
      () =>
        sameState(clients.map((c) => c.doc)) &&
        clients.every((c) => materialize(c.doc, productKind, 'so1').stock === 21),
      'convergence across instances',
    );
    await waitFor(() => clients.every((c) => c.saved()), 'all acknowledged');
    const views = clients.map((c) => materialize(c.doc, productKind, 'so1'));
    for (const v of views) expect(v).toEqual(views[0]);
    expect(views[0]!.tags).toEqual(['t0', 't1', 't2', 't3', 't4', 't5']);
    // every instance's in-memory document matches its clients
    for (const s of servers) {
      const live = await s.hub.loaded('product:so1');
      expect(live && materialize(live.doc, productKind, 'so1')).toEqual(views[0]);
    }
    // the log has a gap-free sequence written by all three instances
    const log = await servers[0]!.store.readLog('product:so1', 0, 1000);
    expect(log.map((e) => e.seq)).toEqual(log.map((_, i) => i + 1));
    clients.forEach((c) => c.destroy());
  });

  it('SO2: an HTTP write on one instance is visible over HTTP and WebSocket on the others', async () => {
    const viewer = connect(servers[2]!, 'product:so2', token('vic', 'viewer'));
    await synced(viewer);
    const tok = token('ann', 'editor');
    const w = await api(servers[0]!, 'PATCH', '/api/docs/product:so2', {
      token: tok,
      body: { name: 'Written on 0', priceCents: 1234 },
    });
    expect(w.status).toBe(200);
    await waitFor(
      () => materialize(viewer.doc, productKind, 'so2').name === 'Written on 0',
      'ws client on instance 2 sees the write',
    );
    const r = await api(servers[1]!, 'GET', '/api/docs/product:so2', { token: tok });
    expect(r.status).toBe(200);
    expect(r.json).toMatchObject({ name: 'Written on 0', priceCents: 1234 });
    viewer.destroy();
  });
});

describe('bursts across instances', () => {
  it('SO3: a burst of edits from clients on every instance converges and every client ends fully acknowledged', async () => {
    const clients = [0, 1, 2, 0, 1, 2].map((s, i) =>
      connect(servers[s]!, 'product:so3', token(`b${i}`, 'editor'), { extensions: true }),
    );
    await Promise.all(clients.map(synced));
    for (let round = 0; round < 40; round++) {
      clients.forEach((c, i) => edit(c, `b${i}`, { stock: { delta: 1 } }));
      await new Promise((r) => setTimeout(r, 10));
    }
    await waitFor(
      () => clients.every((c) => c.saved() && materialize(c.doc, productKind, 'so3').stock === 240),
      'burst converged and acknowledged',
    );
    clients.forEach((c) => c.destroy());
  });
});

describe('replication lag', () => {
  it('SO4: every edit on one instance reaches a client on another, and the lag is measured (printed; figures live in the benchmark)', async () => {
    const writer = connect(servers[0]!, 'product:lag', token('w', 'editor'));
    const reader = connect(servers[1]!, 'product:lag', token('r', 'viewer'));
    await Promise.all([synced(writer), synced(reader)]);
    const times: number[] = [];
    for (let i = 1; i <= 100; i++) {
      const started = performance.now();
      edit(writer, 'w', { stock: { delta: 1 } });
      await waitFor(() => materialize(reader.doc, productKind, 'lag').stock === i, `edit ${i}`);
      times.push(performance.now() - started);
    }
    times.sort((x, y) => x - y);
    const p = (q: number) => times[Math.min(times.length - 1, Math.floor(q * times.length))]!;
    const hist = await servers[1]!.metrics.replicationLag.get();
    const count = hist.values.find((v) => v.metricName?.endsWith('_count'))?.value ?? 0;
    const within = (le: number) =>
      hist.values.find((v) => v.metricName?.endsWith('_bucket') && v.labels.le === le)?.value ?? 0;
    console.log(
      `client→client across instances over ${times.length} edits: p50 ${p(0.5).toFixed(1)} ms, p99 ${p(0.99).toFixed(1)} ms;` +
        ` server histogram (commit→applied): ${count} samples, ≤5 ms ${within(0.005)}, ≤10 ms ${within(0.01)}, ≤25 ms ${within(0.025)}`,
    );
    expect(count).toBeGreaterThanOrEqual(100); // the histogram saw every applied entry
    writer.destroy();
    reader.destroy();
  });
});

describe('fresh clients of a large document', () => {
  it('SO-MEM5: a fresh client on one instance sees what another instance committed since its kept encoding', async () => {
    const doc = 'product:somem5';
    const long = 'abcdefghijklmnopqrstuvwxyz'.repeat(700); // 18,200 characters
    const writer = connect(servers[0]!, doc, token('ann', 'editor'), { extensions: true });
    await synced(writer);
    edit(writer, 'ann-tab', { name: 'Big', description: long });
    await waitFor(() => writer.saved(), 'first edit saved');
    const holder = connect(servers[1]!, doc, token('vic', 'viewer'));
    await synced(holder);
    const fresh = async () => {
      const c = connect(servers[1]!, doc, token('ben', 'viewer'));
      await synced(c);
      const json = materialize(c.doc, productKind, 'somem5');
      c.destroy();
      return json;
    };
    expect(await fresh()).toMatchObject({ name: 'Big', description: long });
    const live = await servers[1]!.hub.loaded(doc);
    const kept = live!.encodeWhole();
    expect(live!.encodeWhole()).toBe(kept);

    edit(writer, 'ann-tab', { name: 'Renamed on instance 0' });
    await waitFor(() => writer.saved(), 'second edit saved');
    await waitFor(
      () => materialize(holder.doc, productKind, 'somem5').name === 'Renamed on instance 0',
      'instance 1 applied the entry instance 0 committed',
    );
    expect(live!.encodeWhole()).not.toBe(kept);
    expect(await fresh()).toMatchObject({ name: 'Renamed on instance 0', description: long });
    writer.destroy();
    holder.destroy();
  });
});
