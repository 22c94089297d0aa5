/**
 * Field-level blame over HTTP (SPEC BLAME1): who last changed each field, when, and from what,
 * from the stored index, which catches up with new entries and is rebuilt when lost.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningServer } from '../src/server.js';
import { MemoryEventStore } from '../src/store/memoryEventStore.js';
import { api, startTestServer, token } from './helpers.js';

let server: RunningServer;
let store: MemoryEventStore;
beforeAll(async () => {
  store = new MemoryEventStore();
  server = await startTestServer({ store });
});
afterAll(async () => {
  await server.close();
});

const patch = async (doc: string, user: string, body: Record<string, unknown>) =>
  expect(
    (await api(server, 'PATCH', `/api/docs/${doc}`, { token: token(user, 'editor'), body })).status,
  ).toBe(200);
const blame = async (doc: string) =>
  (await api(server, 'GET', `/api/docs/${doc}/blame`, { token: token('r', 'viewer') })).json as {
    version: number;
    fields: Record<string, { seq: number; user: string; change: { from: unknown; to: unknown } }>;
  };

describe('blame', () => {
  it('BLAME1: each field’s last change, caught up as the log grows, rebuilt when the index is lost', async () => {
    const doc = 'product:blame';
    await patch(doc, 'ana', { name: 'Vase', priceCents: 24_900 });
    await patch(doc, 'ben', { priceCents: 19_900 });
    let b = await blame(doc);
    expect(b.version).toBe(2);
    expect(b.fields.priceCents).toMatchObject({
      seq: 2,
      user: 'ben',
      change: { from: 24_900, to: 19_900 },
    });
    expect(b.fields.name).toMatchObject({ seq: 1, user: 'ana', change: { to: 'Vase' } });
    await patch(doc, 'cy', { name: 'Tall vase' });
    b = await blame(doc);
    expect(b.version).toBe(3);
    expect(b.fields.name).toMatchObject({ seq: 3, user: 'cy' });
    expect(b.fields.priceCents).toMatchObject({ seq: 2, user: 'ben' });
    // The index is derived: lost, it is rebuilt from the log with the same answer.
    (store as unknown as { blame: Map<string, unknown> }).blame.clear();
    expect(await blame(doc)).toEqual(b);
    expect(
      (await api(server, 'GET', `/api/docs/product:never/blame`, { token: token('r', 'viewer') }))
        .json,
    ).toMatchObject({ version: 0, fields: {} });
  });
});
