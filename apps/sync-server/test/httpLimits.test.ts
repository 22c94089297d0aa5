/**
 * Cheap requests stay cheap and the file server stays in its folder (SPEC LIM2–LIM4, HTTP9).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import * as Y from 'yjs';
import { fieldTypeName, productKind } from '@concord/shared';
import type { RunningServer } from '../src/server.js';
import { api, startTestServer, tempDir, token } from './helpers.js';

let server: RunningServer;
const dir = tempDir();
// WEB_DIST and DATA_DIR as siblings whose names share a prefix, as in the reported attack.
const webDist = join(dir.path, 'concord');
const dataDir = join(dir.path, 'concord-data');
beforeAll(async () => {
  mkdirSync(join(webDist, 'assets'), { recursive: true });
  mkdirSync(dataDir, { recursive: true });
  writeFileSync(join(webDist, 'index.html'), '<!doctype html><title>Concord</title>');
  writeFileSync(join(webDist, 'assets', 'app-1234.js'), 'console.log(1)');
  writeFileSync(join(webDist, '.env'), 'SECRET=1');
  writeFileSync(join(dataDir, 'auth-secret'), 'the-hmac-secret');
  server = await startTestServer({ config: { webDist } });
});
afterAll(async () => {
  await server.close();
  dir.remove();
});

/** GET a raw path (no client-side normalisation); resolves with status and body. */
function rawGet(path: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve) => {
    const req = request({ host: '127.0.0.1', port: server.port, path, method: 'GET' }, (res) => {
      let body = '';
      res.on('data', (chunk: Buffer) => (body += chunk.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', () => resolve({ status: 0, body: '' }));
    req.end();
  });
}

/**
 * Run `work` while asking for health checks one after another: the longest time the event loop
 * was held meanwhile (seen by a 2 ms timer), how many checks were answered before it ended, and
 * how long it took.
 */
async function whileServing<T>(
  work: Promise<T>,
): Promise<{ result: T; longestStall: number; answeredWhileRunning: number; ms: number }> {
  const started = performance.now();
  let longestStall = 0;
  let lastTick = performance.now();
  const ticker = setInterval(() => {
    const now = performance.now();
    longestStall = Math.max(longestStall, now - lastTick);
    lastTick = now;
  }, 2);
  let done = false;
  const tracked = work.finally(() => (done = true));
  let answeredWhileRunning = 0;
  try {
    while (!done) {
      const res = await api(server, 'GET', '/healthz');
      if (res.status === 200 && !done) answeredWhileRunning += 1;
    }
    const result = await tracked;
    return { result, longestStall, answeredWhileRunning, ms: performance.now() - started };
  } finally {
    clearInterval(ticker);
  }
}

describe('static files', () => {
  it('HTTP9: the app, its assets and client-side routes are served; nothing outside the folder, and no dotfiles', async () => {
    expect((await rawGet('/')).body).toContain('<title>Concord</title>');
    expect((await rawGet('/catalog')).body).toContain('<title>Concord</title>');
    const asset = await fetch(`${server.url}/assets/app-1234.js`);
    expect(asset.status).toBe(200);
    expect(asset.headers.get('cache-control')).toMatch(/immutable/);
    expect((await rawGet('/missing.js')).status).toBe(404);
    for (const path of [
      '/..%2Fconcord-data/auth-secret',
      '/..%2Fconcord-data%2Fauth-secret',
      '/%2E%2E/concord-data/auth-secret',
      '/..%5Cconcord-data%5Cauth-secret',
      '/assets/..%2F..%2Fconcord-data%2Fauth-secret',
      '/%2e%2e%2fconcord-data%2fauth-secret',
      '/../concord-data/auth-secret',
      '/.env',
    ]) {
      const res = await rawGet(path);
      expect(res.body, path).not.toContain('the-hmac-secret');
      expect(res.body, path).not.toContain('SECRET=1');
      expect(res.status === 200 ? res.body : '<title>Concord</title>', path).toContain(
        '<title>Concord</title>',
      );
    }
  });
});

describe('bounded requests', () => {
  it('LIM3: history pages are bounded: limit must be an integer 1–500; pages go newest first with a cursor that does not shift', async () => {
    const editor = token('eve', 'editor');
    for (let i = 0; i < 12; i++) {
      await api(server, 'PATCH', '/api/docs/product:pages', {
        token: editor,
        body: { stock: { delta: 1 } },
      });
    }
    for (const bad of ['-1', '1.5', '0', '501', 'abc', '1e3']) {
      const res = await api(server, 'GET', `/api/docs/product:pages/history?limit=${bad}`, {
        token: editor,
      });
      expect(res.status, bad).toBe(400);
    }
    const first = await api(server, 'GET', '/api/docs/product:pages/history?limit=5', {
      token: editor,
    });
    const seqs = (page: typeof first) => (page.json.entries as { seq: number }[]).map((e) => e.seq);
    expect(seqs(first)).toEqual([12, 11, 10, 9, 8]);
    // a write between pages does not shift the next page
    await api(server, 'PATCH', '/api/docs/product:pages', {
      token: editor,
      body: { stock: { delta: 1 } },
    });
    const second = await api(
      server,
      'GET',
      `/api/docs/product:pages/history?limit=5&before=${first.json.next}`,
      {
        token: editor,
      },
    );
    expect(seqs(second)).toEqual([7, 6, 5, 4, 3]);
    const last = await api(
      server,
      'GET',
      `/api/docs/product:pages/history?limit=5&before=${second.json.next}`,
      {
        token: editor,
      },
    );
    expect(seqs(last)).toEqual([2, 1]);
    expect(last.json.next).toBeNull();
  });

  it('LIM4: one catch-up of a thousand documents does not hold the server: health checks are answered while it runs', async () => {
    const editor = token('eve', 'editor');
    // A thousand documents whose logs are long enough that each answer builds the document:
    // the most work one request can ask for. Seeded in the store, as an old log would be.
    const docs: Record<string, string> = {};
    for (let i = 0; i < 1_000; i++) {
      const name = `product:bulk-${i}`;
      docs[name] = '';
      const source = new Y.Doc();
      const entries = [];
      for (let part = 0; part < 48; part++) {
        const before = Y.encodeStateVector(source);
        source.getText('description').insert(0, `${part} `.repeat(10));
        const update = Y.encodeStateAsUpdate(source, before);
        entries.push({ update, user: 'eve', ts: Date.now(), kind: 'edit' as const, changes: [] });
      }
      await server.hub.store.append([{ doc: name, entries }]);
    }
    const { result, longestStall, answeredWhileRunning } = await whileServing(
      api(server, 'POST', '/api/sync', { token: editor, body: { docs } }),
    );
    expect(result.status).toBe(200);
    expect(Object.keys(result.json.docs as object)).toHaveLength(1_000);
    // Building a thousand documents takes far longer than 150 ms (0.4 s of work here): a server
    // that held the event loop for it would stall the timer that long, and answer at most the
    // one health check that slipped in before it. One that yields stalls it ~55 ms at most here.
    expect(longestStall).toBeLessThan(150);
    expect(answeredWhileRunning).toBeGreaterThan(1);
    // A state vector that is not one (garbage, truncated, a claim of absurd clocks) is that
    // document's error; the others in the request are answered.
    const hostile = await api(server, 'POST', '/api/sync', {
      token: editor,
      body: {
        docs: {
          'product:bulk-0': Buffer.from([0xff, 0xff, 0xff]).toString('base64'),
          'product:bulk-1': Buffer.from([5, 1]).toString('base64'),
          'product:bulk-2': Buffer.from([1, 7, 0xff, 0xff, 0xff, 0xff, 0x0f]).toString('base64'),
          'product:bulk-3': '',
        },
      },
    });
    expect(hostile.status).toBe(200);
    expect(hostile.json.errors).toEqual({
      'product:bulk-0': 'invalid state vector',
      'product:bulk-1': 'invalid state vector',
    });
    // A vector claiming more than the server holds: nothing it lacks, a valid (empty) update.
    expect(Object.keys(hostile.json.docs as object).sort()).toEqual([
      'product:bulk-2',
      'product:bulk-3',
    ]);
    const tooMany: Record<string, string> = {};
    for (let i = 0; i < 1_001; i++) tooMany[`product:x${i}`] = '';
    expect(
      (await api(server, 'POST', '/api/sync', { token: editor, body: { docs: tooMany } })).status,
    ).toBe(400);
  });
  it('LIM6: loading a long log that was never compacted does not hold the server: health checks are answered while it loads', async () => {
    // 60,000 keystrokes into the description (the last 1,000 characters kept), seeded in the
    // store as a log written before compaction existed would be: one update per keystroke.
    const name = 'product:long-log';
    const source = new Y.Doc();
    const text = source.getText(fieldTypeName(productKind.fields.description!, 'description'));
    const updates: Uint8Array[] = [];
    source.on('update', (update: Uint8Array) => updates.push(update));
    for (let i = 0; i < 60_000; i++) {
      source.transact(() => {
        text.insert(text.length, String.fromCharCode(97 + (i % 26)));
        if (text.length > 1_000) text.delete(0, 1);
      });
    }
    for (let i = 0; i < updates.length; i += 1_000) {
      const entries = updates.slice(i, i + 1_000).map((update) => ({
        update,
        user: 'eve',
        ts: Date.now(),
        kind: 'edit' as const,
        changes: [],
      }));
      await server.hub.store.append([{ doc: name, entries }]);
    }
    const expected = text.toString();
    source.destroy();
    updates.length = 0;
    const { result, longestStall, answeredWhileRunning, ms } = await whileServing(
      api(server, 'GET', `/api/docs/${name}`, { token: token('eve', 'editor') }),
    );
    expect(result.status).toBe(200);
    expect(result.json.description).toBe(expected);
    // Applying 60,000 updates takes most of the request (0.3–1 s here): a server that held the
    // event loop for it would stall the timer nearly that long. One that takes turns stalls it
    // for its single steps: reading the log (one query), a turn of applying (~20 ms), encoding
    // the built document for its snapshot.
    expect(longestStall).toBeLessThan(ms / 3);
    expect(answeredWhileRunning).toBeGreaterThan(1);
  });
});

describe('rate limits', () => {
  it('LIM2: requests and WebSocket upgrades over the per-minute limit get 429 with a clear message', async () => {
    const limited = await startTestServer({ config: { rateLimitPerMinute: 5 } });
    try {
      const tok = token('rita', 'viewer');
      const statuses: number[] = [];
      for (let i = 0; i < 5; i++)
        statuses.push((await api(limited, 'GET', '/api/docs', { token: tok })).status);
      expect(statuses).toEqual([200, 200, 200, 200, 200]);
      const over = await api(limited, 'GET', '/api/docs', { token: tok });
      expect(over.status).toBe(429);
      expect(String(over.json.error)).toMatch(/too many requests/);
      // the same user's WebSocket upgrade is counted too
      const upgrade = await new Promise<number>((resolve) => {
        const ws = new WebSocket(`${limited.wsUrl}/product:rl?token=${tok}`);
        ws.on('unexpected-response', (_req, res) => {
          resolve(res.statusCode ?? 0);
          ws.terminate();
        });
        ws.on('open', () => {
          resolve(101);
          ws.close();
        });
        ws.on('error', () => resolve(0));
      });
      expect(upgrade).toBe(429);
      // another user is not affected
      expect(
        (await api(limited, 'GET', '/api/docs', { token: token('other', 'viewer') })).status,
      ).toBe(200);
    } finally {
      await limited.close();
    }
  });
  it('LIM2: minting more tokens does not lift the limit of one address', async () => {
    const limited = await startTestServer({ config: { rateLimitPerAddressPerMinute: 8 } });
    try {
      const statuses: number[] = [];
      for (let i = 0; i < 10; i++) {
        const tok = token(`fresh-${i}`, 'viewer');
        statuses.push((await api(limited, 'GET', '/api/docs', { token: tok })).status);
      }
      expect(statuses.slice(0, 8).every((s) => s === 200)).toBe(true);
      expect(statuses.slice(8)).toEqual([429, 429]);
      expect((await api(limited, 'GET', '/healthz')).status).toBe(200); // health is never limited
    } finally {
      await limited.close();
    }
  });
  it('LIM5: one user holds a bounded number of open connections; closing one makes room', async () => {
    const limited = await startTestServer({ config: { maxConnectionsPerUser: 3 } });
    const open = (tok: string) =>
      new Promise<{ ws: WebSocket; code: number | undefined }>((resolve) => {
        const ws = new WebSocket(`${limited.wsUrl}/product:lim5?token=${tok}`);
        ws.on('error', () => {});
        ws.once('message', () => resolve({ ws, code: undefined }));
        ws.once('close', (code) => resolve({ ws, code }));
      });
    try {
      const tok = token('connie', 'viewer');
      const first = await Promise.all([open(tok), open(tok), open(tok)]);
      expect(first.map((c) => c.code)).toEqual([undefined, undefined, undefined]);
      const fourth = await open(tok);
      expect(fourth.code).toBe(4529);
      expect((await open(token('someone-else', 'viewer'))).code).toBeUndefined();
      first[0]!.ws.close();
      await new Promise((resolve) => first[0]!.ws.once('close', resolve));
      let again = await open(tok);
      for (let i = 0; again.code !== undefined && i < 50; i++) again = await open(tok);
      expect(again.code).toBeUndefined();
      for (const c of [...first, again]) c.ws.close();
    } finally {
      await limited.close();
    }
  });
});
