/**
 * Reverting one field's change (SPEC REV1–REV2), over HTTP: a forward edit of just that field,
 * logged as `revert`; "changed since" asks first; a whole session can be reverted at once.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningServer } from '../src/server.js';
import { api, startTestServer, token } from './helpers.js';

let server: RunningServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(async () => {
  await server.close();
});

const ana = token('ana', 'editor');
const ben = token('ben', 'editor');
const patch = async (doc: string, tok: string, body: Record<string, unknown>) => {
  const res = await api(server, 'PATCH', `/api/docs/${doc}`, { token: tok, body });
  expect(res.status).toBe(200);
  return Number(res.headers.get('etag')!.replaceAll('"', ''));
};
const read = async (doc: string) =>
  (await api(server, 'GET', `/api/docs/${doc}`, { token: ana })).json;
const revert = (doc: string, tok: string, body: Record<string, unknown>) =>
  api(server, 'POST', `/api/docs/${doc}/revert`, { token: tok, body });

describe('revert one change', () => {
  it('REV1: undoes one field of one entry and nothing else, as a revert entry; the other person sees it', async () => {
    const doc = 'product:rev1';
    await patch(doc, ana, { name: 'Chair', priceCents: 1000 });
    const v = await patch(doc, ana, { name: 'Armchair', priceCents: 1500 });
    const res = await revert(doc, ben, { seq: v, field: 'priceCents' });
    expect(res.status).toBe(200);
    expect(await read(doc)).toMatchObject({ name: 'Armchair', priceCents: 1000 });
    const history = await api(server, 'GET', `/api/docs/${doc}/history?limit=1`, { token: ana });
    expect(history.json.entries).toMatchObject([
      { kind: 'revert', user: 'ben', changes: [{ field: 'priceCents', from: 1500, to: 1000 }] },
    ]);
  });

  it('REV2: when the field changed since, answers 409 with the current value and who changed it; force overwrites', async () => {
    const doc = 'product:rev2';
    await patch(doc, ana, { name: 'Stool', priceCents: 100 });
    const v = await patch(doc, ana, { priceCents: 200 });
    const later = await patch(doc, ben, { priceCents: 300 });
    const refused = await revert(doc, ana, { seq: v, field: 'priceCents' });
    expect(refused.status).toBe(409);
    expect(refused.json).toMatchObject({
      code: 'changed_since',
      current: 300,
      lastChange: { seq: later, user: 'ben' },
    });
    expect((await read(doc)).priceCents).toBe(300);
    // A change of another field since does not count.
    await patch(doc, ben, { name: 'Bar stool' });
    const forced = await revert(doc, ana, { seq: v, field: 'priceCents', force: true });
    expect(forced.status).toBe(200);
    expect(await read(doc)).toMatchObject({ priceCents: 100, name: 'Bar stool' });
  });

  it('REV1: counters and tags undo their own difference; text undoes its splice where it now is', async () => {
    const doc = 'product:rev3';
    await patch(doc, ana, { name: 'Lamp', description: 'Warm light.', tags: { add: ['a'] } });
    const stock = await patch(doc, ana, { stock: { delta: 5 } });
    await patch(doc, ben, { stock: { delta: 2 } });
    expect((await revert(doc, ana, { seq: stock, field: 'stock', force: true })).status).toBe(200);
    expect((await read(doc)).stock).toBe(2); // ben's +2 stays
    const tags = await patch(doc, ana, { tags: { add: ['b'], remove: ['a'] } });
    expect((await revert(doc, ben, { seq: tags, field: 'tags' })).status).toBe(200);
    expect((await read(doc)).tags).toEqual(['a']);
    const text = await patch(doc, ana, { description: 'Warm, dimmable light.' });
    await patch(doc, ben, { description: 'Soft. Warm, dimmable light.' });
    expect((await revert(doc, ana, { seq: text, field: 'description', force: true })).status).toBe(
      200,
    );
    expect((await read(doc)).description).toBe('Soft. Warm light.');
  });

  it('REV1: a whole session of one field at once; nothing to revert is 404; viewers may not', async () => {
    const doc = 'product:rev4';
    const first = await patch(doc, ana, { name: 'A', priceCents: 1 });
    await patch(doc, ana, { priceCents: 2 });
    const last = await patch(doc, ana, { priceCents: 3 });
    expect(
      (await revert(doc, ben, { seq: last, fromSeq: first + 1, field: 'priceCents' })).status,
    ).toBe(200);
    expect((await read(doc)).priceCents).toBe(1);
    expect((await revert(doc, ben, { seq: last, field: 'name' })).status).toBe(404);
    expect(
      (await revert(doc, token('vi', 'viewer'), { seq: last, field: 'priceCents' })).status,
    ).toBe(403);
    expect((await revert(doc, ben, { seq: 10_000, field: 'priceCents' })).status).toBe(404);
  });
});
