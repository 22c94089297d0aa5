/**
 * Tokens outlive nothing (SPEC AUTH6–AUTH7): an open socket is closed with a retryable code when
 * its token expires; a valid token can be exchanged for a fresh one, an expired one cannot.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CloseCode, HybridClock, applyPatch, productKind } from '@concord/shared';
import type { RunningServer } from '../src/server.js';
import { Tokens } from '../src/auth/tokens.js';
import { SECRET, api, connect, startTestServer, synced, token, waitFor } from './helpers.js';
import { signTestToken } from './tokens.js';

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

describe('token refusals', () => {
  it('AUTH3: each refusal says why, in words a client developer can act on', async () => {
    const tokens = new Tokens(SECRET);
    const sign = (claims: Record<string, unknown>, header?: Record<string, unknown>) =>
      signTestToken(SECRET, claims, header);
    const cases: [string | undefined, RegExp][] = [
      [undefined, /missing token/],
      ['x'.repeat(5_000), /too long/],
      ['not.a.jwt', /malformed/],
      [
        signTestToken('another-secret-of-some-length', { sub: 'a', exp: 2e9 }),
        /bad token signature/,
      ],
      [sign({ sub: 'a', role: 'admin', exp: 1 }), /token expired/],
      [sign({ sub: 'a', role: 'admin' }), /must carry an expiry/],
      [sign({ role: 'admin', exp: 2e9 }), /must carry a subject/],
      [sign({ sub: 'a', role: 'admin', exp: 2e9, nbf: 2e9 - 1 }), /not yet valid/],
      [sign({ sub: 'a', role: 'admin', exp: '2099' }), /invalid/],
      [sign({ sub: 'a', role: 'admin', exp: 2e9 }, { alg: 'HS512' }), /HS256 required/],
      [sign({ sub: 'a', role: 'owner', exp: 2e9 }), /role must be/],
      [sign({ sub: 'a b', role: 'admin', exp: 2e9 }), /subject \(sub\) must be/],
    ];
    for (const [tok, reason] of cases) {
      const result = await tokens.verify(tok);
      expect(result.ok, String(tok).slice(0, 40)).toBe(false);
      if (!result.ok) expect(result.error).toMatch(reason);
    }
    const good = await tokens.verify(
      await tokens.sign({ sub: 'ann', role: 'editor', name: 'Ann' }),
    );
    expect(good).toMatchObject({ ok: true, user: { id: 'ann', role: 'editor', name: 'Ann' } });
  });
});
