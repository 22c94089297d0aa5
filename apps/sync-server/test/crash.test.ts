/**
 * No input crashes the server (SPEC CRASH1): every entry point answers the offender with a named
 * error or close code and keeps serving everyone else.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { request } from 'node:http';
import WebSocket from 'ws';
import { CloseCode } from '@concord/shared';
import { closeReason } from '../src/protocol/closeReason.js';
import type { RunningServer } from '../src/server.js';
import { api, connect, startTestServer, synced, token, waitFor } from './helpers.js';

let server: RunningServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(async () => {
  await server.close();
});

/** Open a WebSocket to a raw path; resolves with the close code or the HTTP status it got. */
function upgrade(path: string): Promise<{ close?: number; reason?: string; status?: number }> {
  return new Promise((resolve) => {
    const ws = new WebSocket(`${server.wsUrl}${path}`);
    ws.on('unexpected-response', (_req, res) => {
      resolve({ status: res.statusCode });
      ws.terminate();
    });
    ws.on('error', () => resolve({}));
    ws.on('close', (code, reason) => resolve({ close: code, reason: reason.toString() }));
  });
}

/** A raw HTTP request with a path no fetch implementation would send as is. */
function rawGet(path: string): Promise<number> {
  return new Promise((resolve) => {
    const req = request({ host: '127.0.0.1', port: server.port, path, method: 'GET' }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('error', () => resolve(0));
    req.end();
  });
}

async function stillServing(): Promise<void> {
  expect((await api(server, 'GET', '/healthz')).status).toBe(200);
  const c = connect(server, 'product:alive', token('ann', 'editor'));
  await synced(c);
  c.destroy();
}

describe('hostile input never crashes the server', () => {
  it('CRASH1: an upgrade whose path holds 45 multi-byte characters and no token is refused with 4404, a reason within 123 bytes', async () => {
    const result = await upgrade(`/${'%E2%82%AC'.repeat(45)}`);
    expect(result.close).toBe(CloseCode.invalidDocName);
    expect(Buffer.byteLength(result.reason ?? '')).toBeLessThanOrEqual(123);
    await stillServing();
  });

  const paths: [string, string][] = [
    ['a path of 1,000 multi-byte characters', `/${'%F0%9F%98%80'.repeat(1000)}`],
    ['broken percent-encoding', '/%E2%82'],
    ['a lone surrogate, encoded', '/product:%ED%A0%80'],
    ['a token of 20 KB', `/product:x?token=${'a'.repeat(20_000)}`],
    ['a nested path', '/product:x/more/segments?token=x'],
    ['a NUL in the name', '/product:a%00b'],
  ];
  for (const [label, path] of paths) {
    it(`CRASH1: an upgrade with ${label} is refused; the server carries on`, async () => {
      const result = await upgrade(path);
      expect(result.close === undefined || result.close >= 4000 || result.close === 1006).toBe(
        true,
      );
      if (result.reason !== undefined)
        expect(Buffer.byteLength(result.reason)).toBeLessThanOrEqual(123);
      await stillServing();
    });
  }

  it('CRASH1: malformed HTTP requests get 4xx answers, never a crash', async () => {
    expect(await rawGet('/api/docs/%ZZ')).toBeGreaterThanOrEqual(400);
    expect(await rawGet(`/api/docs/${'x'.repeat(10_000)}`)).toBeGreaterThanOrEqual(400);
    expect(await rawGet('/api/docs/product:a%00b')).toBeGreaterThanOrEqual(400);
    const badJson = await fetch(`${server.url}/api/docs/product:x`, {
      method: 'PATCH',
      headers: {
        authorization: `Bearer ${token('ann', 'editor')}`,
        'content-type': 'application/json',
      },
      body: '{"name": ',
    });
    expect(badJson.status).toBe(400);
    const huge = await fetch(`${server.url}/api/docs/product:x`, {
      method: 'PATCH',
      headers: {
        authorization: `Bearer ${token('ann', 'editor')}`,
        'content-type': 'application/json',
      },
      body: JSON.stringify({ name: 'x'.repeat(2 * 1024 * 1024) }),
    });
    expect(huge.status).toBe(413);
    await stillServing();
  });

  it('CRASH2: close reasons are cut to 123 bytes of UTF-8 on a character boundary', () => {
    for (const text of [
      '€'.repeat(45),
      '😀'.repeat(40),
      `a${'€'.repeat(60)}`,
      '\ud800'.repeat(60),
      'plain ascii '.repeat(20),
      'short',
    ]) {
      const reason = closeReason(text);
      expect(Buffer.byteLength(reason)).toBeLessThanOrEqual(123);
      expect(text.startsWith(reason.replace(/\.\.\.$/, ''))).toBe(true);
    }
    expect(closeReason('short')).toBe('short');
  });

  it('CRASH1: a burst of hostile upgrades leaves healthy clients syncing', async () => {
    const a = connect(server, 'product:crash-burst', token('ann', 'editor'), { extensions: true });
    await synced(a);
    await Promise.all(
      Array.from({ length: 30 }, (_, i) => upgrade(`/${'%E2%82%AC'.repeat(40 + i)}`)),
    );
    a.doc.getText('t:description').insert(0, 'still here');
    await waitFor(() => a.saved(), 'healthy edit saved');
    a.destroy();
  });
});
