/**
 * Accounts over HTTP and WebSocket (SPEC ACC1–ACC7): first-run setup, sign-in and lockout, session
 * cookies with rotation and reuse detection, sign-out, user administration, and changes that apply
 * live to open connections.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { CloseCode, HybridClock, applyPatch, productKind } from '@concord/shared';
import type { RunningServer } from '../src/server.js';
import { ADMIN, CookieJar, createPerson, setUpAdmin, signInJar } from './accountHelpers.js';
import { api, connect, rawConnect, startTestServer, synced, token, waitFor } from './helpers.js';

let server: RunningServer;
afterEach(async () => {
  await server?.close();
});

const EDITOR = {
  email: 'Ed@Example.com',
  name: 'Ed Editor',
  role: 'editor' as const,
  password: 'editor-pass-1',
};

describe('first run (ACC1)', () => {
  it('needs the setup code, creates one admin, and is closed afterwards', async () => {
    server = await startTestServer();
    expect(server.setupCode).toMatch(/^[\w-]{24}$/);
    const config = await api(server, 'GET', '/api/auth/config');
    expect(config.json).toMatchObject({ setupRequired: true, demo: false });
    const wrong = await api(server, 'POST', '/api/auth/setup', {
      body: { code: 'x'.repeat(24), ...ADMIN },
    });
    expect(wrong.status).toBe(403);
    expect(wrong.json.error).toMatch(/setup code/);
    const jar = new CookieJar();
    const ok = await jar.call(server, 'POST', '/api/auth/setup', {
      code: server.setupCode,
      ...ADMIN,
    });
    expect(ok.status).toBe(201);
    expect(ok.json.user).toMatchObject({ name: ADMIN.name, role: 'admin', email: ADMIN.email });
    expect(JSON.stringify(ok.json)).not.toMatch(/token/i); // the browser gets cookies, not tokens
    const session = jar.cookies.get('concord_session')!;
    expect(session.path).toBe('/api/auth');
    expect(session.attributes).toMatch(/HttpOnly/);
    expect(session.attributes).toMatch(/SameSite=Strict/);
    expect(jar.cookies.get('concord_access')!.attributes).toMatch(/HttpOnly/);
    expect((await jar.call(server, 'GET', '/api/auth/session')).json.user).toMatchObject({
      role: 'admin',
    });
    const again = await api(server, 'POST', '/api/auth/setup', {
      body: { code: ok.json.code ?? 'anything-at-all-here-xx', ...ADMIN, email: 'b@x.io' },
    });
    expect(again.status).toBe(403);
    expect((await api(server, 'GET', '/api/auth/config')).json.setupRequired).toBe(false);
  });

  it('refuses the demo sign-in in production', async () => {
    await expect(startTestServer({ config: { demoAuth: true, production: true } })).rejects.toThrow(
      /DEMO_AUTH/,
    );
  });
});

describe('sign-in (ACC3)', () => {
  it('signs in by email in any case; a wrong password and an unknown email get the same answer', async () => {
    server = await startTestServer();
    const admin = await setUpAdmin(server);
    const id = await createPerson(server, admin, EDITOR);
    const jar = await signInJar(server, 'ed@example.COM', EDITOR.password);
    expect((await jar.call(server, 'GET', '/api/auth/session')).json.user).toMatchObject({
      id,
      role: 'editor',
    });
    const wrong = await api(server, 'POST', '/api/auth/signin', {
      body: { email: EDITOR.email, password: 'not-it-at-all' },
    });
    const unknown = await api(server, 'POST', '/api/auth/signin', {
      body: { email: 'nobody@x.io', password: 'not-it-at-all' },
    });
    expect([wrong.status, unknown.status]).toEqual([401, 401]);
    expect(wrong.json.error).toBe(unknown.json.error);
    const events = await admin.call(server, 'GET', `/api/auth/events?user=${id}`);
    expect((events.json.events as { type: string }[]).map((e) => e.type)).toEqual([
      'sign-in-failed',
      'sign-in',
      'account-created',
    ]);
  });

  it('locks an account after 5 failed sign-ins, even for the right password, with a clear message', async () => {
    server = await startTestServer();
    const admin = await setUpAdmin(server);
    await createPerson(server, admin, EDITOR);
    for (let i = 0; i < 5; i++) {
      const res = await api(server, 'POST', '/api/auth/signin', {
        body: { email: EDITOR.email, password: `guess-${i}-xxxx` },
      });
      expect(res.status).toBe(401);
    }
    const locked = await api(server, 'POST', '/api/auth/signin', {
      body: { email: EDITOR.email, password: EDITOR.password },
    });
    expect(locked.status).toBe(429);
    expect(locked.json.error).toMatch(/Too many failed sign-ins for this account/);
    // Someone else is not affected.
    expect(
      (
        await api(server, 'POST', '/api/auth/signin', {
          body: { email: ADMIN.email, password: ADMIN.password },
        })
      ).status,
    ).toBe(200);
  });

  it('parallel guesses cannot outrun the lockout; wrong current passwords count too', async () => {
    server = await startTestServer();
    const admin = await setUpAdmin(server);
    await createPerson(server, admin, EDITOR);
    const guesses = await Promise.all(
      Array.from({ length: 12 }, (_, i) =>
        api(server, 'POST', '/api/auth/signin', {
          body: { email: EDITOR.email, password: `guess-${i}-xx` },
        }),
      ),
    );
    const statuses = guesses.map((g) => g.status);
    expect(statuses.filter((s) => s === 401).length).toBeLessThanOrEqual(5);
    expect(statuses.filter((s) => s === 429).length).toBeGreaterThanOrEqual(7);
    // Someone holding the admin's session cannot guess the admin's password by changing it.
    for (let i = 0; i < 5; i++)
      expect(
        (
          await admin.call(server, 'POST', '/api/auth/password', {
            current: `nope-${i}-xxx`,
            next: 'whatever-123',
          })
        ).status,
      ).toBe(403);
    expect(
      (
        await admin.call(server, 'POST', '/api/auth/password', {
          current: ADMIN.password,
          next: 'whatever-123',
        })
      ).status,
    ).toBe(429);
  });

  it('limits attempts per address', async () => {
    server = await startTestServer({ config: { signInAttemptsPerMinute: 3 } });
    const statuses: number[] = [];
    for (let i = 0; i < 4; i++)
      statuses.push(
        (
          await api(server, 'POST', '/api/auth/signin', {
            body: { email: `p${i}@x.io`, password: 'whatever-xx' },
          })
        ).status,
      );
    expect(statuses).toEqual([401, 401, 401, 429]);
  });
});

describe('sessions (ACC4)', () => {
  it('rotates the refresh token; using a replaced one again revokes the whole session', async () => {
    server = await startTestServer();
    const admin = await setUpAdmin(server);
    await createPerson(server, admin, EDITOR);
    const jar = await signInJar(server, EDITOR.email, EDITOR.password);
    const first = jar.value('concord_session')!;
    const refreshed = await jar.call(server, 'POST', '/api/auth/refresh');
    expect(refreshed.status).toBe(200);
    const second = jar.value('concord_session')!;
    expect(second).not.toBe(first);
    // A stolen copy of the first token, used after the grace period, is reuse.
    const thief = new CookieJar();
    thief.cookies.set('concord_session', { value: first, path: '/api/auth', attributes: '' });
    (server.sessions as unknown as { grace: number }).grace = 0;
    const reuse = await thief.call(server, 'POST', '/api/auth/refresh');
    expect(reuse.status).toBe(401);
    expect(reuse.json.error).toMatch(/used twice/);
    // The rightful holder is signed out too: the family is revoked, and so is its access token.
    expect((await jar.call(server, 'POST', '/api/auth/refresh')).status).toBe(401);
    expect(
      (
        await api(server, 'GET', '/api/docs', {
          headers: { cookie: `concord_access=${jar.value('concord_access') ?? ''}` },
        })
      ).status,
    ).toBe(401);
  });

  it('two tabs refreshing at once both succeed (no false reuse)', async () => {
    server = await startTestServer();
    const admin = await setUpAdmin(server);
    await createPerson(server, admin, EDITOR);
    const jar = await signInJar(server, EDITOR.email, EDITOR.password);
    const copy = new CookieJar();
    for (const [k, v] of jar.cookies) copy.cookies.set(k, v);
    const [a, b] = await Promise.all([
      jar.call(server, 'POST', '/api/auth/refresh'),
      copy.call(server, 'POST', '/api/auth/refresh'),
    ]);
    expect([a.status, b.status]).toEqual([200, 200]);
    expect((await jar.call(server, 'GET', '/api/auth/session')).status).toBe(200);
  });

  it('sign-out revokes the session: its refresh token and its access token stop working', async () => {
    server = await startTestServer();
    const admin = await setUpAdmin(server);
    await createPerson(server, admin, EDITOR);
    const jar = await signInJar(server, EDITOR.email, EDITOR.password);
    const saved = new CookieJar();
    for (const [k, v] of jar.cookies) saved.cookies.set(k, v);
    expect((await jar.call(server, 'POST', '/api/auth/signout')).status).toBe(204);
    expect(jar.cookies.size).toBe(0);
    expect((await saved.call(server, 'GET', '/api/auth/session')).status).toBe(401);
    expect((await saved.call(server, 'POST', '/api/auth/refresh')).status).toBe(401);
  });

  it('API clients get tokens in the body; a forged or foreign-signed token is refused', async () => {
    server = await startTestServer();
    const admin = await setUpAdmin(server);
    await createPerson(server, admin, EDITOR);
    const res = await api(server, 'POST', '/api/auth/token', {
      body: { email: EDITOR.email, password: EDITOR.password },
    });
    expect(res.status).toBe(200);
    const token = String(res.json.token);
    expect((await api(server, 'GET', '/api/docs', { token })).status).toBe(200);
    const [h, p] = token.split('.');
    const claims = JSON.parse(Buffer.from(p!, 'base64url').toString()) as Record<string, unknown>;
    const forged = `${h}.${Buffer.from(JSON.stringify({ ...claims, role: 'admin' })).toString('base64url')}.${token.split('.')[2]}`;
    expect((await api(server, 'GET', '/api/users', { token: forged })).status).toBe(401);
    const next = await api(server, 'POST', '/api/auth/refresh', {
      body: { refreshToken: res.json.refreshToken },
    });
    expect(next.status).toBe(200);
    expect(next.json.refreshToken).not.toBe(res.json.refreshToken);
  });
});

describe('user administration (ACC5–ACC7)', () => {
  it('only admins list, create and change people; an invited person chooses a password through a one-time link', async () => {
    server = await startTestServer();
    const admin = await setUpAdmin(server);
    await createPerson(server, admin, EDITOR);
    const editor = await signInJar(server, EDITOR.email, EDITOR.password);
    expect((await editor.call(server, 'GET', '/api/users')).status).toBe(403);
    expect((await api(server, 'GET', '/api/users')).status).toBe(401);
    const invited = await admin.call(server, 'POST', '/api/users', {
      email: 'vi@x.io',
      name: 'Vi',
      role: 'viewer',
    });
    expect(invited.status).toBe(201);
    expect(invited.json.user).toMatchObject({ invited: true, role: 'viewer' });
    const dup = await admin.call(server, 'POST', '/api/users', {
      email: 'VI@x.io',
      name: 'Vi 2',
      role: 'viewer',
    });
    expect(dup.status).toBe(409);
    const token = new URL(
      `http://x${String(invited.json.inviteUrl).replace('#', '')}`,
    ).searchParams.get('token')!;
    const vi = new CookieJar();
    expect(
      (await vi.call(server, 'POST', '/api/auth/link', { token, password: 'short' })).status,
    ).toBe(400);
    expect(
      (await vi.call(server, 'POST', '/api/auth/link', { token, password: 'viewer-pass-1' }))
        .status,
    ).toBe(200);
    expect((await vi.call(server, 'GET', '/api/auth/session')).json.user).toMatchObject({
      role: 'viewer',
      name: 'Vi',
    });
    expect(
      (
        await new CookieJar().call(server, 'POST', '/api/auth/link', {
          token,
          password: 'viewer-pass-2',
        })
      ).status,
    ).toBe(403);
    const list = await admin.call(server, 'GET', '/api/users?search=vi');
    expect((list.json.users as { email: string }[]).map((u) => u.email)).toEqual(['vi@x.io']);
    expect(JSON.stringify(list.json)).not.toMatch(/scrypt/);
  });

  it('profiles belong to accounts: profile:<id> carries the account’s name and email, written by the admin who named it', async () => {
    server = await startTestServer();
    const admin = await setUpAdmin(server);
    const adminId = (
      (await admin.call(server, 'GET', '/api/auth/session')).json.user as { id: string }
    ).id;
    const id = await createPerson(server, admin, EDITOR);
    const profile = await admin.call(server, 'GET', `/api/docs/profile:${id}`);
    expect(profile.json).toMatchObject({ displayName: EDITOR.name, email: EDITOR.email });
    expect(
      (await admin.call(server, 'PATCH', `/api/users/${id}`, { name: 'Edwina Editor' })).status,
    ).toBe(200);
    expect((await admin.call(server, 'GET', `/api/docs/profile:${id}`)).json.displayName).toBe(
      'Edwina Editor',
    );
    const history = await admin.call(server, 'GET', `/api/docs/profile:${id}/history`);
    expect(new Set((history.json.entries as { user: string }[]).map((e) => e.user))).toEqual(
      new Set([adminId]),
    );
    // The admin's own profile was written at setup.
    expect((await admin.call(server, 'GET', `/api/docs/profile:${adminId}`)).json.displayName).toBe(
      ADMIN.name,
    );
  });

  it('the last admin cannot be demoted or disabled; with a second admin they can', async () => {
    server = await startTestServer();
    const admin = await setUpAdmin(server);
    const bId = await createPerson(server, admin, {
      email: 'b@x.io',
      name: 'B',
      role: 'admin',
      password: 'b-password-1',
    });
    const b = await signInJar(server, 'b@x.io', 'b-password-1');
    const me = ((await admin.call(server, 'GET', '/api/auth/session')).json.user as { id: string })
      .id;
    expect((await b.call(server, 'PATCH', `/api/users/${me}`, { role: 'editor' })).status).toBe(
      200,
    );
    const last = await admin.call(server, 'PATCH', `/api/users/${bId}`, { disabled: true });
    expect(last.status).toBe(403); // the demoted admin is an editor now
    expect((await b.call(server, 'PATCH', `/api/users/${me}`, { role: 'admin' })).status).toBe(200);
    expect(
      (await admin.call(server, 'PATCH', `/api/users/${bId}`, { role: 'viewer' })).status,
    ).toBe(200);
    const refused = await b.call(server, 'PATCH', `/api/users/${me}`, { role: 'viewer' });
    expect(refused.status).toBe(403); // b is a viewer now
    // The only admin left cannot be demoted by anyone (a service admin token here).
    const only = await api(server, 'PATCH', `/api/users/${me}`, {
      token: token('ops', 'admin'),
      body: { role: 'editor' },
    });
    expect(only.status).toBe(409);
    expect(only.json.error).toMatch(/last admin/);
  });

  it('a reset link made before a password change no longer works', async () => {
    server = await startTestServer();
    const admin = await setUpAdmin(server);
    const id = await createPerson(server, admin, EDITOR);
    const url = String((await admin.call(server, 'POST', `/api/users/${id}/reset-link`)).json.url);
    const token = new URL(`http://x${url.replace('#', '')}`).searchParams.get('token')!;
    expect(
      (await admin.call(server, 'PATCH', `/api/users/${id}`, { password: 'brand-new-pass-1' }))
        .status,
    ).toBe(200);
    expect(
      (
        await new CookieJar().call(server, 'POST', '/api/auth/link', {
          token,
          password: 'taken-over-1',
        })
      ).status,
    ).toBe(403);
  });

  it('an admin cannot demote or disable themselves', async () => {
    server = await startTestServer();
    const admin = await setUpAdmin(server);
    const me = (await admin.call(server, 'GET', '/api/auth/session')).json.user as { id: string };
    expect(
      (await admin.call(server, 'PATCH', `/api/users/${me.id}`, { role: 'viewer' })).status,
    ).toBe(403);
    expect(
      (await admin.call(server, 'PATCH', `/api/users/${me.id}`, { disabled: true })).status,
    ).toBe(403);
  });

  it('disabling closes the person’s open sockets within a second and refuses their next call', async () => {
    server = await startTestServer();
    const admin = await setUpAdmin(server);
    const id = await createPerson(server, admin, EDITOR);
    const ed = await signInJar(server, EDITOR.email, EDITOR.password);
    const socket = rawConnect(`${server.wsUrl}/product:live`, { cookie: ed.header('/') });
    await socket.opened;
    const t0 = Date.now();
    expect((await admin.call(server, 'PATCH', `/api/users/${id}`, { disabled: true })).status).toBe(
      200,
    );
    const closed = await socket.closed;
    expect(Date.now() - t0).toBeLessThan(1_000);
    expect(closed).toMatchObject({ code: CloseCode.unauthorized });
    expect(closed.reason).toMatch(/disabled/);
    expect((await ed.call(server, 'GET', '/api/docs')).status).toBe(401);
    expect((await ed.call(server, 'POST', '/api/auth/refresh')).status).toBe(401);
    expect(
      (
        await api(server, 'POST', '/api/auth/signin', {
          body: { email: EDITOR.email, password: EDITOR.password },
        })
      ).status,
    ).toBe(403);
    await admin.call(server, 'PATCH', `/api/users/${id}`, { disabled: false });
    expect(
      (
        await api(server, 'POST', '/api/auth/signin', {
          body: { email: EDITOR.email, password: EDITOR.password },
        })
      ).status,
    ).toBe(200);
  });

  it('a downgrade to viewer applies live: the socket reconnects read-only, the next HTTP write is refused', async () => {
    server = await startTestServer();
    const admin = await setUpAdmin(server);
    const id = await createPerson(server, admin, EDITOR);
    const signed = await api(server, 'POST', '/api/auth/token', {
      body: { email: EDITOR.email, password: EDITOR.password },
    });
    const token = String(signed.json.token);
    const client = connect(server, 'product:demote', token, { extensions: true });
    await synced(client);
    expect(
      (
        await api(server, 'PATCH', '/api/docs/product:demote', {
          token,
          body: { name: 'By an editor' },
        })
      ).status,
    ).toBe(200);
    expect((await admin.call(server, 'PATCH', `/api/users/${id}`, { role: 'viewer' })).status).toBe(
      200,
    );
    await waitFor(
      () => client.closes.some((c) => c.code === CloseCode.sessionExpired),
      'socket closed for the new role',
    );
    expect(client.closes.at(-1)!.reason).toMatch(/role is now viewer/);
    const write = await api(server, 'PATCH', '/api/docs/product:demote', {
      token,
      body: { name: 'By a viewer' },
    });
    expect(write.status).toBe(403);
    client.destroy();
    // Reconnected with the same token, the socket reads but its writes are refused.
    const again = connect(server, 'product:demote', token, { extensions: true });
    await synced(again);
    applyPatch(
      again.doc,
      productKind,
      { name: 'Viewer edit' },
      { clock: new HybridClock({ replicaId: id }), writer: id },
    );
    await waitFor(() => again.errors.length > 0, 'write refused');
    expect(
      String((await api(server, 'GET', '/api/docs/product:demote', { token })).json.name),
    ).toBe('By an editor');
    again.destroy();
  });

  it('a call or socket that expects another person than the cookie names is refused (another tab signed in as someone else)', async () => {
    server = await startTestServer();
    const admin = await setUpAdmin(server);
    const adminId = (
      (await admin.call(server, 'GET', '/api/auth/session')).json.user as { id: string }
    ).id;
    expect(
      (await admin.call(server, 'GET', '/api/docs', undefined, { 'x-concord-user': adminId }))
        .status,
    ).toBe(200);
    const other = await admin.call(server, 'GET', '/api/docs', undefined, {
      'x-concord-user': 'u-someoneelse',
    });
    expect(other.status).toBe(401);
    expect(other.json.error).toMatch(/signed in as someone else/);
    const good = rawConnect(`${server.wsUrl}/product:x?as=${adminId}`, {
      cookie: admin.header('/'),
    });
    await good.opened;
    good.ws.close();
    const wrong = rawConnect(`${server.wsUrl}/product:x?as=u-someoneelse`, {
      cookie: admin.header('/'),
    });
    const closed = await wrong.closed;
    expect(closed.code).toBe(CloseCode.unauthorized);
    expect(closed.reason).toMatch(/someone else/);
  });

  it('a cookie-authenticated socket from another site is refused', async () => {
    server = await startTestServer();
    const admin = await setUpAdmin(server);
    const good = rawConnect(`${server.wsUrl}/product:x`, {
      cookie: admin.header('/'),
      origin: server.url,
    });
    await good.opened;
    good.ws.close();
    const evil = rawConnect(`${server.wsUrl}/product:x`, {
      cookie: admin.header('/'),
      origin: 'https://evil.example',
    });
    expect((await evil.closed).code).toBe(CloseCode.unauthorized);
  });

  it('changing one’s own password ends the other sessions and keeps this one', async () => {
    server = await startTestServer();
    const admin = await setUpAdmin(server);
    await createPerson(server, admin, EDITOR);
    const laptop = await signInJar(server, EDITOR.email, EDITOR.password);
    const phone = await signInJar(server, EDITOR.email, EDITOR.password);
    expect(
      (
        await laptop.call(server, 'POST', '/api/auth/password', {
          current: 'wrong-one-xx',
          next: 'new-password-2',
        })
      ).status,
    ).toBe(403);
    expect(
      (
        await laptop.call(server, 'POST', '/api/auth/password', {
          current: EDITOR.password,
          next: 'new-password-2',
        })
      ).status,
    ).toBe(200);
    expect((await laptop.call(server, 'GET', '/api/auth/session')).status).toBe(200);
    expect((await phone.call(server, 'GET', '/api/auth/session')).status).toBe(401);
    expect(
      (
        await api(server, 'POST', '/api/auth/signin', {
          body: { email: EDITOR.email, password: 'new-password-2' },
        })
      ).status,
    ).toBe(200);
  });
});
