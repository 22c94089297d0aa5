/**
 * Hostile input on the order paths (CRASH1, ENTRY1, ORD1–ORD4): each is refused plainly, changes
 * nothing, and the server keeps serving.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HybridClock, ReasonCode, applyPatch, orderKind } from '@concord/shared';
import type { RunningServer } from '../src/server.js';
import { api, connect, startTestServer, synced, token, waitFor } from './helpers.js';

const editor = token('hal', 'editor');
let server: RunningServer;
beforeAll(async () => {
  server = await startTestServer({ config: { paymentLatencyMs: 5 } });
});
afterAll(async () => {
  await server.close();
});

const line = (product: string, quantity: number) => ({
  product,
  quantity,
  unitPriceCents: 0,
  currency: 'EUR',
});

describe('hostile input on orders', () => {
  it('a client that writes an order’s status over the WebSocket is refused; the status stays the server’s', async () => {
    const mallory = connect(server, 'order:h-1', token('mallory', 'editor'), { extensions: true });
    await synced(mallory);
    applyPatch(
      mallory.doc,
      orderKind,
      { customer: 'Mallory' },
      {
        clock: new HybridClock({ replicaId: 'm' }),
        writer: 'mallory',
      },
    );
    // The status entry, as an app never writes it.
    mallory.doc.getMap('r:status').set(String(mallory.doc.clientID), {
      v: 'paid',
      t: { wallMs: Date.now(), counter: 0, replicaId: 'm' },
      by: 'mallory',
    });
    await waitFor(() => mallory.errors.length > 0, 'refusal');
    expect(mallory.errors[0]!.code).toBe(ReasonCode.forgedIdentity);
    const doc = await api(server, 'GET', '/api/docs/order:h-1', { token: editor });
    expect(doc.json.status ?? 'draft').toBe('draft');
    mallory.destroy();
    expect((await api(server, 'GET', '/healthz')).status).toBe(200);
  });

  it('oversized and malformed order input gets 400, nothing changes', async () => {
    const huge = await api(server, 'PATCH', '/api/docs/order:h-2', {
      token: editor,
      body: { lines: { set: { a: { ...line('lamp', 1), product: 'x'.repeat(5_000) } } } },
    });
    expect(huge.status).toBe(400);
    const tooMany = await api(server, 'PATCH', '/api/docs/order:h-2', {
      token: editor,
      body: {
        lines: {
          set: Object.fromEntries(Array.from({ length: 101 }, (_, i) => [`l${i}`, line('p', 1)])),
        },
      },
    });
    expect(tooMany.status).toBe(400);
    const absurd = await api(server, 'PATCH', '/api/docs/order:h-2', {
      token: editor,
      body: { lines: { set: { a: line('lamp', 1e12) } } },
    });
    expect(absurd.status).toBe(400);
    expect((await api(server, 'GET', '/api/docs/order:h-2', { token: editor })).status).toBe(404);
    const stock = await api(
      server,
      'GET',
      `/api/stock?products=${Array.from({ length: 101 }, (_, i) => `p${i}`).join(',')}`,
      {
        token: editor,
      },
    );
    expect(stock.status).toBe(400);
    expect((await api(server, 'GET', '/api/stock?products=../etc', { token: editor })).status).toBe(
      400,
    );
    const key = await api(server, 'POST', '/api/orders/h-2/place', {
      token: editor,
      headers: { 'idempotency-key': 'k'.repeat(256) },
    });
    expect(key.status).toBe(400);
    expect(
      (
        await api(server, 'POST', '/api/orders/..%2Fx/place', {
          token: editor,
          headers: { 'idempotency-key': 'k' },
        })
      ).status,
    ).toBe(400);
    expect(
      (await api(server, 'POST', '/api/orders/h-2/place', { headers: { 'idempotency-key': 'k' } }))
        .status,
    ).toBe(401);
  });

  it('an order mixing currencies is refused before anything is reserved', async () => {
    for (const [id, currency] of [
      ['h-eur', 'EUR'],
      ['h-usd', 'USD'],
    ] as const)
      await api(server, 'PATCH', `/api/docs/product:${id}`, {
        token: editor,
        body: { name: id, status: 'active', currency, priceCents: 100, stock: { delta: 5 } },
      });
    await api(server, 'PATCH', '/api/docs/order:h-3', {
      token: editor,
      body: { lines: { set: { a: line('h-eur', 1), b: line('h-usd', 1) } } },
    });
    const res = await api(server, 'POST', '/api/orders/h-3/place', {
      token: editor,
      headers: { 'idempotency-key': 'h-3' },
    });
    expect(res.status).toBe(409);
    expect(res.json.error).toMatch(/one currency/);
    const stock = await api(server, 'GET', '/api/stock?products=h-eur,h-usd', { token: editor });
    expect((stock.json as unknown as { reserved: number }[]).map((s) => s.reserved)).toEqual([
      0, 0,
    ]);
  });
});
