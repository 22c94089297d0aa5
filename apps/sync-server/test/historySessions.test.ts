/**
 * History as sessions over HTTP (SPEC SES3): newest first, paged by a cursor that does not shift
 * while changes arrive, filtered by field and person; a session's own entries by `after`/`before`.
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

const patch = async (doc: string, user: string, body: Record<string, unknown>) => {
  const res = await api(server, 'PATCH', `/api/docs/${doc}`, {
    token: token(user, 'editor'),
    body,
  });
  expect(res.status).toBe(200);
};
const sessions = async (doc: string, query = '') =>
  (
    await api(server, 'GET', `/api/docs/${doc}/sessions${query}`, {
      token: token('reader', 'viewer'),
    })
  ).json as {
    sessions: {
      user: string;
      count: number;
      firstSeq: number;
      lastSeq: number;
      kind: string;
      changes: { field: string; from: unknown; to: unknown }[];
    }[];
    next: number | null;
  };

describe('history sessions over HTTP', () => {
  it('SES3: groups, pages newest first with a stable cursor, and filters by field and person', async () => {
    const doc = 'product:ses';
    await patch(doc, 'ana', { name: 'Lamp', priceCents: 100 });
    await patch(doc, 'ana', { priceCents: 200 });
    await patch(doc, 'ana', { priceCents: 300 });
    await patch(doc, 'ben', { name: 'Desk lamp' });
    await patch(doc, 'ben', { name: 'Desk lamp XL' });
    await patch(doc, 'ana', { tags: { add: ['sale'] } });

    const all = await sessions(doc);
    expect(all.sessions.map((s) => `${s.user}×${s.count}`)).toEqual(['ana×1', 'ben×2', 'ana×3']);
    expect(all.next).toBeNull();
    expect(all.sessions[1]!.changes).toEqual([{ field: 'name', from: 'Lamp', to: 'Desk lamp XL' }]);
    expect(all.sessions[2]!.changes).toContainEqual({ field: 'priceCents', from: 0, to: 300 });
    expect(all.sessions[2]!.kind).toBe('patch');

    const first = await sessions(doc, '?limit=2');
    expect(first.sessions.map((s) => s.user)).toEqual(['ana', 'ben']);
    expect(first.next).toBe(first.sessions[1]!.firstSeq);
    // New changes arrive; the next page is the same as it would have been.
    await patch(doc, 'cy', { priceCents: 999 });
    const second = await sessions(doc, `?limit=2&before=${first.next}`);
    expect(second.sessions.map((s) => `${s.user}×${s.count}`)).toEqual(['ana×3']);
    expect(second.next).toBeNull();
    expect((await sessions(doc, '?limit=1')).sessions[0]!.user).toBe('cy');

    const prices = await sessions(doc, '?field=priceCents');
    expect(prices.sessions.map((s) => s.user)).toEqual(['cy', 'ana']);
    expect(prices.sessions[1]!.changes).toEqual([{ field: 'priceCents', from: 0, to: 300 }]);
    const bens = await sessions(doc, '?user=ben');
    expect(bens.sessions.map((s) => s.count)).toEqual([2]);
    const inRange = await sessions(doc, `?until=0`);
    expect(inRange.sessions).toEqual([]);
    expect(
      (
        await api(server, 'GET', `/api/docs/${doc}/sessions?field=nope`, {
          token: token('r', 'viewer'),
        })
      ).status,
    ).toBe(400);

    // A session's own entries: after its first and before its last.
    const s = all.sessions[2]!;
    const entries = await api(
      server,
      'GET',
      `/api/docs/${doc}/history?after=${s.firstSeq - 1}&before=${s.lastSeq + 1}`,
      {
        token: token('r', 'viewer'),
      },
    );
    expect((entries.json.entries as { seq: number }[]).map((e) => e.seq)).toEqual([
      s.lastSeq,
      s.lastSeq - 1,
      s.firstSeq,
    ]);
    expect(entries.json.next).toBeNull();
  });

  it('SES3: pages by sessions across many entries, every entry in exactly one session', async () => {
    const doc = 'product:ses-many';
    const users = ['ana', 'ben', 'cy'];
    for (let i = 0; i < 60; i++)
      await patch(doc, users[Math.floor(i / 4) % 3]!, { priceCents: i + 1 });
    const seen: number[] = [];
    let before: number | null = null;
    let pages = 0;
    do {
      const page = await sessions(doc, `?limit=4${before ? `&before=${before}` : ''}`);
      for (const s of page.sessions) for (let q = s.firstSeq; q <= s.lastSeq; q++) seen.push(q);
      before = page.next;
      pages++;
    } while (before !== null && pages < 50);
    expect(pages).toBe(4); // 15 sessions of 4 entries, 4 per page
    expect(seen.sort((a, b) => a - b)).toEqual(Array.from({ length: 60 }, (_, i) => i + 1));
  });
});
