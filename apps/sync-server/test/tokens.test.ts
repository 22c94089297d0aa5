/**
 * Tokens outlive nothing (SPEC AUTH6–AUTH7): an open socket is closed with a retryable code when
 * its token expires; a valid token can be exchanged for a fresh one, an expired one cannot.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CloseCode, HybridClock, applyPatch, productKind } from '@concord/shared';
import type { RunningServer } from '../src/server.js';
import { api, connect, startTestServer, synced, token, waitFor } from './helpers.js';

let server: RunningServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(async () => {
  await server.close();
});

describe('token lifetime', () => {
  it('AUTH7: a socket whose token expires is closed with sessionExpired (4501); what it saved before stays saved', async () => {
    const c = connect(server, 'product:expiry', token('ann', 'editor', 2), { extensions: true });
    await synced(c);
    applyPatch(
      c.doc,
      productKind,
      { name: 'Before expiry' },
      {
        clock: new HybridClock({ replicaId: 'ann' }),
        writer: 'ann',
      },
    );
    await waitFor(() => c.saved(), 'saved');
    await waitFor(
      () => c.closes.some((x) => x.code === CloseCode.sessionExpired),
      'closed at expiry',
    );
    // y-websocket reconnects on 45xx, with the same (now expired) token: refused with 4401.
    await waitFor(
      () => c.closes.some((x) => x.code === CloseCode.unauthorized),
      'reconnect refused',
    );
    c.destroy();
    const read = await api(server, 'GET', '/api/docs/product:expiry', {
      token: token('v', 'viewer'),
    });
    expect(read.json.name).toBe('Before expiry');
  });

  it('AUTH6: a valid token is exchanged for a fresh one with the same identity; an expired one is refused', async () => {
    const fresh = await api(server, 'POST', '/api/auth/refresh', {
      token: token('ann', 'editor', 60),
    });
    expect(fresh.status).toBe(200);
    expect(fresh.json.user).toMatchObject({ id: 'ann', role: 'editor' });
    const next = String(fresh.json.token);
    const payload = JSON.parse(Buffer.from(next.split('.')[1]!, 'base64url').toString()) as {
      exp: number;
    };
    expect(payload.exp * 1000).toBeGreaterThan(Date.now() + 3_600_000);
    expect((await api(server, 'GET', '/api/docs', { token: next })).status).toBe(200);
    const expired = await api(server, 'POST', '/api/auth/refresh', {
      token: token('ann', 'editor', -1),
    });
    expect(expired.status).toBe(401);
    expect(String(expired.json.error)).toMatch(/expired/);
  });
});
